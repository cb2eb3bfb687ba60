"""The diff: desired state vs observed state -> one Change per resource (pure).

For every desired resource, its observed twin is found by identity (account + name):

* missing                          -> CREATE (or REPLACE when the same address lives elsewhere,
                                      e.g. a tenant moved to another stamp)
* present, ours, fields equal      -> NOOP
* present, ours, fields differ     -> UPDATE, or REPLACE when a field cannot change in place
* present, not ours (untagged, or another manifest's) -> no change, an error: never touched

Observed resources tagged for *this* manifest that nothing desired claims are orphans: DELETE with
``prune`` only, never when tagged ``tenantctl-protected=true``, and never an account that still
holds something tenantctl does not own.  Soft-delete, ordering and quota are separate modules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from tenantctl import naming
from tenantctl.addresses import Address, OnAccount, ResourceGroupAddress, StampAddress, TenantAddress
from tenantctl.desired import TAG_PROTECTED, DesiredItem, DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.compare import field_changes, kind_of, merged_tags
from tenantctl.planning.model import Action, Change, FieldChange, Orphan, OrphanFate, Resource, ResourceKind
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
)
from tenantctl.wording import count_of

__all__ = ["diff", "diff_and_orphans"]

Child = Deployment | RaiPolicy | Blocklist | PrivateEndpoint | DiagnosticSetting | VaultKeys
Identity = tuple[str, str, str]  # (kind, account key, lower-cased name)


def _identity(resource: Resource) -> Identity:
    if isinstance(resource, (Account, DeletedAccount)):
        return ("account", resource.ref.key, resource.ref.name.lower())
    if isinstance(resource, (Deployment, RaiPolicy, Blocklist, PrivateEndpoint, DiagnosticSetting, VaultKeys)):
        return (kind_of(resource).value, resource.account.key, resource.name.lower())
    return ("resource-group", resource.subscription_id.lower(), resource.name.lower())


def _outage(before: Resource, after: Resource, children: int) -> str:
    if isinstance(before, Deployment) and isinstance(after, Deployment):
        old = f"{before.name!r} on {before.account.name} ({before.model} {before.sku})"
        new = f"{after.name!r} on {after.account.name} ({after.model} {after.sku})"
        return f"deployment {old} is unavailable from its delete until {new} is created; calls to it fail meanwhile"
    if isinstance(before, Account):
        return (
            f"account {before.ref.name} ({before.endpoint or before.custom_subdomain or before.ref.name}) and its "
            f"{count_of(children, 'deployment')} are unavailable from the delete until the new account and its "
            "deployments exist; the deleted name stays soft-deleted and must be purged before it can be re-created"
        )
    return f"{kind_of(before).value} {getattr(before, 'name', '')!r} is absent between delete and create"


class _Differ:
    def __init__(self, manifest: Manifest, observed: ObservedState, diags: Diagnostics) -> None:
        self.manifest = manifest
        self.obs = observed
        self.diags = diags
        self.name = manifest.provider.manifest_name
        self.ours: dict[Identity, Resource] = {}
        self.theirs: dict[Identity, Resource] = {}
        for account in observed.accounts.values():
            self._index(account)
            for child in self._children(account.ref):
                self._index(child)
        for account in observed.foreign_accounts.values():
            self.theirs[_identity(account)] = account
        self.found_orphans: list[Orphan] = []
        self.by_address: dict[Address, Resource] = {}
        for _, res in sorted(self.ours.items()):
            self.by_address.setdefault(self.address_of(res), res)

    def _children(self, ref: AccountRef) -> Iterable[Child]:
        yield from self.obs.deployments.get(ref.key, ())
        yield from self.obs.rai_policies.get(ref.key, ())
        yield from self.obs.blocklists.get(ref.key, ())
        yield from self.obs.private_endpoints.get(ref.key, ())
        yield from self.obs.diagnostic_settings.get(ref.key, ())
        yield from self.obs.vault_keys.get(ref.key, ())

    def _index(self, res: Resource) -> None:
        mine = is_managed(res.tags) and res.tags.get(naming.TAG_MANIFEST) == self.name
        (self.ours if mine else self.theirs)[_identity(res)] = res

    def address_of(self, res: Resource) -> Address:
        """The address an observed resource of ours answers to, from its tags and name."""
        tenant = res.tags.get(naming.TAG_TENANT)
        stamp = str(res.tags.get(naming.TAG_STAMP))  # untagged: "stamp.None...", as it always read
        if isinstance(res, ResourceGroup):
            return ResourceGroupAddress(res.subscription_id, res.name)
        if isinstance(res, (Account, DeletedAccount)):
            if tenant:
                return TenantAddress.account(tenant)
            return _stamp_address(stamp, res.ref.name, StampAddress.account)
        kind = kind_of(res)
        if tenant:
            return _tenant_child_address(tenant, res)
        return _stamp_address(stamp, res.account.name, lambda s, i: StampAddress(s, kind, i, res.name))

    # --- desired -> change -----------------------------------------------------------------
    def _not_ours(self, item: DesiredItem, other: Resource) -> None:
        owner = other.tags.get(naming.TAG_MANIFEST) if is_managed(other.tags) else None
        whose = f"managed by manifest {owner!r}" if owner else "not managed by tenantctl"
        self.diags.error(
            "not-ours",
            f"{item.address}: {_identity(other)[2]!r} already exists and is {whose}",
            detail="tenantctl never changes what it does not own: rename the tenant or stamp, or tag the "
            f"resource managed-by=tenantctl, tenantctl-manifest={self.name} to adopt it",
            tenant=item.tenant,
        )

    def _owned_by_another(self, item: DesiredItem, other: Resource) -> None:
        kind, owner = _owner(other) or ("", "")
        self.diags.error(
            "owned-by-another",
            f"{item.address}: {_identity(other)[2]!r} already exists and belongs to {kind} {owner!r}",
            detail="tenantctl never hands one owner's resource to another (a removed tenant's account must not "
            "become a stamp's, nor a stamp's a tenant's): rename the tenant or stamp, or remove the old owner "
            "and apply --prune first",
            tenant=item.tenant,
        )

    def _fresh(self, item: DesiredItem) -> tuple[Action, Resource | None, str, str | None]:
        """A desired resource Azure lacks: CREATE, or REPLACE when its address lives elsewhere."""
        want = item.resource
        moved = self.by_address.get(item.address)
        if moved is None or _identity(moved) not in self.ours or isinstance(want, Account):
            return Action.CREATE, None, "not in Azure yet", None
        del self.ours[_identity(moved)]
        where = _account_ref(moved).name
        return Action.REPLACE, moved, f"moves from {where} to {_account_ref(want).name}", _outage(moved, want, 0)

    def change(self, item: DesiredItem) -> Change | None:
        """The change that brings ``item`` about, or None (with an error) when it is not ours to make."""
        want: Resource = item.resource
        ident = _identity(want)
        if ident in self.theirs:
            self._not_ours(item, self.theirs[ident])
            return None
        have = self.ours.pop(ident, None)
        if have is not None and _owner(have) not in (None, _wanted_owner(item)):
            self.ours[ident] = have  # still whoever's it is: kept, or pruned as that owner's orphan
            self._owned_by_another(item, have)
            return None
        fields: tuple[FieldChange, ...] = ()
        outage: str | None = None
        after: Resource = want
        if have is None:
            action, have, reason, outage = self._fresh(item)
        else:
            fields = field_changes(have, want)
            after = merged_tags(want, have)
            forced = ", ".join(f.name for f in fields if f.forces_replace)
            if forced:
                action, reason = Action.REPLACE, f"{forced} cannot change in place"
                children = len(self.obs.deployments.get(have.ref.key, ())) if isinstance(have, Account) else 0
                outage = _outage(have, after, children)
            elif fields:
                action, reason = Action.UPDATE, _update_reason(have, fields)
            else:
                action, reason = Action.NOOP, ""
        return Change(
            item.address,
            kind_of(want),
            action,
            have,
            after,
            reason=reason,
            tenant=item.tenant,
            stamp=item.stamp,
            account=item.account,
            changed_fields=fields,
            outage=outage,
        )

    # --- orphans ---------------------------------------------------------------------------
    def orphans(self, *, prune: bool, taken: set[Address], hold: frozenset[str] = frozenset()) -> list[Change]:
        changes: list[Change] = []
        left = sorted(self.ours.values(), key=lambda r: (_identity(r)[0] != "account", _identity(r)))
        # Deleting an account deletes everything on it, so an orphan account is kept while it holds
        # anything not ours, anything protected, or anything in ``hold`` (a migrating tenant's old
        # generation, retired only with --retire).  Decided before any account is looked at: the
        # accounts come first in ``left``, their children after.
        blocked_accounts: set[str] = set(hold)
        for res in left:
            if isinstance(res, Account) and self._keeps_foreign(res):
                blocked_accounts.add(res.ref.key)
            if res.tags.get(TAG_PROTECTED) == "true":
                blocked_accounts.add(_account_ref(res).key)
        pending: list[str] = []
        kept: dict[str | None, list[str]] = {}
        for res in left:
            address = self.address_of(res)
            if address in taken:
                address = OnAccount(address, _account_ref(res).name)
            taken.add(address)
            tenant = res.tags.get(naming.TAG_TENANT)
            stamp, ref = res.tags.get(naming.TAG_STAMP), _account_ref(res)
            fate = _fate(res, blocked_accounts, prune=prune)
            name = res.ref.name if isinstance(res, (Account, DeletedAccount)) else getattr(res, "name", "")
            isolation = res.tags.get(naming.TAG_ISOLATION)
            self.found_orphans.append(Orphan(address, kind_of(res), name, fate, tenant, stamp, ref, isolation))
            if fate is OrphanFate.PROTECTED:
                kept.setdefault(tenant, []).append(str(address))
                continue
            if not prune:
                pending.append(str(address))
                continue
            if isinstance(res, Account) and res.ref.key in blocked_accounts:
                self.diags.warning(
                    "orphan-account-kept",
                    f"{address} is no longer in the manifest but still holds resources tenantctl does not own "
                    "or keeps: the account is not deleted",
                    tenant=tenant,
                )
                continue
            changes.append(
                Change(
                    address,
                    kind_of(res),
                    Action.DELETE,
                    res,
                    None,
                    reason="tagged for this manifest, gone from it (--prune)",
                    tenant=tenant,
                    stamp=stamp,
                    account=ref,
                    phase=2,
                )
            )
        for tenant, addresses in sorted(kept.items(), key=lambda kv: kv[0] or ""):
            self.diags.warning(
                "protected-orphan",
                f"tenant {tenant!r} is no longer in the manifest but is protected: its resources are kept",
                detail="kept: "
                + ", ".join(sorted(addresses))
                + ". Remove the tenantctl-protected tag in Azure first if it really should go",
                tenant=tenant,
            )
        if pending:
            self.diags.warning(
                "orphans",
                f"{count_of(len(pending), 'resource')} tagged for this manifest "
                f"{'is' if len(pending) == 1 else 'are'} no longer in it",
                detail="plan --prune deletes them: " + ", ".join(sorted(pending)),
            )
        return changes

    def _keeps_foreign(self, account: Account) -> bool:
        """An account holding anything not ours must not be deleted (Azure would take it along)."""
        return any(_identity(c) in self.theirs for c in self._children(account.ref))


def _fate(res: Resource, blocked_accounts: set[str], *, prune: bool) -> OrphanFate:
    """What apply does with an orphan: the rules of :meth:`_Differ.orphans`, as a value."""
    if res.tags.get(TAG_PROTECTED) == "true":
        return OrphanFate.PROTECTED
    if isinstance(res, Account) and res.ref.key in blocked_accounts:
        return OrphanFate.HOLDS_FOREIGN
    return OrphanFate.DELETED if prune else OrphanFate.PRUNING_DISABLED


def _tenant_child_address(tenant: str, res: Child) -> Address:
    if isinstance(res, PrivateEndpoint):
        return TenantAddress(tenant, kind_of(res), naming.private_endpoint_key(res.account.name, res.name))
    if isinstance(res, Deployment):
        return TenantAddress.deployment(tenant, res.name.removeprefix(naming.tenant_deployment_name(tenant, "")))
    return TenantAddress(tenant, kind_of(res))


def _stamp_address(stamp: str, account_name: str, build: Callable[[str, int], StampAddress]) -> Address:
    """A stamp resource's address: its account's index comes from the account's name (see naming).

    An account not named by :func:`naming.stamp_account_name` (tagged for a stamp by hand) has no
    index, so the address names it instead: ``stamp.<id>.account@<name>``.
    """
    index = naming.stamp_account_index(account_name)
    if index is None:
        return OnAccount(StampAddress.account(stamp, None), account_name)
    return build(stamp, index)


def _owner(res: Resource) -> tuple[str, str] | None:
    """Who an observed resource of ours belongs to, by its tags: a tenant, a stamp, or nobody yet."""
    tenant, stamp = res.tags.get(naming.TAG_TENANT), res.tags.get(naming.TAG_STAMP)
    if tenant:
        return ("tenant", tenant)
    return ("stamp", stamp) if stamp else None  # untagged owner: adopted by whoever wants it


def _wanted_owner(item: DesiredItem) -> tuple[str, str] | None:
    if item.tenant:
        return ("tenant", item.tenant)
    return ("stamp", item.stamp) if item.stamp else None


def _account_ref(res: Resource) -> AccountRef:
    if isinstance(res, (Account, DeletedAccount)):
        return res.ref
    if isinstance(res, ResourceGroup):  # never an orphan: groups are not observed
        return AccountRef(res.subscription_id, res.name, "")
    return res.account


def _update_reason(have: Resource, fields: tuple[FieldChange, ...]) -> str:
    names = ", ".join(f.name for f in fields)
    if (
        isinstance(have, Deployment)
        and have.version_upgrade_option == "OnceNewDefaultVersionAvailable"
        and any(f.name == "version" for f in fields)
    ):
        return (
            f"manifest and Azure differ in {names} (Azure upgrades versions itself under "
            "OnceNewDefaultVersionAvailable)"
        )
    return f"manifest and Azure differ in {names}"


def _cascade_replacements(changes: list[Change]) -> list[Change]:
    """Children of a replaced account are re-created with it, so they are replaced too."""
    replaced = {
        c.account.key
        for c in changes
        if c.kind is ResourceKind.ACCOUNT and c.action is Action.REPLACE and c.account is not None
    }
    out = []
    for c in changes:
        if (
            c.kind is not ResourceKind.ACCOUNT
            and c.account is not None
            and c.account.key in replaced
            and c.action in (Action.NOOP, Action.UPDATE)
        ):
            out.append(
                dataclasses.replace(
                    c,
                    action=Action.REPLACE,
                    reason=f"its account {c.account.name} is replaced",
                    outage="unavailable while its account is replaced",
                )
            )
        else:
            out.append(c)
    return out


def diff(
    manifest: Manifest,
    desired: DesiredState,
    observed: ObservedState,
    diags: Diagnostics,
    *,
    prune: bool,
    hold: frozenset[str] = frozenset(),
) -> list[Change]:
    """Changes (unordered, without dependencies) that make ``observed`` match ``desired``.

    ``hold`` are keys of accounts that must not be pruned whatever the diff sees on them: accounts
    hosting resources hidden from the diff (a migrating tenant's old generation on a stamp account).
    """
    return diff_and_orphans(manifest, desired, observed, diags, prune=prune, hold=hold)[0]


def diff_and_orphans(
    manifest: Manifest,
    desired: DesiredState,
    observed: ObservedState,
    diags: Diagnostics,
    *,
    prune: bool,
    hold: frozenset[str] = frozenset(),
) -> tuple[list[Change], tuple[Orphan, ...]]:
    """:func:`diff`, and every orphan with its fate (``status`` and ``inspect`` show them)."""
    differ = _Differ(manifest, observed, diags)
    changes: list[Change] = []
    for item in desired.items:
        if kind_of(item.resource) is ResourceKind.RESOURCE_GROUP:
            continue  # groups are decided once the account changes are known
        change = differ.change(item)
        if change is not None:
            changes.append(change)
    changes = _cascade_replacements(changes)
    touched = {
        (c.account.subscription_id.lower(), c.account.resource_group.lower())
        for c in changes
        if c.kind is ResourceKind.ACCOUNT and c.account is not None and c.action in (Action.CREATE, Action.RESTORE)
    }
    groups = []
    for item in desired.items:
        group = item.resource
        if not isinstance(group, ResourceGroup):
            continue
        key = (group.subscription_id.lower(), group.name.lower())
        if observed.group_exists(*key):
            groups.append(Change(item.address, ResourceKind.RESOURCE_GROUP, Action.NOOP, group, group))
        elif key in touched:
            groups.append(
                Change(
                    item.address,
                    ResourceKind.RESOURCE_GROUP,
                    Action.CREATE,
                    None,
                    group,
                    reason="ensured before the first account in it (idempotent)",
                )
            )
    taken = {c.address for c in changes} | {g.address for g in groups}
    changes = groups + changes + differ.orphans(prune=prune, taken=taken, hold=hold)
    return changes, tuple(differ.found_orphans)
