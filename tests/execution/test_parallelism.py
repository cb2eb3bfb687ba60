"""The default parallelism: the plan's busy accounts, at most 20 per subscription and 64 in all.

The unit tests need no double (pure arithmetic over a plan); the last test runs a real apply on the
emulator without a parallelism and watches, through the hooks, how many writes overlap.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantctl.execution import apply_plan
from tenantctl.execution.parallelism import (
    MAX_PARALLELISM,
    WRITES_IN_FLIGHT_PER_SUBSCRIPTION,
    adaptive_parallelism,
    parallelism_for,
    subscription_of,
)

from .conftest import RecordingHooks
from .plans import group_change, plan_of, tenant_changes


@pytest.mark.parametrize(
    ("accounts_per_subscription", "expected"),
    [
        ([], 1),  # nothing to write still needs one worker
        ([1], 1),
        ([10], 10),
        ([215], WRITES_IN_FLIGHT_PER_SUBSCRIPTION),  # one subscription: ARM's write budget bounds it
        ([20, 1], 21),
        ([54] * 4, MAX_PARALLELISM),  # 215 accounts over four subscriptions: 80 allowed, capped at 64
        ([2] * 5, 10),  # many small subscriptions: never more workers than busy accounts
        ([100, 3, 3], 26),  # an uneven pool: the big one gives 20, the small ones what they have
    ],
)
def test_parallelism_for_accounts_and_subscriptions(accounts_per_subscription: list[int], expected: int) -> None:
    assert parallelism_for(accounts_per_subscription) == expected


def test_adaptive_parallelism_counts_accounts_not_changes() -> None:
    # 3 tenants with 3 deployments each in one subscription: 3 accounts + the resource group's queue
    changes = [group_change("sub-a", "rg")]
    for n in range(3):
        changes += tenant_changes("sub-a", "rg", f"t{n}", [1, 1, 1])
    assert adaptive_parallelism(changes) == 4


def test_adaptive_parallelism_bounds_each_subscription() -> None:
    changes = []
    for sub in ("sub-a", "sub-b", "sub-c"):
        changes += [c for n in range(25) for c in tenant_changes(sub, "rg", f"{sub}-t{n}")]
    assert adaptive_parallelism(changes) == 3 * WRITES_IN_FLIGHT_PER_SUBSCRIPTION
    changes += [c for n in range(25) for c in tenant_changes("SUB-D", "rg", f"d{n}")]
    assert adaptive_parallelism(changes) == MAX_PARALLELISM


def test_apply_without_parallelism_writes_more_than_ten_accounts_at_once(
    cloud: Any, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    tenants = 16
    rg = group_change(subscription, group)
    changes = [rg]
    for n in range(tenants):
        changes += tenant_changes(subscription, group, f"wide{n}", [1], group_address=rg.address)

    result = apply_plan(plan_of(changes), cloud, hooks=hooks)

    assert result.status.value == "success", [o for o in result.outcomes if not o.ok]
    intervals = list(hooks.intervals().values())
    overlap = max(sum(1 for s, d in intervals if s <= at < d) for at, _ in intervals)
    assert overlap > 10, f"at most {overlap} writes were in flight at once"  # the old default was 10
    assert result.parallelism == tenants + 1  # every account, and the resource group's queue


def test_adaptive_apply_holds_each_subscription_to_its_write_budget(
    emu: Any, cloud: Any, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    # 24 accounts in one subscription and 2 in another: 23 workers in all, but the big subscription
    # must never have more than 20 writes in flight (the small one's slots are not its to take).
    other = emu.ensure_subscriptions(2)[1]
    changes = []
    for sub, tenants in ((subscription, 24), (other, 2)):
        rg = group_change(sub, group)
        changes.append(rg)
        for n in range(tenants):
            changes += tenant_changes(sub, group, f"s{sub[:4]}t{n}", [1], group_address=rg.address)

    result = apply_plan(plan_of(changes), cloud, hooks=hooks)

    assert result.status.value == "success", [o for o in result.outcomes if not o.ok]
    assert result.parallelism == WRITES_IN_FLIGHT_PER_SUBSCRIPTION + 3
    by_address = {c.address: c for c in changes}
    intervals = hooks.intervals().items()
    big = [(s, d) for a, (s, d) in intervals if subscription_of(by_address[a]) == subscription.lower()]
    overlap = max(sum(1 for s, d in big if s <= at < d) for at, _ in big)
    assert 10 < overlap <= WRITES_IN_FLIGHT_PER_SUBSCRIPTION
