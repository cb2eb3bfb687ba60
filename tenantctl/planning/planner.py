"""``make_plan``: manifest + observed state -> the Plan apply will run, and nothing else (pure).

Steps: placement (sticky, deterministic) -> desired state -> diff -> lifecycle rules (soft delete,
subdomains, protection) -> migration retirements (phase 3) -> tenant filter -> quota ledger -> order
and dependencies.  The diff never sees a migrating tenant's old generation (see
:mod:`tenantctl.planning.migration`): its new resources are plain creates and its old ones are never
pruned as orphans, only retired with ``retire``.  Every
problem becomes a diagnostic in the plan; an error blocks apply (``Plan.is_blocked``).
"""

from __future__ import annotations

from collections.abc import Iterable

from tenantctl.addresses import ResourceGroupAddress
from tenantctl.desired import desired_state
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observed import ObservedState
from tenantctl.planning.diff import diff
from tenantctl.planning.fingerprint import fingerprint
from tenantctl.planning.lifecycle import apply_lifecycle, purge_offboarded
from tenantctl.planning.migration import hosting_accounts, old_generations, retire_changes, split_observed
from tenantctl.planning.model import Action, Change, Plan, ResourceKind
from tenantctl.planning.order import order
from tenantctl.planning.placement import place
from tenantctl.planning.quota import ledger
from tenantctl.planning.tenant_provided import verification_diagnostics

__all__ = ["make_plan"]

_MAKING = (Action.CREATE, Action.RESTORE, Action.REPLACE)


def _account_key(change: Change) -> str:
    return change.account.key if change.account is not None else ""


def _only(manifest: Manifest, changes: list[Change], tenants: set[str]) -> list[Change]:
    """Changes of the selected tenants, plus the stamp accounts and groups those depend on."""
    stamps = {manifest.tenants[t].stamp for t in tenants if t in manifest.tenants} - {None}
    # A shared tenant's service *is* its stamp: every stamp account and shared deployment counts as its own.
    shared_stamps = {s.stamp for t in tenants if (s := manifest.tenants.get(t)) and s.isolation is Isolation.SHARED}
    on_stamps = [c for c in changes if c.tenant is None and c.stamp in stamps]
    kept = [c for c in changes if c.tenant in tenants]
    kept += [c for c in on_stamps if c.stamp in shared_stamps]
    accounts = {_account_key(c) for c in kept} - {""}
    kept += [
        c
        for c in on_stamps
        if c.stamp not in shared_stamps and c.kind is ResourceKind.ACCOUNT and _account_key(c) in accounts
    ]
    # A stamp account made for these tenants comes with its shared deployments, or it would be half-built.
    made = {_account_key(c) for c in kept if c.kind is ResourceKind.ACCOUNT and c.action in _MAKING}
    kept += [
        c
        for c in on_stamps
        if c.stamp not in shared_stamps and c.kind is not ResourceKind.ACCOUNT and _account_key(c) in made
    ]
    groups = {ResourceGroupAddress(c.account.subscription_id, c.account.resource_group) for c in kept if c.account}
    kept += [c for c in changes if c.kind is ResourceKind.RESOURCE_GROUP and c.address in groups]
    return kept


def make_plan(
    manifest: Manifest,
    observed: ObservedState,
    *,
    prune: bool = False,
    purge_deleted: bool = False,
    tenants: Iterable[str] | None = None,
    retire: bool = False,
) -> Plan:
    """The plan that makes Azure match ``manifest``, given what ``observed`` says Azure has.

    ``prune`` plans deletes of orphans tagged for this manifest (never protected ones);
    ``purge_deleted`` plans purges of soft-deleted accounts in the way of creates; ``tenants``
    limits the plan to those tenants (placement still considers all, so it stays the same);
    ``retire`` deletes migrating tenants' old generations once their new resources are live.
    Pure: same arguments, same plan.
    """
    diags = Diagnostics()
    placement = place(manifest, observed)
    diags.extend(placement.diagnostics)
    desired = desired_state(manifest, placement_hints=placement.hints)
    old = old_generations(manifest, observed)
    changes = diff(manifest, desired, split_observed(observed, old), diags, prune=prune, hold=hosting_accounts(old))
    changes = apply_lifecycle(manifest, observed, changes, diags, purge_deleted=purge_deleted)
    changes += retire_changes(manifest, desired, observed, old, diags, retire=retire)
    if purge_deleted:
        changes += purge_offboarded(manifest, observed, desired, changes)
    if tenants is not None:
        selected = set(tenants)
        changes = _only(manifest, changes, selected)
        diags = Diagnostics([d for d in diags if d.tenant is None or d.tenant in selected])
    book = ledger(manifest, observed, desired, changes)
    diags.extend(book.diagnostics)
    diags.extend(verification_diagnostics(manifest, observed.byo, tenants))
    return Plan(
        changes=order(changes, book.waits),
        quota=book.lines,
        diagnostics=diags,
        fingerprint=fingerprint(observed),
        manifest_name=manifest.provider.manifest_name,
    )
