"""The cloud one command talks to, as the core sees it: the provider-side port, plus the way to
verify tenant-provided accounts in that same cloud.

Which cloud that is (Azure, or the embedded emulator) is decided by the CLI's composition root,
:mod:`tenantctl.cli.runtime`; the core receives a :class:`CloudSession` and never chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided.verification import ProbeEndpoints, ReportVerifier, RoleWait, Verifier

__all__ = ["CloudSession", "VerifierFactory"]


class VerifierFactory(Protocol):
    """Builds the verifier of tenant-provided accounts for one cloud (chosen by the composition root)."""

    def __call__(
        self,
        manifest: Manifest,
        *,
        role_wait: RoleWait | None = None,
        endpoints: ProbeEndpoints | None = None,
        consent: bool = True,
        assign_role: bool = True,
    ) -> ReportVerifier: ...


def entra_verifiers(
    manifest: Manifest,
    *,
    role_wait: RoleWait | None = None,
    endpoints: ProbeEndpoints | None = None,
    consent: bool = True,
    assign_role: bool = True,
) -> ReportVerifier:
    """Against Azure: the provider's multi-tenant app signs in to each tenant's directory.

    ``consent`` and ``assign_role`` only matter on the emulator, where tenantctl plays the admin.
    """
    from tenantctl.cloud.byo_probe import report_verifier

    return report_verifier(endpoints=endpoints, role_wait=role_wait)


def no_gateway_workspace() -> str | None:
    return None


@dataclass
class CloudSession:
    """The provider-side cloud port, plus the way to reach tenant-provided accounts in that cloud."""

    cloud: CloudPort
    verifiers: VerifierFactory = entra_verifiers
    # The Log Analytics workspace the gateway's token metrics land in, when the cloud itself knows it
    # (the emulator has one); against Azure the command line names it.
    gateway_workspace: Callable[[], str | None] = no_gateway_workspace

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
        return self.verifiers(
            manifest, role_wait=role_wait, endpoints=endpoints, consent=consent, assign_role=assign_role
        )

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
