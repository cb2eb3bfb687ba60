"""``status`` (one row per tenant) and ``quota`` (per region x usage line, per stamp): pure builders.

``status`` data schema (``-o json``)::

    {"tenants": [{"tenant": str, "isolation": str, "where": str, "location": str|null,
                  "stamp": str|null, "deployments": [str], "state": "in sync"|"drift"|"missing"|
                  "error"|"unverified"|"not in manifest", "changes": int, "detail": str,
                  "drift": [as ``inspect``'s "drift" entries], "fate": null|str}],
     "counts": {"in sync": int, "drift": int, "missing": int, "error": int, "unverified": int,
                "not in manifest": int},

A tenant the manifest no longer names but whose tagged resources Azure still holds has a row
(state "not in manifest", isolation from its tags) whose ``fate`` says what apply does with them:
"deleted-by-apply" (planned with --prune), "kept-pruning-disabled" (apply --prune would delete
them), "kept-protected", "kept-holds-foreign" (an account holding what tenantctl does not own).
Drift is :mod:`tenantctl.inspection.drift`'s, the one ``inspect`` shows.
     "filters": {"isolation": str|null, "stamp": str|null, "drift_only": bool}, "total": int}

``quota`` data schema::

    {"lines": [{"subscription_id": str, "location": str, "usage_name": str, "model": str|null,
                "sku": str|null, "unit": "K TPM"|"PTU"|"accounts", "limit": float|null,
                "used": float|null, "allocated": float, "headroom": float|null}],
     "stamps": [{"stamp": str, "location": str, "accounts": int, "overcommit": float,
                 "deployments": [{"name": str, "model": str, "sku": str, "capacity": int,
                                  "capacity_tpm": int|null, "allowed_tpm": float|null,
                                  "budgets_tpm": int, "tenants": int, "utilisation": float|null}],
                 "shared_accounts": [{"account": str, "deployment": str, "tenants": [str],
                                      "budgets_tpm": int, "allowed_tpm": float|null,
                                      "utilisation": float|null}]}]}

``used``/``limit`` come from Azure's usages (null when the region was not listed); ``allocated``
is what the manifest asks for on that line; ``headroom`` = limit - max(used, allocated): what is
left for new tenants once the manifest is fully applied (quota used outside the manifest counts).
A stamp deployment's capacity is its capacity x 1,000 x the accounts carrying it (the first account
always; a grown one only where shared tenants live); ``utilisation`` = budgets / (capacity x
overcommit).  ``shared_accounts`` says where each shared tenant lives (the account routing sends it
to) and checks budgets where Azure enforces capacity: per account.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tenantctl import naming
from tenantctl.inspection.drift import DriftIndex, TenantDrift
from tenantctl.inspection.report import DriftView
from tenantctl.inspection.state import State, relevant_errors, tenant_state
from tenantctl.manifest.capacity import default_usage_name
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation, Manifest, ResolvedDeployment, capacity_unit
from tenantctl.manifest.shared_accounts import account_loads, budget_limit, shared_deployments_by_account
from tenantctl.observation import ObservedState, QuotaObservation
from tenantctl.planning.migration import RETIRE_PENDING
from tenantctl.planning.model import Action, Change, OrphanFate, Plan
from tenantctl.planning.pool_placement import PoolPlacement, place_in_pool
from tenantctl.planning.retirement import find_offer
from tenantctl.resources import ModelOffer
from tenantctl.wording import count_of

__all__ = [
    "FleetStatus",
    "QuotaLineView",
    "QuotaReport",
    "SharedAccountLine",
    "StampLine",
    "StampView",
    "StatusRow",
    "fleet_status",
    "quota_report",
]

_ACCOUNTS_USAGE = "OpenAI.S0.AccountCount"
_NOT_IN_SYNC = (State.DRIFT, State.MISSING, State.ERROR)


@dataclass(frozen=True)
class StatusRow:
    tenant: str
    isolation: str
    where: str
    location: str | None
    stamp: str | None
    deployments: tuple[str, ...]
    state: str
    changes: int
    detail: str
    drift: tuple[DriftView, ...] = ()
    fate: str | None = None  # tenants not in the manifest: what apply does with their resources


@dataclass(frozen=True)
class FleetStatus:
    rows: tuple[StatusRow, ...]
    counts: dict[str, int]
    filters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "tenants": [
                {**asdict(r), "deployments": list(r.deployments), "drift": [d.to_json() for d in r.drift]}
                for r in self.rows
            ],
            "counts": self.counts,
            "filters": self.filters,
            "total": len(self.rows),
        }


def _short(value: object) -> str:
    text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return text if len(text) <= 24 else text[:23] + "…"


def _detail(changes: list[Change]) -> str:
    """A few words on what differs: the first change in full, then how many more."""
    actionable = [c for c in changes if c.action.is_change and c.action is not Action.DELETE]
    if not actionable:
        return ""
    first = actionable[0]
    what = first.address.within_owner
    if first.changed_fields:
        f = first.changed_fields[0]
        text = f"{first.action.symbol} {what} {f.name} {_short(f.before)}→{_short(f.after)}"
    else:
        text = f"{first.action.symbol} {what}"
    return text + (f" (+{len(actionable) - 1} more)" if len(actionable) > 1 else "")


def _orphans_detail(drift: TenantDrift) -> str:
    """A tenant's orphans in a few words: how many, and what apply does with them."""
    if not drift.orphans:
        return ""
    fates = sorted({o.fate for o in drift.orphans}, key=list(OrphanFate).index)
    return f"{len(drift.orphans)} not in manifest: " + "; ".join(f.describe for f in fates)


def _orphaned_rows(manifest: Manifest, index: DriftIndex, isolation: str | None) -> list[StatusRow]:
    """Rows for tenants removed from the manifest whose tagged resources Azure still holds."""
    rows = []
    for tenant_id in index.orphaned_tenants(manifest):
        drift = index.of(manifest, tenant_id)
        found = [o for o in drift.orphans if o.account is not None]
        kind = next((o.isolation for o in drift.orphans if o.isolation), "unknown")
        if isolation and kind != isolation:
            continue
        # The row's fate is the most keeping one (the detail lists each): a protected resource stays.
        fate = max((o.fate for o in drift.orphans), key=list(OrphanFate).index)
        accounts = sorted({o.account.name for o in found if o.account is not None})
        rows.append(
            StatusRow(
                tenant_id,
                kind,
                ", ".join(accounts) or "-",
                None,
                next((o.stamp for o in drift.orphans if o.stamp), None),
                tuple(sorted(o.name for o in drift.orphans if o.kind.value == "deployment")),
                State.NOT_IN_MANIFEST.value,
                len(drift.pending),
                _orphans_detail(drift),
                drift.views,
                fate.value,
            )
        )
    return rows


def _verification_detail(verification: Mapping[str, Any] | None) -> str:
    if verification is None:
        return "not verified"
    if not verification.get("available"):
        return "verification unavailable: " + str(verification.get("reason", ""))
    failed = [c for c in verification.get("checks", []) if c.get("status") == "failed"]
    if failed:
        return f"{failed[0]['name']}: {failed[0]['summary']}"
    if verification.get("cached"):
        return f"verified (cached {str(verification.get('verified_at', ''))[11:16]} UTC)"
    return "verified"


def _where(manifest: Manifest, tenant_id: str) -> tuple[str, str | None, str | None]:
    t = manifest.tenants[tenant_id]
    if t.isolation is Isolation.DEDICATED:
        loc = manifest.tenant_location(tenant_id)
        return loc, loc, None
    if t.isolation is Isolation.TENANT_PROVIDED:
        name = (t.resource_id or "").rstrip("/").rsplit("/", 1)[-1]
        return f"{name} (own)", t.location, None
    on_stamp = manifest.tenant_location(tenant_id) or None
    return (f"{t.stamp} ({on_stamp})" if on_stamp else f"{t.stamp}"), on_stamp, t.stamp


def _deployment_names(manifest: Manifest, tenant_id: str) -> tuple[str, ...]:
    t = manifest.tenants[tenant_id]
    if t.isolation is Isolation.SHARED and t.stamp in manifest.stamps:
        return tuple(t.shared_deployments or (d.name for d in manifest.stamps[t.stamp].deployments))
    if t.isolation is Isolation.TENANT_PROVIDED:
        return tuple(t.expect_deployments)
    return tuple(d.name for d in manifest.tenant_deployment_specs(tenant_id))


def fleet_status(
    manifest: Manifest,
    plan: Plan,
    *,
    verifications: Mapping[str, Mapping[str, Any]] | None = None,
    isolation: str | None = None,
    stamp: str | None = None,
    drift_only: bool = False,
) -> FleetStatus:
    """One row per tenant (sorted by id) with its state from ``plan`` (a full, unfiltered plan).

    ``verifications`` are the tenant-provided verifier's results by tenant (``ObservedState.byo``).
    """
    verified = verifications or {}
    index = DriftIndex(plan)  # one pass: 1,000 tenants must not mean 1,000 scans of the plan
    errors = plan.diagnostics.errors
    rows = []
    for tenant_id in sorted(manifest.tenants):
        t = manifest.tenants[tenant_id]
        if (isolation and t.isolation.value != isolation) or (stamp and t.stamp != stamp):
            continue
        drift = index.of(manifest, tenant_id)
        changes = list(drift.changes)
        state = tenant_state(
            manifest,
            tenant_id,
            changes,
            relevant_errors(manifest, tenant_id, errors),
            verified.get(tenant_id),
            orphans=len(drift.orphans),
        )
        if drift_only and state not in _NOT_IN_SYNC:
            continue
        where, loc, on_stamp = _where(manifest, tenant_id)
        detail = _detail(changes) or _orphans_detail(drift)
        if state is State.MISSING:
            detail = f"{sum(1 for c in changes if c.action.is_change)} to create"
        waiting = sum(1 for c in changes if c.action is Action.NOOP and c.reason == RETIRE_PENDING)
        if state is State.IN_SYNC and waiting:
            # In sync and served by its new resources, but the old ones (a migration's old generation or
            # a changed deployment's predecessor) still cost quota until apply --retire: say so here too.
            detail = f"{count_of(waiting, 'old resource')} kept: {RETIRE_PENDING}"
        if t.isolation is Isolation.TENANT_PROVIDED:
            detail = _verification_detail(verified.get(tenant_id))
        if state is State.ERROR:
            found = relevant_errors(manifest, tenant_id, errors)
            detail = found[0].summary if found else detail
        rows.append(
            StatusRow(
                tenant_id,
                t.isolation.value,
                where,
                loc,
                on_stamp,
                _deployment_names(manifest, tenant_id),
                state.value,
                len(drift.pending),
                detail,
                drift.views,
            )
        )
    if stamp is None:
        rows.extend(_orphaned_rows(manifest, index, isolation))
        rows.sort(key=lambda r: r.tenant)
    counts = Counter(r.state for r in rows)
    filters = {"isolation": isolation, "stamp": stamp, "drift_only": drift_only}
    return FleetStatus(tuple(rows), {s.value: counts.get(s.value, 0) for s in State}, filters)


# ------------------------------------------------------------------------------------- quota


@dataclass(frozen=True)
class QuotaLineView:
    subscription_id: str
    location: str
    usage_name: str
    model: str | None
    sku: str | None
    unit: str
    limit: float | None
    used: float | None
    allocated: float
    headroom: float | None


@dataclass(frozen=True)
class StampLine:
    name: str
    model: str
    sku: str
    capacity: int
    capacity_tpm: int | None
    allowed_tpm: float | None
    budgets_tpm: int
    tenants: int
    utilisation: float | None


@dataclass(frozen=True)
class SharedAccountLine:
    """One shared deployment on one stamp account: the shared tenants living there and their budgets."""

    account: str
    deployment: str
    tenants: tuple[str, ...]
    budgets_tpm: int
    allowed_tpm: float | None
    utilisation: float | None


@dataclass(frozen=True)
class StampView:
    stamp: str
    location: str
    accounts: int
    overcommit: float
    deployments: tuple[StampLine, ...]
    shared_accounts: tuple[SharedAccountLine, ...] = ()


@dataclass(frozen=True)
class QuotaReport:
    lines: tuple[QuotaLineView, ...]
    stamps: tuple[StampView, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [asdict(line) for line in self.lines],
            "stamps": [
                {
                    **asdict(s),
                    "deployments": [asdict(d) for d in s.deployments],
                    "shared_accounts": [asdict(a) for a in s.shared_accounts],
                }
                for s in self.stamps
            ],
        }


def _usage_name(offers: tuple[ModelOffer, ...], model: str, version: str, sku: str) -> str:
    offer = find_offer(offers, model, version, sku)
    return offer.usage_name if offer else default_usage_name(sku, model)


def _stamp_accounts(manifest: Manifest, obs: QuotaObservation) -> Counter[str]:
    found: Counter[str] = Counter(a.tags.get(naming.TAG_STAMP, "") for a in obs.accounts if naming.TAG_STAMP in a.tags)
    # Accounts shared tenants are assigned to count even before they exist: the plan creates them.
    return Counter({s: max(1, found.get(s, 0), *shared_deployments_by_account(manifest, s)) for s in manifest.stamps})


def _allocations(
    manifest: Manifest, obs: QuotaObservation, accounts: Counter[str]
) -> dict[tuple[str, str, str], float]:
    """Capacity the manifest asks for, per (subscription, location, usage name)."""
    alloc: dict[tuple[str, str, str], float] = defaultdict(float)

    def add(sub: str, loc: str, d: ResolvedDeployment, amount: float) -> None:
        alloc[(sub, loc, _usage_name(obs.models.get((sub, loc), ()), d.model, d.version, d.sku))] += amount

    pool = _pool_placement(manifest, obs, accounts)
    for stamp_id, stamp in manifest.stamps.items():
        if stamp_id not in pool.stamp_homes:
            continue  # the pool has no room for the stamp: plan says so
        sub = pool.stamp_homes[stamp_id][0]
        alloc[(sub, stamp.location, _ACCOUNTS_USAGE)] += accounts[stamp_id]
        carrying = _carrying(manifest, stamp_id)
        for d in manifest.stamp_deployments(stamp_id):
            add(sub, stamp.location, d, d.capacity * carrying[d.name])
    for tenant_id, t in manifest.tenants.items():
        if t.isolation is Isolation.DEDICATED:
            if tenant_id not in pool.homes:
                continue  # the pool has no room: plan says so
            sub, loc = pool.homes[tenant_id][0], manifest.tenant_location(tenant_id)
            alloc[(sub, loc, _ACCOUNTS_USAGE)] += 1
        elif t.isolation is Isolation.DEDICATED_DEPLOYMENT and t.stamp is not None and t.stamp in pool.stamp_homes:
            sub, loc = pool.stamp_homes[t.stamp][0], manifest.stamps[t.stamp].location
        else:
            continue
        for d in manifest.resolved_deployments(tenant_id):
            add(sub, loc, d, d.capacity)
    return alloc


def _pool_placement(manifest: Manifest, obs: QuotaObservation, stamp_accounts: Counter[str]) -> PoolPlacement:
    """Where each dedicated tenant and stamp is, or where a plan would place it (one answer with plan's)."""
    observed = ObservedState(accounts={a.ref.key: a for a in obs.accounts}, usages=obs.usages, models=obs.models)
    return place_in_pool(manifest, observed, stamp_accounts)


def _split(usage_name: str) -> tuple[str | None, str | None, str]:
    if usage_name == _ACCOUNTS_USAGE:
        return None, None, "accounts"
    parts = usage_name.split(".", 2)
    if len(parts) == 2 and parts[1] in PROVISIONED_SKUS:
        return None, parts[1], capacity_unit(parts[1])  # PTU quota is model-independent
    if len(parts) != 3:
        return None, None, "count"
    _, sku, model = parts
    return model, sku, capacity_unit(sku)


def quota_report(manifest: Manifest, obs: QuotaObservation, *, location: str | None = None) -> QuotaReport:
    """Per region x usage line: limit, used, allocated, headroom; per stamp: budgets vs capacity."""
    accounts = _stamp_accounts(manifest, obs)
    alloc = _allocations(manifest, obs, accounts)
    keys = {k for k, v in alloc.items() if v}
    usages = {(u.subscription_id, u.location, u.usage_name): u for us in obs.usages.values() for u in us}
    keys.update(k for k, u in usages.items() if u.current and k[2] != "AccountCount")
    lines = []
    for sub, loc, name in sorted(keys):
        if location and loc.lower() != location.lower():
            continue
        u = usages.get((sub, loc, name))
        model, sku, unit = _split(name)
        listed = (sub, loc) in obs.usages
        used = (u.current if u else 0.0) if listed else None
        limit = (u.limit if u else 0.0) if listed else None
        allocated = alloc.get((sub, loc, name), 0.0)
        # What is left once the manifest is fully applied: quota used outside it counts too.
        headroom = None if used is None or limit is None else limit - max(used, allocated)
        lines.append(QuotaLineView(sub, loc, name, model, sku, unit, limit, used, allocated, headroom))
    return QuotaReport(tuple(lines), _stamps(manifest, accounts, location))


def _stamps(manifest: Manifest, accounts: Counter[str], location: str | None) -> tuple[StampView, ...]:
    views = []
    for stamp_id in sorted(manifest.stamps):
        stamp = manifest.stamps[stamp_id]
        if location and stamp.location.lower() != location.lower():
            continue
        names = tuple(d.name for d in stamp.deployments)
        carrying = _carrying(manifest, stamp_id)
        lines = []
        for d in manifest.stamp_deployments(stamp_id):
            riders = [
                t
                for t in manifest.tenants.values()
                if t.isolation is Isolation.SHARED and t.stamp == stamp_id and d.name in (t.shared_deployments or names)
            ]
            budgets = sum(t.tpm or 0 for t in riders)
            capacity = None if d.sku in PROVISIONED_SKUS else d.capacity * 1000 * carrying[d.name]
            allowed = None if capacity is None else capacity * stamp.overcommit
            share = budgets / allowed if allowed else None
            lines.append(StampLine(d.name, d.model, d.sku, d.capacity, capacity, allowed, budgets, len(riders), share))
        views.append(
            StampView(
                stamp_id,
                stamp.location,
                accounts[stamp_id],
                stamp.overcommit,
                tuple(lines),
                _shared_accounts(manifest, stamp_id),
            )
        )
    return tuple(views)


def _carrying(manifest: Manifest, stamp_id: str) -> Counter[str]:
    """How many of the stamp's accounts carry each shared deployment (the desired state's rule)."""
    return Counter(n for names in shared_deployments_by_account(manifest, stamp_id).values() for n in names)


def _shared_accounts(manifest: Manifest, stamp_id: str) -> tuple[SharedAccountLine, ...]:
    """Where each shared tenant lives: per stamp account and shared deployment, its tenants and budgets."""
    specs = {d.name: d for d in manifest.stamps[stamp_id].deployments}
    rows = []
    for index, per_name in sorted(account_loads(manifest, stamp_id).items()):
        account = naming.stamp_account_name(manifest.provider.name_prefix, stamp_id, index)
        for name, users in sorted(per_name.items()):
            spec = specs.get(name)
            limit = budget_limit(manifest, stamp_id, spec) if spec is not None else None
            total = sum(users.values())
            rows.append(
                SharedAccountLine(
                    account,
                    name,
                    tuple(sorted(users)),
                    total,
                    None if limit is None else float(limit),
                    total / limit if limit else None,
                )
            )
    return tuple(rows)
