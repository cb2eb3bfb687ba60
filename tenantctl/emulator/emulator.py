"""The :class:`Emulator`: state + HTTPS server (uvicorn in a background thread) + control API."""

from __future__ import annotations

import contextlib
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn

from tenantctl.emulator import keyvault, tokens, traffic
from tenantctl.emulator.app import build_app
from tenantctl.emulator.control import Admin
from tenantctl.emulator.faults import protocol_class
from tenantctl.emulator.settings import EmulatorSettings, FaultSettings, ServicePrincipal
from tenantctl.emulator.store import Store
from tenantctl.emulator.tls import prepare_tls
from tenantctl.emulator.world import World

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest

STATE_FILE = "state.sqlite3"


class Emulator:
    """A local HTTPS emulator of ARM (Microsoft.CognitiveServices) and Entra that the real SDKs accept."""

    def __init__(
        self,
        state_dir: Path | None = None,
        settings: EmulatorSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.host = host
        self._port = port
        # Private per-process directory: the server leaf key, and the CA too when state is in memory.
        self._tmp: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(prefix="tenantctl-emulator-")
        private = Path(self._tmp.name)
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.state_dir / STATE_FILE if self.state_dir is not None else None)
        self.world = World(store, settings or EmulatorSettings())
        with store.tx():  # BEGIN IMMEDIATE: two processes opening fresh state bootstrap one cloud, not two
            tokens.load_signing_key(self.world, persistent=self.state_dir is not None)
            self._admin = Admin(self.world, self.connection_info)
            self._admin.ensure_bootstrap()
        self._tls = prepare_tls(self.state_dir or private, private)
        self.ca_path: Path = self._tls.ca_path
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        # Key Vault data planes: (server, thread, socket) per vault port, served by the same app.
        self._vault_servers: list[tuple[Any, threading.Thread, socket.socket]] = []
        self._vault_lock = threading.Lock()
        self.world.listen = self._listen_for_vault

    @classmethod
    def embedded(cls, workdir: Path, settings: EmulatorSettings | None = None) -> Emulator:
        """State under ``workdir/.tenantctl/emulator`` (the CLI's ``--emulator`` mode)."""
        return cls(Path(workdir) / ".tenantctl" / "emulator", settings)

    # ------------------------------------------------------------------ lifecycle

    def _bind(self, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        return sock

    def bind(self) -> socket.socket:
        """Bind the listening socket now, so the port is known before the server runs."""
        if self._socket is None:
            self._socket = self._bind(self._port)
            self._port = self._socket.getsockname()[1]
        return self._socket

    def _listen_for_vault(self, preferred: int) -> int:
        """Serve the app on one more port (a vault's data plane); ``preferred`` when it is free."""
        with self._vault_lock:
            for _, _, sock in self._vault_servers:
                if preferred and sock.getsockname()[1] == preferred:
                    return preferred
            try:
                sock = self._bind(preferred)
            except OSError:
                sock = self._bind(0)
            server = self._build_server(embedded=True)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="tenantctl-emulator-vault", daemon=True
            )
            thread.start()
            self._vault_servers.append((server, thread, sock))
            port: int = sock.getsockname()[1]
            return port

    def make_server(self, *, embedded: bool) -> Any:
        self._server = self._build_server(embedded=embedded)
        return self._server

    def serve_stored_vaults(self) -> None:
        """The data plane of every vault in the state (a restarted emulator keeps their URIs if it can)."""
        keyvault.reopen_vaults(self.world)

    def _build_server(self, *, embedded: bool) -> Any:
        config = uvicorn.Config(
            build_app(self.world, self._admin),
            ssl_certfile=str(self._tls.cert_path),
            ssl_keyfile=str(self._tls.key_path),
            http=protocol_class(),
            lifespan="off",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=30,
            server_header=False,
            timeout_graceful_shutdown=1,
        )

        class _Server(uvicorn.Server):  # type: ignore[misc]
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                # In-process mode: the host application owns SIGINT/SIGTERM, never the emulator.
                # Foreground mode: stop gracefully and return to the caller (uvicorn would re-raise the
                # signal after shutdown, killing the CLI before it can report).
                if embedded or threading.current_thread() is not threading.main_thread():
                    yield
                    return

                def stop(sig: int, frame: Any) -> None:
                    # An emulator has nothing to drain: stop at once, idle keep-alive clients included.
                    self.should_exit = True
                    self.force_exit = True

                originals = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
                try:
                    yield
                finally:
                    for sig, handler in originals.items():
                        signal.signal(sig, handler)

        return _Server(config)

    def start(self) -> Emulator:
        if self._thread is not None:
            return self
        sock = self.bind()
        server = self.make_server(embedded=True)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="tenantctl-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator's HTTPS server did not start")
            time.sleep(0.005)
        self.serve_stored_vaults()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for idle keep-alive clients
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for server, thread, sock in self._vault_servers:
            server.should_exit = True
            server.force_exit = True
            thread.join(timeout=10)
            sock.close()
        self._vault_servers = []
        self.world.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ identity of the cloud

    @property
    def settings(self) -> EmulatorSettings:
        return self.world.settings

    @settings.setter
    def settings(self, value: EmulatorSettings) -> None:
        self.world.settings = value

    @property
    def port(self) -> int:
        return int(self._port)

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self._port}"

    @property
    def subscription_id(self) -> str:
        return str(self._admin.bootstrap["subscription_id"])

    @property
    def home_directory(self) -> str:
        return str(self._admin.bootstrap["home_directory"])

    @property
    def provider(self) -> ServicePrincipal:
        return self._admin.provider

    def connection_info(self) -> dict[str, object]:
        sp = self.provider
        return {
            "endpoint": self.endpoint,
            "ca_path": str(self.ca_path),
            "subscription_id": self.subscription_id,
            **({"subscriptions": pool} if len(pool := self._admin.pool_subscriptions()) > 1 else {}),
            "directory": sp.directory,
            "client_id": sp.client_id,
            "client_secret": sp.client_secret,
            "object_id": sp.object_id,
            "authority": self.endpoint,
            "env": {
                "AZURE_TENANT_ID": sp.directory,
                "AZURE_CLIENT_ID": sp.client_id,
                "AZURE_CLIENT_SECRET": sp.client_secret,
                "AZURE_AUTHORITY_HOST": self.endpoint,
                "AZURE_SUBSCRIPTION_ID": self.subscription_id,
                "AZURE_RESOURCE_MANAGER_ENDPOINT": self.endpoint,
                # Hint only: REQUESTS_CA_BUNDLE overrides msal's verify= (research/identity.md §0).
                "REQUESTS_CA_BUNDLE": str(self.ca_path),
            },
        }

    # ------------------------------------------------------------------ control API

    def add_directory(self, tenant_id: str | None = None) -> str:
        return self._admin.add_directory(tenant_id)

    def add_subscription(self, subscription_id: str | None = None, directory: str | None = None) -> str:
        return self._admin.add_subscription(subscription_id, directory)

    def ensure_subscriptions(self, count: int) -> list[str]:
        """A pool of ``count`` subscriptions in the provider's directory, the provider Owner of each.

        The first is the bootstrap subscription; the others have ids derived from it, so the same
        state always offers the same pool. Each has Azure's own per-subscription limits: 30 OpenAI
        accounts per region and its own quota per region x model x SKU.
        """
        return self._admin.ensure_subscriptions(count)

    def register_app(
        self,
        *,
        home_directory: str,
        multi_tenant: bool = True,
        client_id: str | None = None,
        secret: str | None = None,
        certificate_pem: bytes | None = None,
        federated: list[tuple[str, str]] | None = None,
    ) -> ServicePrincipal:
        return self._admin.register_app(
            home_directory=home_directory,
            multi_tenant=multi_tenant,
            client_id=client_id,
            secret=secret,
            certificate_pem=certificate_pem,
            federated=federated,
        )

    def grant_consent(self, client_id: str, directory: str) -> str:
        return self._admin.grant_consent(client_id, directory)

    def assign_role(self, scope: str, principal_id: str, role: str) -> None:
        self._admin.assign_role(scope, principal_id, role)

    def onboarded_deployments(
        self,
        resource_id: str,
        expected: tuple[str, ...],
        *,
        directory: str,
        consented_app: str | None,
        role: str | None,
    ) -> list[str] | None:
        return self._admin.onboarded_deployments(
            resource_id, expected, directory=directory, consented_app=consented_app, role=role
        )

    def add_virtual_network(
        self, subscription_id: str, resource_group: str, name: str, location: str, subnets: dict[str, str]
    ) -> str:
        """Seed a virtual network (the resource group must exist) with subnets name -> prefix; its id."""
        return self._admin.add_virtual_network(subscription_id, resource_group, name, location, subnets)

    def add_private_dns_zone(self, subscription_id: str, resource_group: str, zone: str) -> str:
        return self._admin.add_private_dns_zone(subscription_id, resource_group, zone)

    def add_workspace(self, subscription_id: str, resource_group: str, name: str, location: str) -> str:
        """Seed a Log Analytics workspace; returns its id."""
        return self._admin.add_workspace(subscription_id, resource_group, name, location)

    def add_key_vault(
        self, subscription_id: str, resource_group: str, name: str, location: str, *, rbac_authorization: bool = True
    ) -> tuple[str, str]:
        """Seed a Key Vault (its data plane starts listening); returns (vault id, vaultUri)."""
        return self._admin.add_key_vault(
            subscription_id, resource_group, name, location, rbac_authorization=rbac_authorization
        )

    def seed_baseline_references(self, manifest: Manifest, ensure_group: Callable[[str, str, str], None]) -> None:
        """Create the network, zones, workspaces and vault ``manifest`` references (tenantctl.emulator.seeding)."""
        from tenantctl.emulator.seeding import seed_baseline_references

        seed_baseline_references(self, manifest, ensure_group)

    def set_quota(self, subscription_id: str, location: str, usage_name: str, limit: float) -> None:
        self._admin.set_quota(subscription_id, location, usage_name, limit)

    def set_model_retirement(self, name: str, version: str, retirement: str) -> None:
        """Move a model version's retirement date (ISO 8601) in every region's model catalogue."""
        self._admin.set_model_retirement(name, version, retirement)

    def register_fine_tuned_model(self, account_id: str, model: str, retirement: str) -> None:
        """A model fine-tuned in the account ``account_id`` (``<base>.ft-<32 hex>``), retiring on ``retirement``."""
        self._admin.register_fine_tuned_model(account_id, model, retirement)

    def set_faults(self, faults: FaultSettings | None) -> None:
        self._admin.set_faults(faults)

    def request_counts(self) -> dict[str, int]:
        return self.world.counts()

    def reset_counts(self) -> None:
        self.world.reset_counts()

    def reset(self) -> None:
        self._admin.reset()

    def generate_traffic(
        self, *, days: int = 30, seed: int = 1, tenants: list[str] | None = None, end: float | None = None
    ) -> dict[str, Any]:
        """Deterministic usage for every deployment and for ``tenants`` behind the gateway (see traffic.py)."""
        return self._admin.generate_traffic(days=days, seed=seed, tenants=list(tenants or []), end=end)

    def traffic_truth(self, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        """The generator's exact totals per deployment / gateway tenant over [start, end)."""
        return self._admin.traffic_truth(start, end)

    @property
    def gateway_workspace_id(self) -> str:
        """The gateway's Log Analytics workspace (a function of the subscription; no state read)."""
        return traffic.gateway_workspace_id(self.subscription_id)
