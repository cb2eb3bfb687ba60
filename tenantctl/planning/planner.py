"""``make_plan``: manifest + observed state -> the Plan apply will run, and nothing else (pure).

Steps: placement (sticky, deterministic) -> desired state -> diff -> lifecycle rules (soft delete,
subdomains, protection) -> migration retirements (phase 3) -> tenant filter -> quota ledger -> order
and dependencies.  They come in two halves so that ``plan`` diffs once although observation reads
in two steps: :func:`draft_plan` (placement, desired state, the diff: needs only the accounts,
deployments and filters) tells which lazy details it needs (:meth:`DraftPlan.details_needed`), and
:func:`finish_plan` completes it once they are read.  :func:`make_plan` is both halves in one call.

The diff never sees a migrating tenant's old generation (see
:mod:`tenantctl.planning.migration`): its new resources are plain creates and its old ones are never
pruned as orphans, only retired with ``retire``.  Every
problem becomes a diagnostic in the plan; an error blocks apply (``Plan.is_blocked``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tenantctl.addresses import ResourceGroupAddress
from tenantctl.desired import DesiredState
from tenantctl.diagnostics import Diagnostic, Diagnostics
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observation import DetailsNeeded, ObservedState, Region, manifest_groups
from tenantctl.planning.diff import diff_and_orphans
from tenantctl.planning.fine_tuned import check_fine_tuned_models
from tenantctl.planning.fingerprint import fingerprint
from tenantctl.planning.key_age import check_key_age
from tenantctl.planning.lifecycle import apply_lifecycle, purge_offboarded
from tenantctl.planning.migration import (
    OldGeneration,
    hosting_accounts,
    old_generations,
    retire_changes,
    split_observed,
)
from tenantctl.planning.model import Action, Change, Orphan, Plan, ResourceKind
from tenantctl.planning.order import order
from tenantctl.planning.placement import placed_desired_state
from tenantctl.planning.quota import ledger
from tenantctl.planning.references import check_references, references_needed
from tenantctl.planning.retirement import retiring_deployments
from tenantctl.planning.successors import (
    Predecessor,
    as_old_generations,
    mark_successor_creates,
    resolve_successors,
    retire_predecessors,
)
from tenantctl.resources import Account, Deployment
from tenantctl.tenant_provided.plan_checks import verification_diagnostics

__all__ = ["DraftPlan", "draft_plan", "finish_plan", "make_plan"]

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


@dataclass(frozen=True)
class DraftPlan:
    """The first half of a plan: the diff of the manifest against accounts, deployments and filters.

    None of it reads the lazy details (usages, model catalogues, deleted accounts, subdomain
    checks, tenant-provided verdicts): placement, the desired state and the diff look only at what
    step 1 of observation reads, so a draft made before the details are read is the draft a
    one-shot :func:`make_plan` makes after.  What the details decide comes in :func:`finish_plan`.
    """

    manifest: Manifest
    observed: ObservedState  # the state the diff saw (step 1 of observation is enough)
    desired: DesiredState
    old: dict[str, OldGeneration]
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...]
    orphans: tuple[Orphan, ...] = ()
    prune: bool = False
    purge_deleted: bool = False
    tenants: frozenset[str] | None = None
    retire: bool = False
    predecessors: tuple[Predecessor, ...] = ()  # deployments whose model/SKU changed (successors.py)

    def selected(self) -> list[Change]:
        """The diff's changes, limited to the selected tenants (and what they depend on)."""
        changes = list(self.changes)
        return changes if self.tenants is None else _only(self.manifest, changes, set(self.tenants))

    def details_needed(self) -> DetailsNeeded:
        """The lazy reads this plan needs: a no-op plan needs none.

        Usage and model catalogues matter only where the plan adds capacity or accounts; deleted
        accounts only in subscriptions where an account is created (or everywhere the manifest
        places accounts, with ``purge_deleted``: offboarded accounts are purged too); subdomain
        checks only for created accounts.  The lifecycle rules, retirements and ``prune`` only
        add deletes, restores and purges, which need none of them, so the draft's creates decide.
        """
        changes = self.selected()
        where = {a.ref.key: a.location for a in self.observed.accounts.values()}
        where.update({c.after.ref.key: c.after.location for c in changes if isinstance(c.after, Account)})
        regions: set[Region] = set()
        subs: set[str] = set()
        subdomains: set[tuple[str, str]] = set()
        for c in changes:
            after = c.after
            if isinstance(after, Account) and c.action is Action.CREATE:
                regions.add((after.ref.subscription_id, after.location))
                subs.add(after.ref.subscription_id)
                if after.custom_subdomain:
                    subdomains.add((after.ref.subscription_id, after.custom_subdomain))
            if isinstance(after, Deployment) and _adds_capacity(c) and after.account.key in where:
                regions.add((after.account.subscription_id, where[after.account.key]))
        if self.purge_deleted:
            subs.update(s for s, _ in manifest_groups(self.manifest))
        return DetailsNeeded(
            tuple(sorted(regions)),
            tuple(sorted(subs)),
            tuple(sorted(subdomains)),
            references_needed(self.manifest, changes),
        )


def _adds_capacity(change: Change) -> bool:
    """A deployment change that takes quota: a new one, a replacement, more capacity or another model."""
    after, before = change.after, change.before
    if not isinstance(after, Deployment) or change.action not in (Action.CREATE, Action.REPLACE, Action.UPDATE):
        return False
    return (
        not isinstance(before, Deployment)
        or change.action is Action.REPLACE
        or after.capacity > before.capacity
        or (after.model, after.version, after.sku) != (before.model, before.version, before.sku)
    )


def draft_plan(
    manifest: Manifest,
    observed: ObservedState,
    *,
    prune: bool = False,
    purge_deleted: bool = False,
    tenants: Iterable[str] | None = None,
    retire: bool = False,
) -> DraftPlan:
    """Placement, desired state and the diff (the expensive half); ``observed`` needs step 1 only.

    The options are :func:`make_plan`'s; they are kept on the draft for :func:`finish_plan`.
    """
    diags = Diagnostics()
    desired, placement = placed_desired_state(manifest, observed)
    diags.extend(placement.diagnostics)
    old = old_generations(manifest, observed)
    predecessors = resolve_successors(manifest, desired, observed).predecessors
    hidden = {**old, **as_old_generations(predecessors)}
    changes, orphans = diff_and_orphans(
        manifest, desired, split_observed(observed, hidden), diags, prune=prune, hold=hosting_accounts(hidden)
    )
    changes = mark_successor_creates(changes, predecessors)
    return DraftPlan(
        manifest,
        observed,
        desired,
        old,
        tuple(changes),
        tuple(diags),
        orphans,
        prune=prune,
        purge_deleted=purge_deleted,
        tenants=frozenset(tenants) if tenants is not None else None,
        retire=retire,
        predecessors=predecessors,
    )


def finish_plan(draft: DraftPlan, observed: ObservedState, *, today: date | None = None) -> Plan:
    """The plan: ``draft`` completed with what the lazy details decide (cheap: no diff, no placement).

    ``observed`` is the draft's state with the details merged in.  The details decide the quota
    ledger and pre-flight (usages, model availability), subdomain conflicts, and what to do with a
    soft-deleted account in the way of a create.  That last one does change the set of changes,
    and needs no second diff: the lifecycle rules rewrite the draft's CREATE into a RESTORE, or
    add a PURGE before it, change by change; ``--purge-deleted`` adds PURGEs of offboarded
    accounts, which no desired resource depends on.  Everything else in the draft stands.

    With ``today``, a deployment the plan creates with a version retiring within 90 days (by the
    region's catalogue, read because the plan adds capacity there) gets a ``model-retiring-soon``
    warning.
    """
    for name in ("accounts", "foreign_accounts", "deployments", "rai_policies", "blocklists"):
        seen, given = getattr(draft.observed, name), getattr(observed, name)
        if seen is not given and seen != given:
            raise ValueError(f"finish_plan: the observed {name} are not those the draft was made from")
    manifest, desired, tenants = draft.manifest, draft.desired, draft.tenants
    diags = Diagnostics(list(draft.diagnostics))
    changes = apply_lifecycle(manifest, observed, list(draft.changes), diags, purge_deleted=draft.purge_deleted)
    # Retirements need no detail, but stay after the lifecycle rules: diagnostics keep make_plan's order.
    changes += retire_changes(manifest, desired, observed, draft.old, diags, retire=draft.retire)
    changes += retire_predecessors(manifest, observed, draft.predecessors, diags, retire=draft.retire)
    if draft.purge_deleted:
        changes += purge_offboarded(manifest, observed, desired, changes)
    orphans = draft.orphans
    if tenants is not None:
        changes = _only(manifest, changes, set(tenants))
        diags = Diagnostics([d for d in diags if d.tenant is None or d.tenant in tenants])
        orphans = tuple(o for o in orphans if o.tenant in tenants)
    check_fine_tuned_models(observed, changes, diags)
    check_references(manifest, changes, observed.references, diags)
    check_key_age(manifest, observed, diags)
    book = ledger(manifest, observed, desired, changes)
    diags.extend(book.diagnostics)
    if today is not None:  # only what this plan would deploy: what runs is status's and inspect's to say
        retiring = retiring_deployments({}, observed.accounts, observed.models, changes, today=today)
        diags.extend(r.diagnostic() for r in retiring)
    diags.extend(verification_diagnostics(manifest, observed.byo, tenants))
    return Plan(
        changes=order(changes, book.waits),
        quota=book.lines,
        diagnostics=diags,
        fingerprint=fingerprint(observed),
        manifest_name=manifest.provider.manifest_name,
        orphans=orphans,
    )


def make_plan(
    manifest: Manifest,
    observed: ObservedState,
    *,
    prune: bool = False,
    purge_deleted: bool = False,
    tenants: Iterable[str] | None = None,
    retire: bool = False,
    today: date | None = None,
) -> Plan:
    """The plan that makes Azure match ``manifest``, given what ``observed`` says Azure has.

    ``prune`` plans deletes of orphans tagged for this manifest (never protected ones);
    ``purge_deleted`` plans purges of soft-deleted accounts in the way of creates; ``tenants``
    limits the plan to those tenants (placement still considers all, so it stays the same);
    ``retire`` deletes migrating tenants' old generations once their new resources are live;
    ``today`` enables the retirement warnings (:func:`finish_plan`).
    Pure: same arguments, same plan.  One shot of :func:`draft_plan` then :func:`finish_plan`.
    """
    draft = draft_plan(manifest, observed, prune=prune, purge_deleted=purge_deleted, tenants=tenants, retire=retire)
    return finish_plan(draft, observed, today=today)
