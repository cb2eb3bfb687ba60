"""How many accounts apply writes at once when ``--parallelism`` is not given: as many as the plan
has busy accounts, within what ARM lets one subscription write.

The executor already writes one change at a time per account and starts the busiest accounts first,
so more workers than accounts with writes only idle, and fewer stretch the run past the busiest
account's serial chain (measured at 1,000 tenants, 215 accounts with writes: 10 workers take 3.0 × the
critical path, 32 take 1.07 ×).

The ceiling per subscription comes from ARM's throttling: "Request limits and throttling"
(https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling)
gives each subscription, per principal and per region, a token bucket of 200 writes refilled at 10
writes per second. One account write here is a PUT plus its long-running-operation polls and lasts
about 2 s or more in Azure, so 20 in flight send about 10 writes a second: the refill rate. More would
drain the bucket and earn 429s (which the adapter honours, but by waiting, so nothing is gained).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tenantctl.execution.schedule import queue_key
from tenantctl.planning.model import Change
from tenantctl.resources import ResourceGroup

__all__ = [
    "MAX_PARALLELISM",
    "WRITES_IN_FLIGHT_PER_SUBSCRIPTION",
    "adaptive_parallelism",
    "parallelism_for",
    "subscription_of",
]

MAX_PARALLELISM = 64  # the CLI's --parallelism maximum; the adapter's connection pool is sized for it
WRITES_IN_FLIGHT_PER_SUBSCRIPTION = 20  # ARM: 10 writes/s refill per subscription × ~2 s per write


def parallelism_for(accounts_per_subscription: Iterable[int]) -> int:
    """Workers for a plan whose subscriptions have these numbers of accounts with writes.

    Each subscription contributes its busy accounts, at most ``WRITES_IN_FLIGHT_PER_SUBSCRIPTION``;
    the total is capped at ``MAX_PARALLELISM`` and is at least 1. The total alone would let one
    subscription take the slots of another whose writes finished, so the executor also holds each
    subscription to ``WRITES_IN_FLIGHT_PER_SUBSCRIPTION`` while it dispatches.
    """
    wanted = sum(min(WRITES_IN_FLIGHT_PER_SUBSCRIPTION, max(0, n)) for n in accounts_per_subscription)
    return max(1, min(MAX_PARALLELISM, wanted))


def adaptive_parallelism(changes: Iterable[Change]) -> int:
    """The default parallelism for applying ``changes`` (a plan's actionable changes)."""
    queues: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        queues[subscription_of(change)].add(queue_key(change))
    return parallelism_for(len(q) for q in queues.values())


def subscription_of(change: Change) -> str:
    """The subscription a change writes to (folded), or "" when it names none."""
    if change.account is not None:
        return change.account.subscription_id.lower()
    record = change.after or change.before
    if isinstance(record, ResourceGroup):
        return record.subscription_id.lower()
    return ""
