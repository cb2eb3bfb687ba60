"""Azure lifecycle rules the diff alone does not know: soft delete, subdomains, protection (pure).

* A soft-deleted account keeps its name and subdomain for 48 h (research/arm-api.md §3.5), so a
  CREATE in its way would fail with FlagMustBeSetForRestore or CustomDomainInUse.  The plan says
  so *before* any write: with ``--purge-deleted`` (or ``provider.purge_deleted = true``) it plans
  a PURGE and then the CREATE; otherwise, when the deleted account is ours and is the very same
  account (name, group, region), it plans a RESTORE; otherwise it is an error naming both choices.
* A subdomain another resource holds is an error (subdomains are global DNS names).
* Replacing anything of a protected tenant is an error: protection means no outage by surprise.
* Replacing an account re-uses its soft-deleted name: blocked, with the two-step way to do it.
* Offboarding: with ``--purge-deleted`` (or ``provider.purge_deleted``), soft-deleted accounts of
  this manifest that nothing desired will use again (an offboarded tenant, a retired generation)
  are purged; never one tagged protected.  Purging is only ever on request.
"""

from __future__ import annotations

import dataclasses

from tenantctl import naming
from tenantctl.addresses import OnAccount, Purge, StampAddress, TenantAddress
from tenantctl.desired import TAG_PROTECTED, DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Account, DeletedAccount

__all__ = ["apply_lifecycle", "purge_offboarded"]


def _in_the_way(observed: ObservedState, account: Account) -> DeletedAccount | None:
    sub = account.ref.subscription_id
    deleted = observed.deleted_accounts.get(sub) or observed.deleted_accounts.get(sub.lower()) or ()
    subdomain = (account.custom_subdomain or "").lower()
    for d in sorted(deleted, key=lambda d: d.ref.key):
        if d.ref.name.lower() == account.ref.name.lower() or (
            subdomain and (d.custom_subdomain or "").lower() == subdomain
        ):
            return d
    return None


def _ours(manifest: Manifest, d: DeletedAccount) -> bool:
    return is_managed(d.tags) and d.tags.get(naming.TAG_MANIFEST) == manifest.provider.manifest_name


def _purgeable(manifest: Manifest, d: DeletedAccount) -> bool:
    """Only this manifest's own, unprotected soft-deleted accounts are ever purged."""
    return _ours(manifest, d) and d.tags.get(TAG_PROTECTED) != "true"


def _restorable(manifest: Manifest, d: DeletedAccount, account: Account) -> bool:
    return (
        d.ref.key == account.ref.key
        and d.location.replace(" ", "").lower() == account.location.lower()
        and _ours(manifest, d)
    )


def _soft_deleted(
    manifest: Manifest, change: Change, account: Account, d: DeletedAccount, *, purge: bool, diags: Diagnostics
) -> list[Change]:
    if purge and _purgeable(manifest, d):
        purge_change = Change(
            Purge(change.address),
            ResourceKind.ACCOUNT,
            Action.PURGE,
            d,
            None,
            reason=f"soft-deleted {d.ref.name} holds the name or subdomain {account.custom_subdomain}",
            tenant=change.tenant,
            stamp=change.stamp,
            account=d.ref,
        )
        return [
            purge_change,
            dataclasses.replace(change, depends_on=(*change.depends_on, purge_change.address)),
        ]
    if _restorable(manifest, d, account):
        diags.warning(
            "restore-soft-deleted",
            f"{change.address}: {account.ref.name} was soft-deleted and will be restored, not created anew",
            detail="a restored account comes back with the deployments it had; the plan re-applies the manifest's. "
            "To start from scratch instead, plan with --purge-deleted",
            tenant=change.tenant,
        )
        restore = dataclasses.replace(
            change,
            action=Action.RESTORE,
            before=d,
            reason="soft-deleted; restore recovers the same name and subdomain",
        )
        return [restore]
    if not _ours(manifest, d):
        owner = d.tags.get(naming.TAG_MANIFEST) if is_managed(d.tags) else None
        diags.error(
            "soft-deleted-in-the-way",
            f"{change.address}: soft-deleted account {d.ref.name} ({d.location}) holds the name or subdomain "
            f"{account.custom_subdomain!r} and is {f'managed by manifest {owner!r}' if owner else 'not ours'}",
            detail="tenantctl never purges or restores what it does not own: its owner may restore or purge it, "
            f"or it frees the name on its own after {d.scheduled_purge_date or 'the retention period'}; "
            "otherwise rename the tenant or stamp",
            tenant=change.tenant,
        )
        return [change]
    if not _purgeable(manifest, d):  # ours but protected: never purged, and not restorable here either
        diags.error(
            "soft-deleted-in-the-way",
            f"{change.address}: soft-deleted account {d.ref.name} ({d.location}) is protected and holds the name or "
            f"subdomain {account.custom_subdomain!r}; --purge-deleted never purges a protected account",
            detail="restore it (same name, resource group and region) or remove its tenantctl-protected tag first",
            tenant=change.tenant,
        )
        return [change]
    diags.error(
        "soft-deleted-in-the-way",
        f"{change.address}: soft-deleted account {d.ref.name} ({d.location}) holds the name or subdomain "
        f"{account.custom_subdomain!r} until {d.scheduled_purge_date or 'it is purged'}",
        detail=f"choose: purge it with --purge-deleted (needs Microsoft.CognitiveServices/locations/resourceGroups/"
        f"deletedAccounts/delete at subscription scope), or restore it: with provider.purge_deleted = false the "
        f"plan restores a soft-deleted account of ours that has the same name, resource group "
        f"({d.ref.resource_group}) and region ({d.location})",
        tenant=change.tenant,
    )
    return [change]


def apply_lifecycle(
    manifest: Manifest,
    observed: ObservedState,
    changes: list[Change],
    diags: Diagnostics,
    *,
    purge_deleted: bool,
) -> list[Change]:
    """``changes`` with soft-delete steps added; errors for what apply could not do."""
    purge = purge_deleted or manifest.provider.purge_deleted
    out: list[Change] = []
    for change in changes:
        after = change.after
        if change.action is Action.CREATE and isinstance(after, Account):
            d = _in_the_way(observed, after)
            if d is not None:
                out.extend(_soft_deleted(manifest, change, after, d, purge=purge, diags=diags))
                continue
            check = observed.subdomains.get(after.custom_subdomain or "")
            if check is not None and not check.available:
                diags.error(
                    "subdomain-taken",
                    f"{change.address}: custom subdomain {after.custom_subdomain!r} is taken by another resource",
                    detail=(check.reason or "subdomains are global") + "; choose another name_prefix or tenant id",
                    tenant=change.tenant,
                )
        if change.action is Action.REPLACE and change.kind is ResourceKind.ACCOUNT:
            # Re-creating the same name needs a purge *between* the delete and the create, which one
            # REPLACE cannot express; rather than risk deleting an account apply cannot re-create,
            # the plan is blocked and says how to do it in two steps.
            diags.error(
                "account-replace-needs-purge",
                f"{change.address}: replacing the account re-uses its name, which stays soft-deleted for 48 h",
                detail="do it in two applies: remove the tenant and apply --prune, then add it back with the new "
                "settings and apply --purge-deleted (the outage lasts from the first apply to the end of the second)",
                tenant=change.tenant,
            )
        if change.action is Action.REPLACE and _protected(manifest, change):
            if change.tenant in manifest.tenants:
                who, way = f"tenant {change.tenant!r} is protected", "set protected = false for this apply"
            else:
                who, way = "it is tagged tenantctl-protected=true in Azure", "remove that tag in Azure first"
            diags.error(
                "protected-replace",
                f"{change.address}: {who} and this would replace it ({change.reason})",
                detail=f"outage: {change.outage}. Revert the manifest change, or {way}",
                tenant=change.tenant,
            )
        out.append(change)
    return out


def _protected(manifest: Manifest, change: Change) -> bool:
    """A tenant's protection is the manifest's to give or take; anything else's is its tag in Azure.

    So a stamp resource (or a removed tenant's) tagged ``tenantctl-protected=true`` by hand is never
    replaced by surprise, just as prune never deletes it.
    """
    tenant = manifest.tenants.get(change.tenant or "")
    if tenant is not None:
        return tenant.protected
    return change.before is not None and change.before.tags.get(TAG_PROTECTED) == "true"


def purge_offboarded(
    manifest: Manifest, observed: ObservedState, desired: DesiredState, changes: list[Change]
) -> list[Change]:
    """PURGE changes for this manifest's soft-deleted accounts that no desired account will re-use."""
    wanted = {i.resource.ref.key for i in desired.items if isinstance(i.resource, Account)}
    handled = {c.account.key for c in changes if c.account is not None and c.action is Action.PURGE}
    out: list[Change] = []
    for _, deleted in sorted(observed.deleted_accounts.items()):
        for d in sorted(deleted, key=lambda d: d.ref.key):
            tags = d.tags
            ours = is_managed(tags) and tags.get(naming.TAG_MANIFEST) == manifest.provider.manifest_name
            if not ours or tags.get(TAG_PROTECTED) == "true" or d.ref.key in wanted | handled:
                continue
            handled.add(d.ref.key)
            tenant = tags.get(naming.TAG_TENANT)
            # By name, not number: the account is gone from the manifest, and the name is what is purged.
            owner = (
                TenantAddress.account(tenant) if tenant else StampAddress.account(str(tags.get(naming.TAG_STAMP)), None)
            )
            out.append(
                Change(
                    Purge(OnAccount(owner, d.ref.name)),
                    ResourceKind.ACCOUNT,
                    Action.PURGE,
                    d,
                    None,
                    reason="soft-deleted and no longer in the manifest (--purge-deleted): frees its name for good",
                    tenant=tenant,
                    stamp=tags.get(naming.TAG_STAMP),
                    account=d.ref,
                    phase=2,
                )
            )
    return out
