"""The cloud one command talks to, as the core sees it: the provider-side port, plus the way to
verify tenant-provided accounts in that same cloud.

Which cloud that is (Azure, or the embedded emulator) is decided by the CLI's composition root,
:mod:`tenantctl.cli.runtime`; the core receives a :class:`CloudSession` and never chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantctl.cloud.byo_probe import RoleWait, Verifier
    from tenantctl.cloud.port import CloudPort
    from tenantctl.manifest.model import Manifest

__all__ = ["CloudSession", "VerifierFactory"]

VerifierFactory = Callable[["Manifest", "RoleWait | None"], "Verifier"]


def entra_verifiers(manifest: Manifest, role_wait: RoleWait | None) -> Verifier:
    """Against Azure: the provider's multi-tenant app signs in to each tenant's directory."""
    from tenantctl.cloud.byo_probe import byo_verifier

    return byo_verifier(role_wait=role_wait)


@dataclass
class CloudSession:
    """The provider-side cloud port, plus the way to reach tenant-provided accounts in that cloud."""

    cloud: CloudPort
    verifiers: VerifierFactory = entra_verifiers

    def byo_verifier(self, manifest: Manifest, *, role_wait: RoleWait | None = None) -> Verifier:
        return self.verifiers(manifest, role_wait)

    def verify_tenant_provided(
        self, manifest: Manifest, *, tenants: Iterable[str] | None = None, role_wait: RoleWait | None = None
    ) -> dict[str, Any]:
        """Verification reports of the tenant-provided tenants (all, or those of ``tenants``); 2 ARM reads each."""
        from tenantctl.manifest.model import Isolation

        wanted = [
            tenant_id
            for tenant_id, spec in sorted(manifest.tenants.items())
            if spec.isolation is Isolation.TENANT_PROVIDED and (tenants is None or tenant_id in set(tenants))
        ]
        if not wanted:
            return {}
        from tenantctl.cloud.byo_probe import verify_all

        verifier = self.byo_verifier(manifest, role_wait=role_wait)
        if tenants is None:
            return verify_all(manifest, verifier)
        return {tenant_id: verifier(manifest, tenant_id) for tenant_id in wanted}
