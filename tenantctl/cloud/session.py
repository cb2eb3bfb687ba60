"""Open the cloud a command talks to: real Azure, or the embedded emulator (``--emulator``).

The emulator mode is tenantctl's embedded default for newcomers, demos and pipeline dry runs: its
state lives in ``.tenantctl/`` of the working directory, so consecutive commands see one cloud. The
manifest's subscriptions are registered in the emulator's provider directory, with the emulator's
ready-made service principal as their Owner, so any manifest works out of the box.

A :class:`CloudSession` also knows how to verify tenant-provided accounts in the same cloud: through
the provider's multi-tenant app against Azure, or against the emulator, where the tenant admin's
consent and role assignment are simulated openly (see :mod:`tenantctl.emulator.tenant_admin`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.errors import UsageError

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.emulator import Emulator
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided.verification import ProbeEndpoints, ReportVerifier, RoleWait, Verifier

__all__ = ["CloudSession", "emulator_state_errors", "open_cloud", "open_embedded_emulator", "open_session"]


@dataclass
class CloudSession:
    """The provider-side cloud port, plus the way to reach tenant-provided accounts in that cloud."""

    cloud: CloudPort
    emulator: Emulator | None = None

    def tenant_verifier(
        self,
        manifest: Manifest,
        *,
        role_wait: RoleWait | None = None,
        endpoints: ProbeEndpoints | None = None,
        consent: bool = True,
        assign_role: bool = True,
    ) -> ReportVerifier:
        """The verifier of tenant-provided accounts in this cloud.

        Against the emulator it first plays each tenant's admin (``consent``/``assign_role`` False
        simulate an admin who has not done that step yet); against Azure it uses ``endpoints``.
        """
        from tenantctl.cloud import byo_probe

        if self.emulator is not None:
            return byo_probe.emulator_report_verifier(
                self.emulator, manifest, consent=consent, assign_role=assign_role, role_wait=role_wait
            )
        return byo_probe.report_verifier(endpoints=endpoints, role_wait=role_wait)

    def byo_verifier(self, manifest: Manifest, *, role_wait: RoleWait | None = None) -> Verifier:
        from tenantctl.tenant_provided.verification import json_verifier

        return json_verifier(self.tenant_verifier(manifest, role_wait=role_wait))

    def verify_tenant_provided(
        self, manifest: Manifest, *, tenants: Iterable[str] | None = None, role_wait: RoleWait | None = None
    ) -> dict[str, Any]:
        """Verification reports of the tenant-provided tenants (all, or those of ``tenants``); 2 ARM reads each."""
        from tenantctl.tenant_provided.verification import tenant_provided_ids, verify_all

        wanted = tenant_provided_ids(manifest, tenants)
        if not wanted:
            return {}
        verifier = self.byo_verifier(manifest, role_wait=role_wait)
        if tenants is None:
            return verify_all(manifest, verifier)
        return {tenant_id: verifier(manifest, tenant_id) for tenant_id in wanted}


def _embedded_settings() -> Any:
    from tenantctl.emulator import EmulatorSettings

    settings = EmulatorSettings()
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
def open_embedded_emulator(workdir: Path, subscriptions: Iterable[str] = ()) -> Iterator[Emulator]:
    """Start the emulator whose state lives in ``workdir/.tenantctl``; stop it on exit."""
    from tenantctl.emulator import Emulator

    state_dir = Path(workdir) / ".tenantctl" / "emulator"
    with emulator_state_errors(state_dir):
        emulator = Emulator.embedded(workdir, _embedded_settings()).start()
    try:
        with emulator_state_errors(state_dir):
            for subscription_id in sorted(set(subscriptions)):
                emulator.add_subscription(subscription_id, emulator.home_directory)
                emulator.assign_role(f"/subscriptions/{subscription_id}", emulator.provider.object_id, "Owner")
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def emulator_state_errors(state_dir: Path) -> Iterator[None]:
    """Starting the emulator on a state directory that is damaged (not SQLite, a bad CA file) or cannot
    be created (a file in the way, read-only) is a clear error naming the directory, not a crash."""
    import sqlite3

    try:
        yield
    except (OSError, sqlite3.DatabaseError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).split(". See ")[0]
        raise UsageError(
            f"the emulator cannot use its state directory {state_dir}: {type(exc).__name__}: {reason}",
            code="emulator-state",
            hint=f"It holds only the local emulator's cloud: move {state_dir} aside (or delete it) to start "
            "with an empty emulator, and make sure its parent is a writable directory.",
        ) from None


@contextmanager
def open_session(
    *, emulator: bool, workdir: Path | None = None, subscriptions: Iterable[str] = ()
) -> Iterator[CloudSession]:
    """Azure with the default credential chain, or the embedded emulator, for one command."""
    if emulator:
        from tenantctl.cloud.azure import connect_emulator

        with open_embedded_emulator(workdir or Path.cwd(), subscriptions) as emu:
            yield CloudSession(connect_emulator(emu), emu)
        return
    from tenantctl.cloud.azure import connect_azure

    yield CloudSession(connect_azure())


@contextmanager
def open_cloud(
    *, emulator: bool, workdir: Path | None = None, subscriptions: Iterable[str] = ()
) -> Iterator[CloudPort]:
    """Just the provider-side port (commands that never look at tenant-provided accounts)."""
    with open_session(emulator=emulator, workdir=workdir, subscriptions=subscriptions) as session:
        yield session.cloud
