"""Benchmark: apply from empty for 200 tenants against the emulator, with latency on.

    .venv/bin/python benchmarks/bench_apply.py [--tenants 200] [--parallelism 64] [--latency-ms 20]
                                               [--lro-seconds 0.5]

The plan is built directly (no manifest): a mix of isolation models, as a provider would have them -
60% dedicated accounts (1-3 deployments, every third with a content filter: blocklist + RAI policy) and
40% on pooled accounts shared by 8 tenants (one deployment per tenant, so a pool is the busiest chain).
Accounts spread over two subscriptions and several regions (Azure allows 30 per region per subscription).

Printed figures:
* wall time of apply_plan;
* critical path: the longest chain of the schedule (queue order + dependencies), weighted by each write's
  duration as measured in this run - the best any scheduler could do with these writes;
* the same chain at the per-write time measured alone on an idle emulator (the "unloaded" bound);
* work / parallelism: the bound the thread pool imposes; ratio = wall / max(critical path, that bound).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from execution.plans import (  # type: ignore[import-not-found]  # tests/ is put on sys.path above
    DeploymentSpec,
    group_change,
    plan_of,
    tenant_changes,
)

from tenantctl.addresses import Address, TenantAddress
from tenantctl.cloud.azure import connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.execution import apply_plan
from tenantctl.execution.schedule import build_schedules
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import AccountRef, Deployment

REGIONS = ("swedencentral", "westeurope", "francecentral", "eastus", "eastus2", "westus3")
MODELS = (
    DeploymentSpec("chat", 1, "gpt-4o-mini", "2024-07-18", "GlobalStandard"),
    DeploymentSpec("gpt4o", 1, "gpt-4o", "2024-11-20", "GlobalStandard"),
    DeploymentSpec("embed", 1, "text-embedding-3-small", "1", "Standard"),
)
POOL_SIZE = 8


def build_changes(subscriptions: list[str], tenants: int) -> list[Change]:
    changes: list[Change] = []
    groups: dict[tuple[str, str], Change] = {}
    per_region: Counter[tuple[str, str]] = Counter()

    def place() -> tuple[str, str, str, str]:
        """The least used (subscription, region), and its resource group's name and address."""
        sub, region = min(((s, r) for s in subscriptions for r in REGIONS), key=lambda k: per_region[k])
        per_region[(sub, region)] += 1
        name = f"rg-tenants-{region}"
        if (sub, region) not in groups:
            groups[(sub, region)] = group_change(sub, name, region)
            changes.append(groups[(sub, region)])
        return sub, region, name, groups[(sub, region)].address

    dedicated = tenants * 6 // 10
    for n in range(dedicated):
        sub, region, group, group_address = place()
        specs = [MODELS[(n + k) % len(MODELS)] for k in range(1 + n % 3)]
        changes += tenant_changes(
            sub, group, f"d{n:03d}", specs, location=region, content_filter=n % 3 == 0, group_address=group_address
        )
    shared = tenants - dedicated
    for pool in range((shared + POOL_SIZE - 1) // POOL_SIZE):
        sub, region, group, group_address = place()
        pool_changes = tenant_changes(sub, group, f"pool{pool:02d}", [], location=region, group_address=group_address)
        changes += pool_changes
        ref = pool_changes[0].account
        assert ref is not None
        for member in range(min(POOL_SIZE, shared - pool * POOL_SIZE)):
            tenant = f"s{pool:02d}{member}"
            changes.append(_pooled_deployment(ref, tenant, pool_changes[0].address))
    return changes


def _pooled_deployment(ref: AccountRef, tenant: str, account_address: Address) -> Change:
    record = Deployment(
        ref, f"{tenant}-chat", "gpt-4o-mini", "2024-07-18", "GlobalStandard", 1, tags={"tenantctl.tenant": tenant}
    )
    return Change(
        TenantAddress.deployment(tenant, "chat"),
        ResourceKind.DEPLOYMENT,
        Action.CREATE,
        None,
        record,
        tenant=tenant,
        account=ref,
        depends_on=(account_address,),
    )


def critical_path(changes: list[Change], seconds: dict[str, float]) -> tuple[float, int]:
    """Longest chain through the schedule with the given per-change durations, and its length in writes."""
    main = build_schedules(tuple(changes))[0]
    best: dict[int, tuple[float, int]] = {}
    for step in main.steps:  # already in topological order
        start, count = max((best[id(p)] for p in step.predecessors), default=(0.0, 0))
        best[id(step)] = (start + seconds.get(step.change.address, 0.0), count + 1)
    return max(best.values(), default=(0.0, 0))


_SERVER = """
import json, sys
from pathlib import Path
from tenantctl.emulator import Emulator, EmulatorSettings
settings = EmulatorSettings(**json.loads(sys.argv[2]))
emu = Emulator(Path(sys.argv[1]), settings).start()
second = emu.add_subscription(None, emu.home_directory)
emu.assign_role(f"/subscriptions/{second}", emu.provider.object_id, "Owner")
print(json.dumps({"port": emu.port, "second": second}), flush=True)
sys.stdin.read()
emu.stop()
"""


@contextlib.contextmanager
def emulator(settings: EmulatorSettings, separate: bool) -> Iterator[tuple[Any, str]]:
    """The emulator and a second subscription; in its own process unless ``separate`` is False.

    In its own process the emulator's event loop does not compete with the apply's threads for the GIL,
    which is closer to Azure (whose latency does not grow with the client's thread count).
    """
    if not separate:
        with Emulator(settings=settings) as emu:
            second = emu.add_subscription(None, emu.home_directory)
            emu.assign_role(f"/subscriptions/{second}", emu.provider.object_id, "Owner")
            yield emu, second
        return
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as state:
        doc = {"lro_seconds": settings.lro_seconds, "retry_after": 0, "latency_ms": settings.latency_ms}
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, state, json.dumps(doc)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        assert server.stdin is not None
        info = json.loads(server.stdout.readline())
        try:
            # an unstarted Emulator on the same state dir: same CA, same service principal, same store
            yield Emulator(Path(state), settings, port=int(info["port"])), str(info["second"])
        finally:
            server.stdin.close()
            server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--lro-seconds", type=float, default=0.5)
    parser.add_argument("--in-process", action="store_true", help="run the emulator in this process")
    args = parser.parse_args()

    settings = EmulatorSettings(lro_seconds=args.lro_seconds, retry_after=0, latency_ms=args.latency_ms)
    with emulator(settings, separate=not args.in_process) as (emu, second):
        cloud = connect_emulator(emu, polling_interval=0.05)
        try:
            # per-write time on an idle emulator: one account, then one deployment, alone
            probe = [
                group_change(emu.subscription_id, "rg-probe"),
                *tenant_changes(emu.subscription_id, "rg-probe", "probe", [1]),
            ]
            alone = apply_plan(plan_of(probe), cloud)
            idle = {o.address: o.duration for o in alone.outcomes}

            changes = build_changes([emu.subscription_id, second], args.tenants)
            kinds = Counter(c.kind.value for c in changes)
            started = time.monotonic()
            result = apply_plan(plan_of(changes), cloud, parallelism=args.parallelism)
            wall = time.monotonic() - started
        finally:
            cloud.close()

    measured = {o.address: o.duration for o in result.outcomes}
    cp, cp_writes = critical_path(changes, measured)
    idle_write = statistics.mean(v for k, v in idle.items() if not str(k).startswith("resource-group"))
    idle_by_kind = {c.address: idle_write for c in changes}
    cp_idle, _ = critical_path(changes, idle_by_kind)
    work = sum(measured.values())
    bound = max(cp, work / args.parallelism)
    print(
        f"tenants {args.tenants}: {len(changes)} writes ({dict(kinds)}), parallelism {args.parallelism}, "
        f"latency {args.latency_ms:g} ms, LRO {args.lro_seconds:g} s"
    )
    print(f"result: {result.status.value}, {dict((k.value, v) for k, v in result.counts.items())}")
    print(f"mean write time: {statistics.mean(measured.values()):.3f} s in the run, {idle_write:.3f} s idle")
    print(f"critical path: {cp_writes} writes = {cp:.2f} s as measured in the run, {cp_idle:.2f} s at idle speed")
    print(f"work / parallelism: {work:.1f} s / {args.parallelism} = {work / args.parallelism:.2f} s")
    print(f"wall time: {wall:.2f} s")
    print(f"ratio wall / max(critical path, work/parallelism): {wall / bound:.3f}  (aim <= 1.15)")
    print(f"ratio wall / critical path at idle speed: {wall / cp_idle:.3f}")
    return 0 if result.status.value == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
