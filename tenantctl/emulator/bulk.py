"""Many ARM writes at once, in process: the fast set-up of big scenarios (10,000 tenants in seconds).

Applying 10,000 tenants through HTTPS, the SDK and a long-running operation per write takes minutes;
benchmarks only need the cloud such an apply leaves behind. :func:`bulk_write` sends each write to the
very handler its ARM route serves (so what is stored is exactly what a PUT stores: the same documents,
subdomain claims, account-limit and quota checks, provisioning states), in one SQLite transaction, and
finishes each write's long-running operation at once, as if its time were up. Skipped on purpose:
TLS, the token check and RBAC (the caller is trusted and in process), request counting, latency and
injected faults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tenantctl.emulator import lro
from tenantctl.emulator.app import build_arm_router
from tenantctl.emulator.core import ArmError, Ctx, Doc
from tenantctl.emulator.world import World

__all__ = ["BulkWrite", "BulkWriteError", "bulk_write"]


@dataclass(frozen=True)
class BulkWrite:
    """One ARM request: method, path (``/subscriptions/...``) and the JSON body the SDK would send."""

    method: str
    path: str
    body: Any = None


class BulkWriteError(RuntimeError):
    """A write the emulator refused (as Azure would have); nothing of the batch is kept."""

    def __init__(self, write: BulkWrite, status: int, answer: str) -> None:
        super().__init__(f"{write.method} {write.path}: HTTP {status}: {answer[:500]}")
        self.write = write
        self.status = status


def bulk_write(world: World, writes: Iterable[BulkWrite], *, claims: Doc) -> int:
    """Send ``writes`` in order through their ARM handlers as the principal of ``claims``; returns how many.

    ``claims`` are an access token's (``appid``, ``oid``, ``tid``): handlers record who created what. All
    or nothing: the first refused write raises :class:`BulkWriteError` and rolls the whole batch back.
    """
    router = build_arm_router()
    saved = world.settings
    # No time between a write and its end: the next write on the same account must not meet 409
    # RequestConflict, and every resource is left Succeeded, as a finished apply leaves it.
    world.settings = replace(saved, lro_seconds=0.0)
    sent = 0
    try:
        with world.store.tx():
            for write in writes:
                hit = router.match(write.method, write.path)
                if hit is None:
                    raise BulkWriteError(write, 404, "no ARM route serves this path")
                route, params = hit
                ctx = Ctx(
                    world=world,
                    method=write.method,
                    path=write.path,
                    host="management.azure.com",
                    query={},
                    body=write.body,
                    params=params,
                    claims=claims,
                    client_host="127.0.0.1",
                )
                try:
                    answer = route.handler(ctx)
                except ArmError as err:
                    raise BulkWriteError(write, err.status, f"{err.code}: {err.message}") from None
                if answer.status_code >= 400:
                    raise BulkWriteError(write, answer.status_code, bytes(answer.body).decode(errors="replace"))
                world.next_due = -float("inf")  # the op just started is due now
                world.last_scan = -float("inf")
                lro.settle(world)
                sent += 1
    finally:
        world.settings = saved
    return sent
