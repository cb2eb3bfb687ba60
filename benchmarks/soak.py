"""Fault soak, SIGKILL campaign and long fuzz: does tenantctl converge, and never duplicate?

    scripts/soak            # 200 tenants, 20 % faults; 12 kill points on 200 tenants; 10,000 fuzz examples
    scripts/soak --short    # the CI-sized variant (30 tenants; 3 kill points; 300 examples)
    python -m benchmarks.soak --only faults,kill --json soak.json

1. **faults**: apply N tenants in-process through the real adapter while the emulator answers a share
   of writes (PUT/PATCH/DELETE/POST) with 429 + Retry-After, 500/503 or a dropped connection (half of
   them after the write was applied, so the retry meets the account busy: 409 RequestConflict), and
   fails some long-running operations. Apply is re-run (faults still on) until it succeeds; then,
   faults off, the census must hold (see :func:`census_problems`).
2. **kill**: ``tenantctl apply --emulator --auto-approve`` in a subprocess, its cloud file-backed in
   ``.tenantctl/`` of a work directory (the emulator runs inside the killed process and dies with it,
   like a CI runner vanishing), SIGKILLed at each kill point in turn (one in start-up, the others once
   the first write was sent or after k changes finished, read from apply's progress lines), then run
   to completion; ``plan --detailed-exitcode`` must exit 0 and the census hold.
3. **fuzz**: the manifest loader's hypothesis properties (tests/manifest/test_fuzz.py: no input may
   produce a traceback) and the scripted-edit properties (tests/manifest/test_edit_properties.py:
   ``tenant add|set|--unset|remove`` keep every byte outside the edit in every layout) with
   ``TENANTCTL_FUZZ_EXAMPLES`` examples each.

The census (no duplicates, no orphans): a fresh ``plan --prune`` has no change at all (nothing missing,
nothing extra tagged for this manifest); the managed accounts are exactly the ones a plan from empty
creates; each tenant has exactly as many tagged deployments as it declares (one account each, never
two copies on two stamp accounts); and no soft-deleted account exists (nothing was created twice and
removed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/soak.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

__all__ = [
    "FaultSoak",
    "KillCampaign",
    "census_problems",
    "expected_census",
    "fault_soak",
    "kill_campaign",
    "long_fuzz",
    "main",
]

WRITES = ("PUT", "PATCH", "DELETE", "POST")
# Hypothesis properties the fuzz step runs with TENANTCTL_FUZZ_EXAMPLES examples each.
FUZZ_MODULES = ("tests/manifest/test_fuzz.py", "tests/manifest/test_edit_properties.py")


# ------------------------------------------------------------------------------------------ census
def expected_census(manifest: Any) -> tuple[int, Counter[str]]:
    """(managed accounts, deployments per tenant) that a plan from an empty cloud creates."""
    from tenantctl.observation import ObservedState
    from tenantctl.planning import make_plan
    from tenantctl.planning.model import Action, ResourceKind

    plan = make_plan(manifest, ObservedState())
    accounts = sum(1 for c in plan.changes if c.kind is ResourceKind.ACCOUNT and c.action is Action.CREATE)
    deployments: Counter[str] = Counter(
        c.tenant for c in plan.changes if c.kind is ResourceKind.DEPLOYMENT and c.action is Action.CREATE and c.tenant
    )
    return accounts, deployments


def census_problems(manifest: Any, session: Any) -> list[str]:
    """Everything wrong with the cloud after a converged apply; [] when it is exactly the manifest."""
    from tenantctl import naming
    from tenantctl.observation import observe_accounts
    from tenantctl.reconcile import manifest_subscriptions

    problems: list[str] = []
    plan = common.make_plan(manifest, session, prune=True)
    if plan.is_blocked:
        problems.append(f"plan --prune is blocked: {[d.message for d in plan.diagnostics.errors][:3]}")
    for change in plan.actionable[:10]:
        problems.append(f"plan --prune not empty: {change.action.value} {change.address}")
    observed = observe_accounts(manifest, session.cloud)
    want_accounts, want_deployments = expected_census(manifest)
    if len(observed.accounts) != want_accounts:
        problems.append(f"{len(observed.accounts)} managed accounts, expected {want_accounts}")
    per_tenant_accounts = Counter(
        a.tags.get(naming.TAG_TENANT) for a in observed.accounts.values() if naming.TAG_TENANT in a.tags
    )
    problems += [f"tenant {t} has {n} accounts" for t, n in per_tenant_accounts.items() if n > 1]
    have: Counter[str] = Counter()
    for deployments in observed.deployments.values():
        for d in deployments:
            tenant = d.tags.get(naming.TAG_TENANT)
            if tenant:
                have[tenant] += 1
    for tenant in sorted(set(have) | set(want_deployments)):
        if have[tenant] != want_deployments[tenant]:
            problems.append(f"tenant {tenant}: {have[tenant]} deployments, expected {want_deployments[tenant]}")
    for sub in sorted(manifest_subscriptions(manifest)):
        deleted = session.cloud.list_deleted_accounts(sub)
        if deleted:
            problems.append(f"{len(deleted)} soft-deleted account(s) in {sub}: {[d.ref.name for d in deleted][:3]}")
    return problems


# ------------------------------------------------------------------------------------------ faults
@dataclass
class FaultSoak:
    tenants: int
    writes_planned: int
    fault_rate: float
    rounds: int  # apply runs until one succeeded
    statuses: list[str]
    write_requests: int  # writes the emulator received (all rounds, faults included)
    retries: int  # change-level retries the executor reported
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.statuses[-1] == "success"


_WRITE_OPS = {"begin_create", "begin_create_or_update", "create_or_update", "begin_delete", "delete", "update"}


def fault_soak(tenants: int, *, fault_rate: float = 0.2, seed: int = 20261122, max_rounds: int = 5) -> FaultSoak:
    """Apply ``tenants`` with ``fault_rate`` of writes failing; re-run until success; take the census."""
    from tenantctl.emulator import FaultSettings

    with common.temp_dir("tenantctl-soak-") as tmp:
        manifest = common.load(common.write_manifest(Path(tmp), tenants, seed=seed % 7))
    started = time.perf_counter()
    with common.emulator_for(manifest, lro_seconds=0.05) as emu, common.cloud_for(emu) as session:
        common.make_plan(manifest, session)  # sign in before faults start (faults hit ARM only anyway)
        # 20 % of writes: 429 / 5xx / dropped (before or after applying) in equal parts; plus 5 % of
        # long-running operations ending Failed.
        third = fault_rate / 3
        emu.set_faults(
            FaultSettings(
                rate_429=third,
                rate_5xx=third,
                drop_rate=third,
                lro_fail_rate=0.05,
                methods=WRITES,
                retry_after=0,
                seed=seed,
            )
        )
        emu.reset_counts()
        statuses: list[str] = []
        retries = 0
        planned = 0
        for _ in range(max_rounds):
            plan, result, hooks = common.apply(manifest, session, parallelism=10)
            planned = planned or len(plan.actionable)
            retries += hooks.retries
            statuses.append(result.status.value)
            if result.status.value == "success":
                break
        counts = emu.request_counts()
        emu.set_faults(FaultSettings())
        writes = sum(n for op, n in counts.items() if op.rsplit(".", 1)[-1] in _WRITE_OPS)
        problems = census_problems(manifest, session)
    return FaultSoak(
        tenants, planned, fault_rate, len(statuses), statuses, writes, retries, time.perf_counter() - started, problems
    )


# ------------------------------------------------------------------------------------------ SIGKILL
@dataclass
class KillCampaign:
    tenants: int
    points: list[float | int]
    killed: int  # runs that were still going when the kill came (the rest had already finished)
    final_exit: int
    plan_exit: int  # plan --detailed-exitcode after the final apply: 0 = no changes
    seconds: float
    problems: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.final_exit == 0 and self.plan_exit == 0


KillPoint = float | int  # float: seconds after start; int: after this many changes finished (0: first write sent)


def _run_until(command: list[str], cwd: Path, env: dict[str, str], point: KillPoint) -> tuple[bool, int, str]:
    """Run ``command``; SIGKILL it at ``point``. (killed, exit code, what it printed last)."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    killed = False

    def kill() -> None:
        nonlocal killed
        if proc.poll() is None:
            killed = True
            os.kill(proc.pid, signal.SIGKILL)

    # A float kills on a timer (in start-up: sign-in, observation); an int kills on apply's progress
    # lines (stderr, plain text without a TTY), so kills land mid-write however slow the machine is.
    watchdog = threading.Timer(point if isinstance(point, float) else 120.0, kill)
    watchdog.start()
    tail: list[str] = []
    done = 0
    try:
        for line in proc.stdout:
            if line.strip():
                tail = [*tail[-11:], line.rstrip()]
            words = line.split()
            if isinstance(point, int) and len(words) > 2 and words[2] in ("start", "done"):
                done += words[2] == "done"
                if done >= point:
                    kill()
                    break
        proc.wait(timeout=60)
    finally:
        watchdog.cancel()
        proc.stdout.close()
    # A run that ended by itself with an error keeps its last lines (with -v: the traceback).
    last = "\n".join(tail) if proc.returncode not in (0, -signal.SIGKILL) else (tail[-1] if tail else "")
    return killed, proc.returncode, last


def kill_campaign(
    tenants: int, points: list[KillPoint], *, lro_seconds: float = 0.5, workdir: Path | None = None
) -> KillCampaign:
    """SIGKILL ``tenantctl apply --emulator`` at each point in turn, then converge and take the census."""
    with common.temp_dir("tenantctl-kill-") as tmp:
        work = workdir or Path(tmp)
        manifest_path = common.write_manifest(work, tenants, seed=3)
        env = common.clean_env() | {"TENANTCTL_EMULATOR_LRO_SECONDS": str(lro_seconds)}
        apply_cmd = [common.TENANTCTL, "apply", "--emulator", "--auto-approve", "-v", "-f", str(manifest_path)]
        started = time.perf_counter()
        killed = 0
        outputs: list[str] = []
        for point in points:
            was_killed, code, last = _run_until(apply_cmd, work, env, point)
            killed += was_killed
            what = f"after {point:.1f} s" if isinstance(point, float) else f"after {point} finished change(s)"
            outputs.append(f"kill {what}: rc={code}; last line: {last if code not in (0, -9) else last[:150]}")
        final = subprocess.run(apply_cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        summary = [line for line in (final.stdout + final.stderr).splitlines() if line.startswith("Apply")]
        outputs.append(f"final apply: rc={final.returncode}; {' '.join(summary)[:200]}")
        plan = subprocess.run(
            [common.TENANTCTL, "plan", "--emulator", "--detailed-exitcode", "-f", str(manifest_path)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        seconds = time.perf_counter() - started
        manifest = common.load(manifest_path)
        with (
            common.emulator_for(manifest, state_dir=work / ".tenantctl" / "emulator") as emu,
            common.cloud_for(emu) as session,
        ):
            problems = census_problems(manifest, session)
    return KillCampaign(tenants, points, killed, final.returncode, plan.returncode, seconds, problems, outputs)


# ------------------------------------------------------------------------------------------ fuzz
def long_fuzz(examples: int, *, workers: int = 2) -> tuple[int, float, str]:
    """Run the loader's and the edits' properties with ``examples`` each; (exit code, seconds, summary line)."""
    env = common.clean_env() | {"TENANTCTL_FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FUZZ_MODULES]
    if workers > 1:
        command += ["-n", str(workers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=common.REPO, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()]
    return done.returncode, time.perf_counter() - started, lines[-1] if lines else done.stderr[-300:]


# ------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fault soak, SIGKILL campaign and long fuzz.")
    parser.add_argument("--short", action="store_true", help="the CI-sized variant")
    parser.add_argument("--only", default="faults,kill,fuzz", help="comma-separated subset of faults,kill,fuzz")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    only = {k.strip() for k in args.only.split(",")}
    report: dict[str, Any] = {"machine": _machine(), "short": args.short}
    ok = True
    if "faults" in only:
        n = 30 if args.short else 200
        print(f"… fault soak: {n} tenants, 20 % of writes failing", file=sys.stderr, flush=True)
        soak = fault_soak(n)
        ok &= soak.ok
        report["faults"] = asdict(soak)
        print(
            f"fault soak: {soak.tenants} tenants, {soak.writes_planned} planned writes, "
            f"{soak.write_requests} write requests sent, {soak.retries} change retries; "
            f"apply rounds {soak.rounds} ({' → '.join(soak.statuses)}); {soak.seconds:.1f} s; "
            f"census: {'clean' if not soak.problems else soak.problems}"
        )
    if "kill" in only:
        # One kill in start-up (sign-in, observation), the rest on apply's progress: once the first
        # write was sent (0), then after k changes finished in that run. LROs last 0.5 s, so other
        # writes are in flight whenever the kill comes.
        points: list[KillPoint] = [0, 2, 5] if args.short else [0.5, 0, 1, 2, 4, 6, 8, 10, 12, 14, 16, 20]
        n = 30 if args.short else 200
        print(f"… SIGKILL campaign: {n} tenants, kill points {points}", file=sys.stderr, flush=True)
        campaign = kill_campaign(n, points)
        ok &= campaign.ok
        report["kill"] = asdict(campaign)
        print(
            f"SIGKILL campaign: {campaign.tenants} tenants, {len(points)} kill points "
            f"({campaign.killed} killed mid-run), final apply exit {campaign.final_exit}, "
            f"plan --detailed-exitcode exit {campaign.plan_exit}; {campaign.seconds:.1f} s; "
            f"census: {'clean' if not campaign.problems else campaign.problems}"
        )
        for line in campaign.outputs:
            print(f"    {line}")
    if "fuzz" in only:
        examples = 300 if args.short else 10_000
        print(f"… fuzz: {examples} examples per property", file=sys.stderr, flush=True)
        code, seconds, summary = long_fuzz(examples)
        ok &= code == 0
        report["fuzz"] = {"examples": examples, "exit": code, "seconds": seconds, "summary": summary}
        print(f"fuzz: {examples:,} examples per property, exit {code}, {seconds:.0f} s: {summary}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


def _machine() -> dict[str, str]:
    from benchmarks.run import machine

    return machine()


if __name__ == "__main__":
    raise SystemExit(main())
