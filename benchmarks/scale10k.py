"""The 10,000-tenant, 30-subscription scenario (issue 13): a live no-op plan, timed, counted and weighed.

The fleet is seeded with :func:`benchmarks.seed.seed_fleet` (seconds; an apply through ARM takes minutes),
then served by an emulator in its own process at 20 ms per ARM request, as the other plan rows. Each
measured run is a whole `tenantctl plan` process (start, sign-in, observation, plan, JSON out) against
it; one run gives its wall time and its peak RSS, the server counts its requests by operation.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.generate import mix_for
from benchmarks.seed import seed_state

__all__ = ["POOL", "TENANTS", "bench_scale10k"]

TENANTS = 10_000
POOL = 30


def _admin(emu: Any, method: str, what: str) -> Any:
    import requests

    answer = requests.request(method, f"{emu.endpoint}/_emulator/{what}", verify=str(emu.ca_path), timeout=30)
    answer.raise_for_status()
    return answer.json()


def _by_operation(counts: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items()) if op != "total")


def bench_scale10k(quick: bool, workdir: Path, row: Callable[..., Any]) -> list[Any]:
    """Rows: wall time (median), requests by operation, peak RSS (median) of the live no-op plan."""
    from tenantctl.reconcile import manifest_subscriptions

    n, pool = (1000, 4) if quick else (TENANTS, POOL)
    mix = mix_for(n, pool=pool)
    path = common.write_manifest(workdir, n, name=f"scale10k-{n}.toml", pool=pool)
    manifest = common.load(path)
    state = workdir / f"scale10k-{n}-cloud"
    started = time.perf_counter()
    seeded = seed_state(manifest, state)
    setup = time.perf_counter() - started
    subscriptions = len(manifest_subscriptions(manifest))
    runs: list[tuple[float, float, int, str]] = []
    with common.emulator_process(state, latency_ms=20.0) as served:
        env = {**common.clean_env(), **{k: str(v) for k, v in served.connection_info()["env"].items()}}
        command = [common.TENANTCTL, "plan", "--detailed-exitcode", "-o", "json", "-f", str(path)]
        common.child_measured(command, env=env)  # warm the page cache and the server's
        _admin(served, "DELETE", "counts")
        for _ in range(1 if quick else 3):
            runs.append(common.child_measured(command, env=env))
        counts = {k: int(v) for k, v in _admin(served, "GET", "counts").items()}
    codes = sorted({r[2] for r in runs})
    seconds = statistics.median(r[0] for r in runs)
    mb = statistics.median(r[1] for r in runs)
    per_run = {op: round(v / len(runs)) for op, v in counts.items()}
    requests = per_run.get("total", 0)
    scenario = (
        f"{n:,} tenants ({mix.dedicated} dedicated over a pool of {pool}, {mix.dedicated_deployment}"
        f" dedicated-deployment, {mix.shared} shared, {mix.tenant_provided} tenant-provided; {seeded.accounts}"
        f" accounts, {seeded.deployments} deployments in {subscriptions} subscriptions)"
    )
    note = (
        f"exit codes {codes} (0 = no changes); set-up: bulk seed of {seeded.writes} writes {setup:.1f} s;"
        " tenant-provided tenants unverified (no app credential in the environment)"
    )
    failure = "" if codes == [0] else f"; last output: {json.dumps(runs[-1][3][-300:])}"
    cmd = "python -m benchmarks.run --only scale10k" + (" --quick" if quick else "")
    return [
        row(
            "scale10k",
            f"no-op `tenantctl plan`, {scenario}, whole process, 20 ms/request, emulator in its own process",
            f"{seconds:.2f} s median of {len(runs)} (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})",
            "≤ 5 s",
            seconds <= 5.0 and codes == [0],
            cmd,
            seconds,
            note + failure,
        ),
        row(
            "scale10k",
            f"ARM requests of that no-op plan, {n:,} tenants, {subscriptions} subscriptions (per run)",
            f"{requests} ({_by_operation(per_run)})",
            "— (reference)",
            None,
            cmd,
            requests,
        ),
        row(
            "scale10k",
            f"peak RSS of that live no-op `tenantctl plan`, {n:,} tenants (whole client process)",
            f"{mb:.0f} MB median of {len(runs)} (runs: {', '.join(f'{r[1]:.0f}' for r in runs)})",
            "≤ 200 MB",
            mb <= 200 and codes == [0],
            cmd,
            mb,
        ),
    ]
