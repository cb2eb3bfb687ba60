"""SDK client sets, one per subscription, created lazily and cached (thread-safe)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS

__all__ = ["ClientConfig", "ClientFactory", "ClientSet"]

ARM_SCOPE_SUFFIX = "/.default"
# Role-assignment operations address a scope, not a subscription; the client still wants one.
NO_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class ClientConfig:
    arm_endpoint: str = KNOWN_CLOUDS[DEFAULT_CLOUD].resource_manager
    polling_interval: float = 5.0
    ca_path: str | None = None
    credential_scope: str = KNOWN_CLOUDS[DEFAULT_CLOUD].resource_manager + ARM_SCOPE_SUFFIX
    pool_size: int = 64  # parallel per-account writers share one connection pool per subscription
    connection_timeout: float = 30.0
    read_timeout: float = 120.0
    # Key Vault's SDK checks that the challenge's resource (vault.azure.net) is a parent domain of the
    # vault's host. Only the emulator turns this off: its vaults are https://127.0.0.1:{port}/.
    verify_vault_challenge: bool = True
    # Azure Monitor data planes: metrics:getBatch is regional, Log Analytics is global.
    metrics_endpoint: str = "https://{location}.metrics.monitor.azure.com"
    metrics_audience: str = "https://metrics.monitor.azure.com"
    logs_endpoint: str = "https://api.loganalytics.io"
    logs_audience: str = "https://api.loganalytics.io"

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.arm_endpoint.rstrip("/"),
            "credential_scopes": [self.credential_scope],
            "polling_interval": self.polling_interval,
            # One retry policy (ours) must see every failure: switch the SDK's own retries off.
            "retry_total": 0,
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
        }
        if self.ca_path is not None:
            kwargs["connection_verify"] = str(self.ca_path)
        return kwargs


@dataclass
class ClientSet:
    """The three management clients for one subscription."""

    cognitive: Any
    resources: Any
    authorization: Any

    def close(self) -> None:
        for client in (self.cognitive, self.resources, self.authorization):
            client.close()


def _transport(config: ClientConfig) -> Any:
    # requests' default pool keeps 10 connections per host; the executor runs more writers than
    # that in parallel, and a full pool means "Connection pool is full, discarding" and new TLS
    # handshakes for every request.
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from requests.adapters import HTTPAdapter

    class SharedTransport(RequestsTransport):  # type: ignore[misc]
        """One connection pool for every client of a factory: a client's close() leaves it open for the
        others (30 subscriptions x 3 clients would otherwise hold 90 pools and TLS handshakes apiece);
        the factory closes it last."""

        def close(self) -> None:
            pass

        def close_shared(self) -> None:
            super().close()

    session = requests.Session()
    # pool_connections = hosts kept at once: ARM, Key Vaults, Monitor's regional hosts share this pool now.
    adapter = HTTPAdapter(pool_connections=32, pool_maxsize=config.pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # Connection settings go to the transport: a client given its own transport ignores them.
    kwargs: dict[str, Any] = {
        "connection_timeout": config.connection_timeout,
        "read_timeout": config.read_timeout,
    }
    if config.ca_path is not None:
        kwargs["connection_verify"] = str(config.ca_path)
    return SharedTransport(session=session, session_owner=True, **kwargs)


class ClientFactory:
    """Creates and caches :class:`ClientSet` per subscription id."""

    def __init__(self, credential: Any, config: ClientConfig) -> None:
        self._credential = credential
        self.config = config
        self._sets: dict[str, ClientSet] = {}
        # Clients of the compliance baseline, built on first use (their SDKs take ~1 s to import).
        self._extra: dict[tuple[str, str], Any] = {}
        self._monitor: dict[str, Any] = {}  # "metrics:<location>" / "logs" -> client
        self._lock = threading.Lock()
        self._shared: Any = None  # the one connection pool of every client (see _transport)

    def __repr__(self) -> str:  # never show the credential
        return f"ClientFactory(endpoint={self.config.arm_endpoint!r}, subscriptions={sorted(self._sets)})"

    def _pool(self) -> Any:
        # Always called by a builder running under self._lock, so it takes no lock of its own.
        if self._shared is None:
            self._shared = _transport(self.config)
        return self._shared

    def resource_graph(self) -> Any:
        """azure-mgmt-resourcegraph client: tenant-level, one for every subscription of the run."""

        def build() -> Any:
            from azure.mgmt.resourcegraph import ResourceGraphClient

            return ResourceGraphClient(self._credential, transport=self._pool(), **self.config.client_kwargs())

        return self._cached("resourcegraph", "", build)

    def for_subscription(self, subscription_id: str | None) -> ClientSet:
        key = (subscription_id or NO_SUBSCRIPTION).lower()
        with self._lock:
            found = self._sets.get(key)
            if found is None:
                found = self._sets[key] = self._build(subscription_id or NO_SUBSCRIPTION)
            return found

    def _build(self, subscription_id: str) -> ClientSet:
        # The SDKs are imported here, not at module import, so `tenantctl --help` stays fast.
        from azure.mgmt.authorization import AuthorizationManagementClient
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
        from azure.mgmt.resource.resources import ResourceManagementClient

        kwargs = self.config.client_kwargs()
        return ClientSet(
            cognitive=CognitiveServicesManagementClient(
                self._credential, subscription_id, transport=self._pool(), **kwargs
            ),
            resources=ResourceManagementClient(self._credential, subscription_id, transport=self._pool(), **kwargs),
            authorization=AuthorizationManagementClient(
                self._credential, subscription_id, transport=self._pool(), **kwargs
            ),
        )

    def network(self, subscription_id: str) -> Any:
        """azure-mgmt-network client of one subscription."""

        def build() -> Any:
            from azure.mgmt.network import NetworkManagementClient

            return NetworkManagementClient(
                self._credential, subscription_id, transport=self._pool(), **self.config.client_kwargs()
            )

        return self._cached("network", subscription_id.lower(), build)

    def monitor(self, subscription_id: str) -> Any:
        """azure-mgmt-monitor client (diagnostic settings, api-version 2021-05-01-preview)."""

        def build() -> Any:
            from azure.mgmt.monitor import MonitorManagementClient

            return MonitorManagementClient(
                self._credential, subscription_id, transport=self._pool(), **self.config.client_kwargs()
            )

        return self._cached("monitor", subscription_id.lower(), build)

    def secrets(self, vault_url: str) -> Any:
        """azure-keyvault-secrets client of one vault (its own bearer-challenge flow and token scope)."""

        def build() -> Any:
            from azure.keyvault.secrets import SecretClient

            kwargs: dict[str, Any] = {
                "retry_total": 0,  # one retry policy (ours) sees every failure
                "verify_challenge_resource": self.config.verify_vault_challenge,
                "transport": self._pool(),
            }
            return SecretClient(vault_url, self._credential, **kwargs)

        return self._cached("secrets", vault_url.rstrip("/").lower(), build)

    def _cached(self, kind: str, key: str, build: Any) -> Any:
        with self._lock:
            found = self._extra.get((kind, key))
            if found is None:
                found = self._extra[(kind, key)] = build()

        return found

    def metrics(self, location: str) -> Any:
        """The metrics:getBatch client of one region (a batch must stay within one region)."""
        from azure.monitor.querymetrics import MetricsClient

        endpoint = self.config.metrics_endpoint.format(location=location.lower())
        return self._monitor_client(
            f"metrics:{location.lower()}",
            lambda: MetricsClient(
                endpoint,
                self._credential,
                audience=self.config.metrics_audience,
                transport=self._pool(),
                retry_total=0,
            ),
        )

    def logs(self) -> Any:
        from azure.monitor.query import LogsQueryClient

        return self._monitor_client(
            "logs",
            lambda: LogsQueryClient(
                self._credential,
                endpoint=self.config.logs_endpoint,
                audience=self.config.logs_audience,
                transport=self._pool(),
                retry_total=0,
            ),
        )

    def _monitor_client(self, key: str, build: Any) -> Any:
        with self._lock:
            found = self._monitor.get(key)
            if found is None:
                found = self._monitor[key] = build()
            return found

    def close(self) -> None:
        with self._lock:
            sets, self._sets = list(self._sets.values()), {}
            extra, self._extra = list(self._extra.values()), {}
            monitors, self._monitor = list(self._monitor.values()), {}
        for client_set in sets:
            client_set.close()
        for client in extra + monitors:
            client.close()
        shared, self._shared = self._shared, None
        if shared is not None:
            shared.close_shared()
