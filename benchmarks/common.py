"""Helpers the benchmarks and soaks share: generated manifests, an in-process emulator, plan and apply.

Everything here drives tenantctl's own pipeline (``reconcile.make_plan_run`` → ``apply_plan``) through
the real Azure adapter over HTTPS against :class:`tenantctl.emulator.Emulator`; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.generate import generate_manifest

if TYPE_CHECKING:
    from tenantctl.addresses import Address

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
TENANTCTL = str(VENV_BIN / "tenantctl") if (VENV_BIN / "tenantctl").exists() else "tenantctl"

# Variables that silently re-route or re-verify Azure/msal traffic (as in tests/conftest.py).
_HOSTILE_ENV = (
    "MSAL_FORCE_REGION",
    "AZURE_REGIONAL_AUTHORITY_NAME",
    "REGION_NAME",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _HOSTILE_ENV}
    env.setdefault("NO_COLOR", "1")
    return env


def scrub_env() -> None:
    for name in _HOSTILE_ENV:
        os.environ.pop(name, None)


def write_manifest(directory: Path, tenants: int, *, seed: int = 0, name: str = "tenants.toml", pool: int = 0) -> Path:
    path = directory / name
    path.write_text(generate_manifest(tenants, seed=seed, pool=pool), encoding="utf-8")
    return path


def load(path: Path) -> Any:
    from tenantctl.reconcile import load_valid_manifest

    manifest, _ = load_valid_manifest(path)
    return manifest


# --------------------------------------------------------------------------------------- processes
def timed_runs(
    command: Sequence[str], runs: int, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """(median, best) wall seconds of a whole process over ``runs`` runs, and the worst exit code.

    Figures are judged on the median: a best run on a shared 2-vCPU machine says what is possible, not
    what a user meets."""
    times: list[float] = []
    code = 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env or clean_env(), capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        code = max(code, done.returncode)
    return statistics.median(times), min(times), code


def child_measured(
    command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB, exit code, output tail) of ``command`` run alone in a fresh grandchild."""
    # ru_maxrss of RUSAGE_CHILDREN is the max over every waited-for child: isolate this one in a
    # fresh Python so that earlier children of *this* process cannot inflate the figure. The clock
    # runs inside that Python, around the command alone.
    probe = (
        "import resource, subprocess, sys, json, time;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "t = time.perf_counter() - t;"
        "print(json.dumps([t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode,"
        " p.stdout[-2000:] + p.stderr[-2000:]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kb, code, tail = json.loads(done.stdout)
    return seconds, kb / 1024.0, code, tail


def child_peak_rss_mb(
    command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, int, str]:
    """Peak RSS (MB) of ``command`` run alone in a fresh grandchild, its exit code and output tail."""
    _, mb, code, tail = child_measured(command, cwd=cwd, env=env)
    return mb, code, tail


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------------------- emulator
def register_subscriptions(emu: Any, manifest: Any) -> None:
    """The manifest's subscriptions, owned by the emulator's provider principal (as --emulator does)."""
    from tenantctl.reconcile import manifest_subscriptions

    for sub in sorted(manifest_subscriptions(manifest)):
        emu.add_subscription(sub, emu.home_directory)
        emu.assign_role(f"/subscriptions/{sub}", emu.provider.object_id, "Owner")


@contextmanager
def emulator_for(
    manifest: Any, *, lro_seconds: float = 0.02, latency_ms: float = 0.0, state_dir: Path | None = None
) -> Iterator[Any]:
    """A started emulator with the manifest's subscriptions registered (as the CLI's --emulator does)."""
    from tenantctl.emulator import Emulator, EmulatorSettings

    scrub_env()
    emu = Emulator(
        state_dir=state_dir,
        settings=EmulatorSettings(lro_seconds=lro_seconds, retry_after=0, latency_ms=latency_ms),
    ).start()
    try:
        register_subscriptions(emu, manifest)
        yield emu
    finally:
        emu.stop()


def _session_class() -> type[Any]:
    from tenantctl.cloud.session import CloudSession

    @dataclass
    class BenchSession(CloudSession):  # type: ignore[misc]
        """A CloudSession whose emulator-side tenant-provided setup runs once, not on every plan.

        Against the emulator, ``CloudSession.byo_verifier`` first plays each tenant admin (creates the
        tenant's directory, account and deployments, consents, assigns the role: writes that real Azure
        never sees from tenantctl), then verifies. Benchmarks keep the verifier of the first call so a
        measured plan costs what it would against Azure: the verification reads only.
        """

        verifier: Any = None

        def byo_verifier(self, manifest: Any, *, role_wait: Any = None) -> Any:
            if self.verifier is None:
                self.verifier = super().byo_verifier(manifest, role_wait=role_wait)
            return self.verifier

    return BenchSession


@contextmanager
def cloud_for(
    emu: Any, *, polling_interval: float = 0.02, max_attempts: int = 8, verify_cache: bool = True
) -> Iterator[Any]:
    """A :class:`tenantctl.cloud.session.CloudSession` on ``emu`` (its port is ``.cloud``)."""
    from tenantctl.cli.runtime import emulator_session
    from tenantctl.cloud.azure import connect_emulator
    from tenantctl.tenant_provided.cache import CACHE_FILE, VerificationCache

    cloud = connect_emulator(emu, polling_interval=polling_interval, max_attempts=max_attempts)
    # The tenant-provided verification cache a user's repeated plans see (one hour by default): the
    # first plan verifies and fills it, the next ones within the TTL verify nothing (issue 13).
    with tempfile.TemporaryDirectory(prefix="tenantctl-bench-state-") as state:
        cache = VerificationCache(Path(state) / CACHE_FILE, scope=emu.endpoint) if verify_cache else None
        try:
            yield _session_class()(cloud, emulator_session(cloud, emu).verifiers, verification_cache=cache)
        finally:
            cloud.close()


def make_plan(manifest: Any, session: Any, *, prune: bool = False, reverify: bool = False) -> Any:
    """A plan as ``tenantctl plan`` makes it; ``reverify`` ignores cached tenant-provided verdicts."""
    from tenantctl.diagnostics import Diagnostics
    from tenantctl.reconcile import PlanOptions, make_plan_run

    return make_plan_run(manifest, session, PlanOptions(prune=prune, reverify=reverify), Diagnostics()).plan


@dataclass
class TimingHooks:
    """Apply hooks recording each change's duration, to compute the critical path afterwards."""

    durations: dict[Address, float] = field(default_factory=dict)
    queues: dict[Address, str] = field(default_factory=dict)
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_start(self, change: Any) -> None:
        return None

    def on_retry(self, change: Any, attempt: int, error: Exception) -> None:
        with self._lock:
            self.retries += 1

    def on_done(self, change: Any, outcome: Any) -> None:
        from tenantctl.execution.schedule import queue_key

        with self._lock:
            self.durations[change.address] = float(outcome.duration)
            self.queues[change.address] = queue_key(change)

    def on_skip(self, change: Any, reason: str) -> None:
        return None

    def critical_path(self) -> tuple[float, str, int]:
        """(seconds, queue, writes): resource-group writes + the busiest account's serial chain.

        Every account waits for its resource group, and an account's writes run one at a time, so no
        schedule can finish sooner than this (with unlimited parallelism).
        """
        per_queue: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        groups = 0.0
        for address, seconds in self.durations.items():
            queue = self.queues[address]
            if "/providers/" not in queue:  # a resource-group write: before every account
                groups = max(groups, seconds)
                continue
            per_queue[queue] += seconds
            count[queue] += 1
        if not per_queue:
            return groups, "", 0
        busiest = max(per_queue, key=lambda q: per_queue[q])
        return groups + per_queue[busiest], busiest, count[busiest]


def apply(
    manifest: Any, session: Any, *, parallelism: int | None = 10, prune: bool = False
) -> tuple[Any, Any, TimingHooks]:
    """Plan, then apply it; (plan, result, hooks)."""
    from tenantctl.execution.executor import apply_plan

    plan = make_plan(manifest, session, prune=prune)
    if plan.is_blocked:
        raise RuntimeError(f"the plan is blocked: {[d.code + ': ' + d.summary for d in plan.diagnostics.errors]}")
    hooks = TimingHooks()
    result = apply_plan(plan, session.cloud, hooks=hooks, parallelism=parallelism, prune_allowed=True)
    return plan, result, hooks


def temp_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=prefix)


_SERVER = """
import json, sys
from pathlib import Path
from tenantctl.emulator import Emulator, EmulatorSettings
emu = Emulator(Path(sys.argv[1]), EmulatorSettings(**json.loads(sys.argv[2]))).start()
print(json.dumps({"port": emu.port}), flush=True)
sys.stdin.read()
emu.stop()
"""


@contextmanager
def emulator_process(state_dir: Path, *, lro_seconds: float = 0.02, latency_ms: float = 0.0) -> Iterator[Any]:
    """The file-backed emulator of ``state_dir`` served by its own process; yields an unstarted twin.

    In its own process the emulator's event loop does not compete with the client's threads for the
    GIL (closer to Azure). The twin is an :class:`Emulator` on the same state directory and port (same
    CA, service principal and SQLite store): usable for ``connect_emulator`` and the admin calls, but
    its ``request_counts`` are not the server's. (The technique is bench_apply.py's.)
    """
    from tenantctl.emulator import Emulator, EmulatorSettings

    scrub_env()
    settings: dict[str, Any] = {"lro_seconds": lro_seconds, "retry_after": 0, "latency_ms": latency_ms}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(state_dir), json.dumps(settings)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert server.stdout is not None
    assert server.stdin is not None
    try:
        info = json.loads(server.stdout.readline())
        yield Emulator(state_dir, EmulatorSettings(**settings), port=int(info["port"]))
    finally:
        server.stdin.close()
        server.wait(30)
