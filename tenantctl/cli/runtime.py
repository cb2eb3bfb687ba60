"""The composition root: which cloud a command talks to, real Azure or the embedded emulator.

This is the one place that builds the Azure adapter (:mod:`tenantctl.cloud.azure`) or starts the
emulator; command modules ask it for a :class:`~tenantctl.cloud.session.CloudSession` and never import
either themselves (``lint-imports`` enforces it), so the core only ever sees the port.

The emulator mode is tenantctl's embedded default for newcomers, demos and pipeline dry runs: its
state lives in ``.tenantctl/`` of the working directory, so consecutive commands see one cloud. The
manifest's subscriptions are registered in the emulator's provider directory, with the emulator's
ready-made service principal as their Owner, so any manifest works out of the box. Tenant-provided
accounts are verified in the same cloud: through the provider's multi-tenant app against Azure, or
against the emulator, where the tenant admin's consent and role assignment are simulated openly (see
:mod:`tenantctl.emulator.tenant_admin`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.cloud.session import CloudSession
from tenantctl.clouds import is_endpoint_url
from tenantctl.errors import TenantctlError, UsageError

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.clouds import CloudDefinition
    from tenantctl.emulator import Emulator, EmulatorSettings
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided.verification import ProbeEndpoints, ReportVerifier, RoleWait

__all__ = [
    "EmulatorServe",
    "azure_session",
    "emulator_session",
    "emulator_state_errors",
    "generate_emulator_traffic",
    "offline_cloud",
    "open_cloud",
    "open_embedded_emulator",
    "open_manifest_session",
    "open_session",
    "request_cloud",
    "requested_cloud_problem",
    "selected_cloud",
    "serve_emulator",
]

# The global ``--cloud`` (or TENANTCTL_CLOUD), set once per invocation by the root command; it is only
# resolved inside a command's error boundary, so a bad name is a clear error, not a traceback.
_requested_cloud: list[str | None] = [None]


def request_cloud(name: str | None) -> None:
    """Remember ``--cloud`` for the command about to run (None: not given)."""
    _requested_cloud[0] = name.strip() if name and name.strip() else None


def requested_cloud_problem(manifest: Manifest) -> TenantctlError | None:
    """``validate --cloud NAME`` without touching the network: the named cloud must agree with the
    manifest's ``[provider] cloud`` and have every region the manifest deploys to. A custom ARM URL needs
    its metadata read, which ``validate`` never does: commands that talk to the cloud check it."""
    requested = _requested_cloud[0]
    if requested is None or is_endpoint_url(requested):
        return None
    try:
        offline_cloud(manifest)
    except TenantctlError as exc:
        return exc
    return None


def offline_cloud(manifest: Manifest) -> CloudDefinition:
    """The cloud of a command that makes no call (``byo consent-url``): ``--cloud NAME`` (checked against
    the manifest), else the manifest's own; only a ``--cloud`` URL is read (its metadata), as asked."""
    from tenantctl.manifest.semantics import implied_cloud

    requested = _requested_cloud[0]
    if requested is None:
        return implied_cloud(manifest)
    # emulator=True: a cloud *name* only, no environment, no az CLI, no metadata request
    return selected_cloud(manifest, emulator=not is_endpoint_url(requested))


def _declared_cloud(manifest: Manifest | None) -> str | None:
    from tenantctl.manifest.semantics import declared_cloud

    return declared_cloud(manifest) if manifest is not None else None


def _regions_in(cloud: CloudDefinition, manifest: Manifest | None) -> CloudDefinition:
    """A manifest that declares no cloud was validated against its provider region's cloud; the cloud
    chosen for it (--cloud, the environment, az) must have every region it deploys to."""
    from tenantctl.manifest.semantics import regions_outside_cloud

    outside = regions_outside_cloud(manifest, cloud) if manifest is not None else []
    if outside:
        region, where = outside[0]
        raise UsageError(
            f"region {region!r} ({'.'.join(map(str, where))}) is not in the {cloud.name} cloud this command talks to",
            code="region-not-in-cloud",
            hint="Choose the manifest's cloud with --cloud (or [provider] cloud), or use a region of "
            f"{cloud.name}: {', '.join(sorted(cloud.regions))}.",
        )
    return cloud


def selected_cloud(manifest: Manifest | None = None, *, emulator: bool = False) -> CloudDefinition:
    """The cloud a command talks to: ``--cloud``, else the manifest's, else the environment's, else the
    az CLI's active cloud, else AzureCloud (:func:`tenantctl.clouds.select_cloud`).

    With ``--emulator`` only a cloud *name* counts (the embedded emulator emulates that cloud: its regions,
    models and token audiences); the environment and az CLI describe real clouds and are not consulted.
    """
    from tenantctl.clouds import select_cloud

    requested = _requested_cloud[0]
    if emulator:

        def no_metadata(url: str) -> Any:
            raise UsageError(
                f"--cloud {requested} with --emulator: the embedded emulator emulates a known cloud, "
                "not a custom ARM endpoint",
                code="bad-cloud-endpoint",
                hint="Give --cloud AzureCloud, AzureUSGovernment or AzureChinaCloud, or drop --emulator "
                "to talk to that endpoint.",
            )

        emulated = select_cloud(
            requested=requested,
            manifest_cloud=_declared_cloud(manifest),
            env={},
            read_metadata=no_metadata,
            az_cli_cloud=lambda: None,
        )
        return _regions_in(emulated, manifest)
    from tenantctl.cloud.az_cli_cloud import az_cli_cloud
    from tenantctl.cloud.azure import read_cloud_metadata as read_metadata

    chosen = select_cloud(
        requested=requested,
        manifest_cloud=_declared_cloud(manifest),
        env=os.environ,
        read_metadata=read_metadata,
        az_cli_cloud=lambda: az_cli_cloud(os.environ, read_metadata),
    )
    return _regions_in(chosen, manifest)


@contextmanager
def open_session(
    *,
    emulator: bool,
    workdir: Path | None = None,
    subscriptions: Iterable[str] = (),
    manifest: Manifest | None = None,
) -> Iterator[CloudSession]:
    """Azure with the default credential chain, or the embedded emulator, for one command, in the
    cloud :func:`selected_cloud` picks (``manifest`` is the one the command works on, if any)."""
    cloud = selected_cloud(manifest, emulator=emulator)
    if emulator:
        from tenantctl.cloud.azure import connect_emulator

        with open_embedded_emulator(workdir or Path.cwd(), subscriptions, cloud=cloud.name) as emu:
            port = connect_emulator(emu)
            if manifest is not None:
                _seed_baseline(emu, port, manifest)
            yield emulator_session(port, emu)
        return
    from tenantctl.cloud.azure import connect_azure

    yield azure_session(connect_azure(cloud=cloud), cloud)


def azure_session(adapter: CloudPort, cloud: CloudDefinition) -> CloudSession:
    """A session whose tenant-provided accounts are probed at ``cloud``'s Entra and ARM hosts (unless a
    command names others, like ``byo verify --authority-host``)."""
    from tenantctl.cloud.session import entra_verifiers
    from tenantctl.tenant_provided.cache import VerificationCache
    from tenantctl.tenant_provided.verification import ProbeEndpoints

    def verifiers(
        manifest: Manifest,
        *,
        role_wait: RoleWait | None = None,
        endpoints: ProbeEndpoints | None = None,
        consent: bool = True,
        assign_role: bool = True,
    ) -> ReportVerifier:
        hosts = endpoints or ProbeEndpoints(cloud.authority_host, cloud.resource_manager, None, cloud.arm_scope)
        return entra_verifiers(manifest, role_wait=role_wait, endpoints=hosts, consent=consent, assign_role=assign_role)

    # Keyed by the ARM endpoint too: a served emulator and Azure never share a verdict.
    cache = VerificationCache.default(scope=cloud.resource_manager)
    return CloudSession(adapter, verifiers, verification_cache=cache)


def open_manifest_session(emulator: bool, manifest: Manifest) -> AbstractContextManager[CloudSession]:
    """The session for one command on ``manifest``: with --emulator, its subscriptions exist there."""
    from tenantctl.reconcile import manifest_subscriptions

    return open_session(emulator=emulator, subscriptions=manifest_subscriptions(manifest), manifest=manifest)


def _seed_baseline(emulator: Emulator, cloud: CloudPort, manifest: Manifest) -> None:
    """The provider's network, zones, workspace and vault the manifest references (tenantctl.emulator.seeding)."""
    from tenantctl.resources import ResourceGroup

    def ensure_group(subscription_id: str, resource_group: str, location: str) -> None:
        cloud.ensure_resource_group(ResourceGroup(subscription_id, resource_group, location))

    emulator.seed_baseline_references(manifest, ensure_group)


@contextmanager
def open_cloud(
    *, emulator: bool, workdir: Path | None = None, subscriptions: Iterable[str] = ()
) -> Iterator[CloudPort]:
    """Just the provider-side port (commands that never look at tenant-provided accounts)."""
    with open_session(emulator=emulator, workdir=workdir, subscriptions=subscriptions) as session:
        yield session.cloud


def emulator_session(cloud: CloudPort, emulator: Emulator) -> CloudSession:
    """A session whose tenant-provided accounts are verified in ``emulator`` (playing their admins first)."""

    def verifiers(
        manifest: Manifest,
        *,
        role_wait: RoleWait | None = None,
        endpoints: ProbeEndpoints | None = None,
        consent: bool = True,
        assign_role: bool = True,
    ) -> ReportVerifier:
        from tenantctl.cloud.byo_probe import emulator_report_verifier
        from tenantctl.render.slow_step import slow_step

        # The first run creates each tenant-provided account at Azure-like latency: ~10 s for the example.
        with slow_step("setting up the emulated tenant-provided accounts (their admins' onboarding)"):
            return emulator_report_verifier(
                emulator, manifest, consent=consent, assign_role=assign_role, role_wait=role_wait
            )

    from tenantctl.tenant_provided.cache import VerificationCache

    # Keyed by the emulator state's own subscription (a new state is a new world): a second plan on
    # the same state verifies nothing, exactly as against Azure within the TTL.
    cache = VerificationCache.default(scope=f"emulator:{emulator.subscription_id}")
    return CloudSession(cloud, verifiers, gateway_workspace=emulator.gateway_workspace_id, verification_cache=cache)


def _embedded_settings(cloud: str | None = None) -> EmulatorSettings:
    from tenantctl.emulator import EmulatorSettings

    settings = EmulatorSettings()
    if cloud is not None:
        settings.cloud = cloud  # the emulator is per cloud: its regions, models, metadata and audiences
    # Demos and tests may shorten Azure's write latency; the default stays Azure-like (seconds).
    lro = os.environ.get("TENANTCTL_EMULATOR_LRO_SECONDS")
    if lro:
        try:
            settings.lro_seconds = max(0.0, float(lro))
        except ValueError:
            raise UsageError(
                f"TENANTCTL_EMULATOR_LRO_SECONDS must be a number of seconds, got {lro!r}", code="bad-env"
            ) from None
        # Sub-second writes would still be polled only once a second if Azure's Retry-After stayed.
        if settings.lro_seconds < 1:
            settings.retry_after = 0
    return settings


@contextmanager
def open_embedded_emulator(
    workdir: Path, subscriptions: Iterable[str] = (), *, cloud: str | None = None
) -> Iterator[Emulator]:
    """Start the emulator (of ``cloud``, default AzureCloud) whose state lives in ``workdir/.tenantctl``;
    stop it on exit."""
    from tenantctl.emulator import Emulator

    state_dir = Path(workdir) / ".tenantctl" / "emulator"
    with emulator_state_errors(state_dir):
        emulator = Emulator.embedded(workdir, _embedded_settings(cloud)).start()
    try:
        with emulator_state_errors(state_dir):
            for subscription_id in sorted(set(subscriptions)):
                emulator.add_subscription(subscription_id, emulator.home_directory)
                emulator.assign_role(f"/subscriptions/{subscription_id}", emulator.provider.object_id, "Owner")
        yield emulator
    finally:
        emulator.stop()


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(". See ")[0]


@contextmanager
def emulator_state_errors(state_dir: Path) -> Iterator[None]:
    """Starting the emulator on a state directory that is damaged (not SQLite, a bad CA file) or cannot
    be created (a file in the way, read-only) is a clear error naming the directory, not a crash."""
    import sqlite3

    try:
        yield
    except (OSError, sqlite3.DatabaseError, ValueError) as exc:
        raise UsageError(
            f"the emulator cannot use its state directory {state_dir}: {type(exc).__name__}: {_reason(exc)}",
            code="emulator-state",
            hint=f"It holds only the local emulator's cloud: move {state_dir} aside (or delete it) to start "
            "with an empty emulator, and make sure its parent is a writable directory.",
        ) from None


@dataclass(frozen=True)
class EmulatorServe:
    """``emulator serve``'s options."""

    state: Path
    host: str
    port: int
    latency_ms: float
    lro_seconds: float
    fault_rate: float  # share of writes answered with a fault: 429, 500 or a dropped connection
    throttle: bool
    subscriptions: int = 1  # a pool of subscriptions in the provider's directory


def serve_emulator(options: EmulatorServe, *, on_ready: Callable[[dict[str, Any]], None]) -> None:
    """``emulator serve``: run the emulator in the foreground until Ctrl-C; ``on_ready`` gets its
    connection info once it listens. Failing to start (port taken, bad host, damaged state) is a clear
    error; a failure after ``on_ready`` is not a start-up problem and is raised as it is."""
    import sqlite3

    from tenantctl.emulator import EmulatorSettings, FaultSettings
    from tenantctl.emulator.serve import serve

    host, port, state, third = options.host, options.port, options.state, options.fault_rate / 3
    settings = EmulatorSettings(
        lro_seconds=options.lro_seconds,
        latency_ms=options.latency_ms,
        throttle=options.throttle,
        cloud=selected_cloud(emulator=True).name,  # `tenantctl --cloud AzureUSGovernment emulator serve`
    )
    faults = FaultSettings(rate_429=third, rate_5xx=third, drop_rate=third) if options.fault_rate > 0 else None
    started: list[bool] = []

    def ready(info: dict[str, Any]) -> None:
        started.append(True)
        on_ready(info)

    try:
        serve(
            state_dir=state.resolve(),
            settings=settings,
            host=host,
            port=port,
            on_ready=ready,
            faults=faults,
            subscriptions=options.subscriptions,
        )
    except (OSError, sqlite3.DatabaseError, ValueError) as exc:
        if started:
            raise
        raise UsageError(
            f"cannot start the emulator on {host}:{port} with state {state}: {type(exc).__name__}: {_reason(exc)}",
            code="emulator-start",
            hint="Choose a free --port (0 = any), a local --host, and a writable --state directory; "
            "a damaged state directory can be moved aside (it holds only the emulator's cloud).",
        ) from None


def generate_emulator_traffic(state_dir: Path, *, days: int, seed: int, tenants: list[str]) -> dict[str, Any]:
    """``emulator traffic``: deterministic usage written into the emulator state at ``state_dir``."""
    from tenantctl.emulator import Emulator

    emulator = Emulator(state_dir)
    try:
        return emulator.generate_traffic(days=days, seed=seed, tenants=tenants)
    finally:
        emulator.stop()
