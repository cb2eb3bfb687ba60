"""The quota ledger: what the plan needs from each quota line, checked before any write (pure).

Quota is per subscription x region x usage name (model and deployment type), shared by every
account there (research/arm-api.md §3.4).  For each touched line::

    headroom = limit - used + frees - need

``need`` is capacity the plan adds (creates, increases, the new side of replacements), ``frees``
what it releases (deletes, decreases, the old side of replacements).  A negative headroom is the
error ``quota-short``, so the plan fails where Azure's InsufficientQuota would have failed half-way
through an apply.  Where a line only fits thanks to what the plan frees, the consumers depend on
the freeing changes (and those run first), because quota is released only once they are done.

Also checked: the model catalogue (model/version/sku offered in the region, capacity bounds),
accounts per region per subscription (30), deployments per account (32) and shared-tenant budgets
against the capacity x overcommit of the stamp account each tenant lives on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tenantctl import naming
from tenantctl.addresses import Address
from tenantctl.desired import DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.capacity import default_usage_name
from tenantctl.manifest.fine_tuned import is_fine_tuned
from tenantctl.manifest.model import Manifest
from tenantctl.manifest.shared_accounts import budget_overflows
from tenantctl.observation import ObservedState, Region
from tenantctl.planning.model import Action, Change, QuotaLine, ResourceKind
from tenantctl.resources import Account, Deployment, ModelOffer
from tenantctl.wording import count_of

__all__ = ["ACCOUNTS_PER_REGION", "ACCOUNT_USAGE", "DEPLOYMENTS_PER_ACCOUNT", "Ledger", "ledger"]

ACCOUNTS_PER_REGION = 30
DEPLOYMENTS_PER_ACCOUNT = 32
ACCOUNT_USAGE = "OpenAI.S0.AccountCount"

LineKey = tuple[str, str, str]  # (subscription, location, lower-cased usage name)


@dataclass(frozen=True)
class Ledger:
    lines: tuple[QuotaLine, ...]
    diagnostics: Diagnostics
    # consumer address -> freeing addresses it must wait for
    waits: dict[Address, tuple[Address, ...]] = field(default_factory=dict)


def _offer(offers: tuple[ModelOffer, ...], d: Deployment) -> ModelOffer | None:
    want = (d.model.lower(), d.version.lower(), d.sku.lower())
    return next((o for o in offers if (o.model.lower(), o.version.lower(), o.sku.lower()) == want), None)


class _Book:
    def __init__(self, manifest: Manifest, observed: ObservedState, changes: list[Change]) -> None:
        self.obs = observed
        self.need: dict[LineKey, float] = defaultdict(float)
        self.frees: dict[LineKey, float] = defaultdict(float)
        self.names: dict[LineKey, str] = {}
        self.consumers: dict[LineKey, list[Address]] = defaultdict(list)
        self.freers: dict[LineKey, list[Address]] = defaultdict(list)
        # Per line and change: what it needs minus what it frees (a replace does both, delete first).
        self.net: dict[LineKey, dict[Address, float]] = defaultdict(lambda: defaultdict(float))
        # Where each account is: the plan's own account records first, then what was observed.
        self.where: dict[str, Account] = {a.ref.key: a for a in observed.accounts.values()}
        for c in changes:
            if isinstance(c.after, Account):
                self.where[c.after.ref.key] = c.after

    def region(self, d: Deployment) -> Region | None:
        account = self.where.get(d.account.key)
        return None if account is None else (d.account.subscription_id, account.location)

    def line(self, d: Deployment) -> LineKey | None:
        region = self.region(d)
        if region is None or is_fine_tuned(d.model):
            # A fine-tuned deployment's quota line was not researched (no region lists the model): Azure
            # answers InsufficientQuota at apply if short; the ledger books nothing rather than a guess.
            return None
        offer = _offer(self.obs.models.get(region, ()), d)
        name = offer.usage_name if offer else default_usage_name(d.sku, d.model)
        key = (region[0], region[1], name.lower())
        self.names.setdefault(key, name)
        return key

    def add(self, d: Deployment, amount: float, address: Address) -> None:
        key = self.line(d)
        if key is not None and amount:
            self.need[key] += amount
            self.consumers[key].append(address)
            self.net[key][address] += amount

    def free(self, d: Deployment, amount: float, address: Address) -> None:
        key = self.line(d)
        if key is not None and amount:
            self.frees[key] += amount
            self.freers[key].append(address)
            self.net[key][address] -= amount

    def book(self, c: Change) -> None:
        before = c.before if isinstance(c.before, Deployment) else None
        after = c.after if isinstance(c.after, Deployment) else None
        if c.action is Action.UPDATE and before and after and self.line(before) == self.line(after):
            delta = after.capacity - before.capacity
            if delta > 0:
                self.add(after, delta, c.address)
            else:
                self.free(before, -delta, c.address)
            return
        if before is not None and c.action in (Action.DELETE, Action.REPLACE, Action.UPDATE):
            self.free(before, before.capacity, c.address)
        if after is not None and c.action in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            self.add(after, after.capacity, c.address)


def _deployment_lines(book: _Book, diags: Diagnostics) -> tuple[list[QuotaLine], dict[Address, tuple[Address, ...]]]:
    lines: list[QuotaLine] = []
    waits: dict[Address, tuple[Address, ...]] = {}
    for key in sorted(set(book.need) | set(book.frees)):
        sub, loc, _ = key
        name = book.names[key]
        usages = book.obs.usages.get((sub, loc))
        if usages is None:
            if book.need.get(key):
                diags.warning(
                    "quota-unknown",
                    f"quota {name} in {loc} was not read; the plan cannot check it",
                    detail=f"subscription {sub}",
                )
            continue
        usage = next((u for u in usages if u.usage_name.lower() == key[2]), None)
        used, limit = (usage.current, usage.limit) if usage else (0.0, 0.0)
        line = QuotaLine(
            sub,
            loc,
            usage.usage_name if usage else name,
            book.need.get(key, 0.0),
            book.frees.get(key, 0.0),
            used,
            limit,
        )
        lines.append(line)
        if line.need and line.is_short:
            diags.error(
                "quota-short",
                f"quota {line.usage_name} in {loc} is short by {-line.headroom:g}",
                detail=f"need {line.need:g}, limit {limit:g}, used {used:g}, frees {line.frees:g}, headroom "
                f"{line.headroom:g} (subscription {sub})"
                + ("" if usage else "; the region reports no such quota line (model or SKU not available)")
                + ". Lower capacities, request more quota, or use another region or SKU",
            )
        elif line.need and used + line.need > limit:
            # Changes that need more than they free wait for those that free more than they need
            # (those never wait: a replace frees its old side before it makes the new one), so the
            # waits can never form a cycle, as two replaces waiting for each other would.
            net = book.net[key]
            givers = sorted(a for a, amount in net.items() if amount < 0)
            for consumer in sorted(a for a, amount in net.items() if amount > 0):
                waits[consumer] = tuple(sorted({*waits.get(consumer, ()), *givers}))
    return lines, waits


def _catalogue(book: _Book, changes: list[Change], diags: Diagnostics) -> None:
    for c in changes:
        d = c.after
        if not isinstance(d, Deployment) or c.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
            continue
        if is_fine_tuned(d.model):
            continue  # not in any region's catalogue: checked against its account's list (fine_tuned.py)
        region = book.region(d)
        offers = book.obs.models.get(region) if region else None
        if region is None or offers is None:
            continue  # catalogue not read: only regions where the plan adds capacity are
        offer = _offer(offers, d)
        if offer is None:
            known = sorted({f"{o.version}/{o.sku}" for o in offers if o.model.lower() == d.model.lower()})
            diags.error(
                "model-not-offered",
                f"{c.address}: {d.model} {d.version} ({d.sku}) is not offered in {region[1]}",
                detail=("offered versions/SKUs of this model: " + ", ".join(known))
                if known
                else "the region offers no such model",
                tenant=c.tenant,
            )
        elif d.capacity < offer.min_capacity or (offer.max_capacity and d.capacity > offer.max_capacity):
            diags.error(
                "capacity-out-of-range",
                f"{c.address}: capacity {d.capacity} is outside {offer.min_capacity}–{offer.max_capacity} "
                f"for {d.model} {d.version} ({d.sku})",
                tenant=c.tenant,
            )


def _accounts(book: _Book, changes: list[Change], diags: Diagnostics) -> list[QuotaLine]:
    created: dict[Region, int] = defaultdict(int)
    for c in changes:
        if isinstance(c.after, Account) and c.action in (Action.CREATE, Action.RESTORE):
            created[(c.after.ref.subscription_id, c.after.location)] += 1
    lines = []
    for (sub, loc), n in sorted(created.items()):
        usage = next(
            (u for u in book.obs.usages.get((sub, loc), ()) if u.usage_name.lower() == ACCOUNT_USAGE.lower()),
            None,
        )
        if usage is not None:
            used, limit = usage.current, usage.limit
        else:  # no usage line: count what we saw (a lower bound) against the documented limit
            seen = [
                a
                for a in (*book.obs.accounts.values(), *book.obs.foreign_accounts.values())
                if a.ref.subscription_id == sub and a.location.lower() == loc.lower()
            ]
            used, limit = float(len(seen)), float(ACCOUNTS_PER_REGION)
        line = QuotaLine(sub, loc, ACCOUNT_USAGE, float(n), 0.0, used, limit)
        lines.append(line)
        if line.is_short:
            diags.error(
                "account-limit",
                f"{count_of(n, 'new account')} in {loc} exceed the {limit:g} accounts allowed per "
                f"region per subscription ({used:g} exist)",
                detail=f"subscription {sub}",
            )
    return lines


def _per_account(observed: ObservedState, changes: list[Change], diags: Diagnostics) -> None:
    count: dict[str, int] = {k: len(v) for k, v in observed.deployments.items()}
    grows: dict[str, str] = {}
    for c in changes:
        if c.kind is not ResourceKind.DEPLOYMENT:
            continue
        before = c.before if isinstance(c.before, Deployment) else None
        after = c.after if isinstance(c.after, Deployment) else None
        moved = before is not None and after is not None and before.account.key != after.account.key
        if after is not None and (c.action is Action.CREATE or moved):
            count[after.account.key] = count.get(after.account.key, 0) + 1
            grows[after.account.key] = after.account.name
        if before is not None and (c.action is Action.DELETE or moved):
            count[before.account.key] = count.get(before.account.key, 0) - 1
    for key, name in sorted(grows.items()):
        if count[key] > DEPLOYMENTS_PER_ACCOUNT:
            diags.error(
                "too-many-deployments",
                f"account {name} would hold {count[key]} deployments; Azure allows {DEPLOYMENTS_PER_ACCOUNT}",
            )


def _budgets(manifest: Manifest, desired: DesiredState, diags: Diagnostics) -> None:
    """Shared budgets per stamp account: each account's copy of a shared deployment carries only the
    budgets of the tenants assigned to it, so Σ budgets there must fit its capacity x overcommit.

    Within capacity x overcommit there is no finding (that is what the stamp declares on purpose);
    ``tenantctl quota`` shows the budgets per account.
    """
    for stamp_id in sorted({b.stamp for b in desired.budgets}):
        for over in budget_overflows(manifest, stamp_id):
            account = naming.stamp_account_name(manifest.provider.name_prefix, stamp_id, over.account)
            diags.error(
                "shared-budget-exceeds",
                f"stamp {stamp_id} account {account} deployment {over.deployment}: shared budgets "
                f"{over.total_tpm} TPM exceed capacity x overcommit {over.limit_tpm} TPM",
                detail=f"{count_of(len(over.tenants), 'shared tenant')} on {account}: "
                + ", ".join(f"{t} {tpm}" for t, tpm in over.tenants)
                + "; pin some to another account (tenants.<id>.stamp_account) or raise capacity or overcommit",
                path=f"stamps.{stamp_id}",
            )


def ledger(manifest: Manifest, observed: ObservedState, desired: DesiredState, changes: list[Change]) -> Ledger:
    """Check every quota and limit the plan touches; never reads anything but its arguments."""
    diags = Diagnostics()
    book = _Book(manifest, observed, changes)
    for c in changes:
        book.book(c)
    lines, waits = _deployment_lines(book, diags)
    lines += _accounts(book, changes, diags)
    _catalogue(book, changes, diags)
    _per_account(observed, changes, diags)
    _budgets(manifest, desired, diags)
    return Ledger(tuple(lines), diags, waits)
