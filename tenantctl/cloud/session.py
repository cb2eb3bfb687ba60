"""The cloud one command talks to, as the core sees it: the provider-side port, plus the way to
verify tenant-provided accounts in that same cloud.

Which cloud that is (Azure, or the embedded emulator) is decided by the CLI's composition root,
:mod:`tenantctl.cli.runtime`; the core receives a :class:`CloudSession` and never chooses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.manifest.model import Manifest
    from tenantctl.tenant_provided.cache import VerificationCache
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


@dataclass
class CloudSession:
    """The provider-side cloud port, plus the way to reach tenant-provided accounts in that cloud."""

    cloud: CloudPort
    verifiers: VerifierFactory = entra_verifiers
    # Passed verifications of recent runs (None: verify every tenant on every run, as on the emulator,
    # whose world is new each run).
    verification_cache: VerificationCache | None = None
    # The gateway's Log Analytics workspace when the manifest names none (the emulator's own; usage).
    gateway_workspace: str | None = None

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
        self,
        manifest: Manifest,
        *,
        tenants: Iterable[str] | None = None,
        role_wait: RoleWait | None = None,
        reverify: bool = False,
    ) -> dict[str, Any]:
        """Verification reports of the tenant-provided tenants (all, or those of ``tenants``).

        A token and 2 ARM reads per tenant, except for tenants whose passed report is in the
        verification cache (``reverify`` ignores it, and still records what it finds).
        """
        from tenantctl.tenant_provided.onboarding import byo_target
        from tenantctl.tenant_provided.verification import tenant_provided_ids, verify_all

        wanted = tenant_provided_ids(manifest, tenants)
        if not wanted:
            return {}
        cache = self.verification_cache if self.verification_cache and self.verification_cache.enabled else None
        targets = {tenant_id: byo_target(manifest, tenant_id) for tenant_id in wanted} if cache else {}
        reports: dict[str, Any] = {}
        if cache is not None and not reverify:
            for tenant_id, target in targets.items():
                if (hit := cache.get(target)) is not None:
                    reports[tenant_id] = hit
        missing = [tenant_id for tenant_id in wanted if tenant_id not in reports]
        if missing:
            fresh = verify_all(manifest, self.byo_verifier(manifest, role_wait=role_wait), tenants=missing)
            reports.update(fresh)
            if cache is not None:
                cache.put_passed({targets[tenant_id]: fresh[tenant_id] for tenant_id in missing})
        return {tenant_id: reports[tenant_id] for tenant_id in wanted}
