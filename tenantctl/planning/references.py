"""What a planned private endpoint or diagnostic setting points at must exist, in the right region (pure).

The manifest checks the *form* of a subnet or workspace id (``validate``); only Azure knows whether it
exists. Azure refuses a private endpoint whose subnet is missing (``InvalidResourceReference``) or whose
virtual network is in another region than the endpoint (an endpoint is created in its virtual network's
region, Learn "What is a private endpoint?"), and a diagnostic setting whose workspace is missing. Those
would fail in the middle of an apply; the plan reports them first, naming the tenant and the manifest key.

Only endpoints and settings the plan creates or changes are checked (one read each, in observation's
lazy step), so a no-op plan reads nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Manifest
from tenantctl.planning.model import Action, Change
from tenantctl.resources import DiagnosticSetting, PrivateEndpoint, VaultKeys

__all__ = ["check_references", "references_needed"]

_CHECKED = (Action.CREATE, Action.REPLACE, Action.UPDATE, Action.RESTORE)


@dataclass(frozen=True)
class _Reference:
    resource_id: str
    what: str  # "subnet" / "Log Analytics workspace"
    path: str  # manifest key path
    owner: str  # "tenant acme" / "stamp eu1"
    tenant: str | None
    region: str | None  # the region the referrer needs it in (endpoints), None for any


def _endpoint_reference(manifest: Manifest, tenant_id: str, endpoint: PrivateEndpoint) -> _Reference | None:
    tenant = manifest.tenants.get(tenant_id)
    specs = tenant.network.private_endpoints if tenant is not None and tenant.network is not None else ()
    for index, spec in enumerate(specs):
        if spec.subnet_id.lower() == endpoint.subnet_id.lower():
            return _Reference(
                spec.subnet_id,
                "subnet",
                f"tenants.{tenant_id}.network.private_endpoints[{index}].subnet_id",
                f"tenant {tenant_id}",
                tenant_id,
                endpoint.location,
            )
    return None


def _setting_reference(manifest: Manifest, change: Change, setting: DiagnosticSetting) -> _Reference | None:
    if change.tenant is not None:
        tenant = manifest.tenants.get(change.tenant)
        if tenant is None or tenant.diagnostics is None:
            return None
        where, owner = f"tenants.{change.tenant}", f"tenant {change.tenant}"
    elif change.stamp is not None and change.stamp in manifest.stamps:
        where, owner = f"stamps.{change.stamp}", f"stamp {change.stamp}"
    else:
        return None
    return _Reference(
        setting.workspace_id, "Log Analytics workspace", f"{where}.diagnostics.workspace_id", owner, change.tenant, None
    )


def _references(manifest: Manifest, changes: Iterable[Change]) -> list[_Reference]:
    found: list[_Reference] = []
    for c in changes:
        after = c.after
        if c.action not in _CHECKED:
            continue
        reference: _Reference | None = None
        # An endpoint's subnet cannot change in place, so only a new (or replaced) endpoint needs a look.
        if isinstance(after, PrivateEndpoint) and c.tenant is not None and c.action is not Action.UPDATE:
            reference = _endpoint_reference(manifest, c.tenant, after)
        elif isinstance(after, DiagnosticSetting):
            reference = _setting_reference(manifest, c, after)
        elif isinstance(after, VaultKeys):
            reference = _Reference(
                after.vault_id, "Key Vault", "provider.key_vault.id", f"tenant {c.tenant}", c.tenant, None
            )
        if reference is not None:
            found.append(reference)
    return found


def references_needed(manifest: Manifest, changes: Iterable[Change]) -> tuple[str, ...]:
    """The ARM ids to look up before the plan can say its endpoints and settings will work (sorted)."""
    return tuple(sorted({r.resource_id for r in _references(manifest, changes)}, key=str.lower))


def check_references(
    manifest: Manifest, changes: Iterable[Change], found: Mapping[str, str | None], diags: Diagnostics
) -> None:
    """An error per missing subnet or workspace, and per endpoint in another region than its network."""
    for ref in _references(manifest, changes):
        key = ref.resource_id.lower()
        if key not in found:
            continue  # not read (a plan made from a saved observed state): apply will tell
        location = found[key]
        if location is None:
            ref_kind = {"subnet": "subnet", "Key Vault": "vault"}.get(ref.what, "workspace")
            diags.error(
                "missing-reference",
                f"{ref.owner}: {ref.path.rsplit('.', 1)[-1]} names a {ref.what} that does not exist",
                detail=f"{ref.resource_id} was not found; create the {ref_kind} first or correct the id",
                path=ref.path,
                tenant=ref.tenant,
            )
        elif ref.region is not None and location and _folded(location) != _folded(ref.region):
            diags.error(
                "wrong-region",
                f"{ref.owner}: the subnet's virtual network is in {location}, the private endpoint in {ref.region}",
                detail="A private endpoint is created in the region of its virtual network: set "
                f'location = "{_folded(location)}" on this endpoint, or use a subnet in {ref.region}',
                path=ref.path,
                tenant=ref.tenant,
            )


def _folded(region: str) -> str:
    return region.replace(" ", "").lower()
