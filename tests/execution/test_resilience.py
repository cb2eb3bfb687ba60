"""apply converges through injected faults and through SIGKILL at any point, without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.emulator import FaultSettings
from tenantctl.execution import ApplyStatus, apply_plan

from .conftest import RecordingHooks
from .plans import cloud_differences, group_change, plan_of, tenant_changes

DRIVER = Path(__file__).with_name("apply_driver.py")
WRITES = ("PUT", "PATCH", "DELETE", "POST")
_WRITE_OPS = {"begin_create", "begin_create_or_update", "create_or_update", "begin_delete", "delete"}


def test_apply_converges_when_a_fifth_of_all_writes_fail_and_a_rerun_has_nothing_left_to_do(
    cloud: AzureCloud, emu: Any, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    changes = [rg]
    for n in range(6):
        changes += tenant_changes(
            subscription, group, f"f{n}", [1, 2], content_filter=n % 2 == 0, group_address=rg.address
        )
    # 429 + 5xx + dropped connections (half after the write was applied, so the retry meets a busy
    # account: 409 RequestConflict) on 22% of writes, plus failed long-running operations.
    emu.set_faults(
        FaultSettings(
            rate_429=0.10,
            rate_5xx=0.07,
            drop_rate=0.05,
            lro_fail_rate=0.05,
            methods=WRITES,
            retry_after=0,
            seed=20261122,
        )
    )
    emu.reset_counts()

    result = apply_plan(plan_of(changes), cloud, hooks=hooks)

    emu.set_faults(FaultSettings())
    counts = emu.request_counts()
    sent = sum(n for op, n in counts.items() if op.split(".")[-1] in _WRITE_OPS)
    assert sent > len(changes), f"the faults never hit: {counts}"  # writes were really re-sent
    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code, o.message) for o in result.failed]
    assert cloud_differences(cloud, changes) == []  # everything once, nothing extra
    rerun = apply_plan(plan_of(changes), cloud)  # idempotent PUTs: a re-run changes nothing
    assert rerun.status is ApplyStatus.SUCCESS
    assert cloud_differences(cloud, changes) == []


def _driver(state: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(state), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=DRIVER.parents[2],
    )


def _kill_after(proc: subprocess.Popen[str], done_lines: int, timeout: float = 60.0) -> list[str]:
    """Read the driver's progress; SIGKILL it once ``done_lines`` changes finished (or at once if 0)."""
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.strip())
        finished = sum(1 for s in seen if s.startswith("DONE"))
        if (line.startswith("READY") and done_lines == 0) or (done_lines and finished >= done_lines):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=timeout)
    return seen


@pytest.mark.slow
def test_apply_killed_with_sigkill_at_several_points_converges_on_rerun_without_duplicates(
    tmp_path: Path,
) -> None:
    state = tmp_path / "cloud"
    # 0 = right after start (first writes in flight); then after 3, 9 and 17 finished changes, i.e.
    # mid-chain on several accounts at once, with long-running operations still in progress.
    for done_lines in (0, 3, 9, 17):
        proc = _driver(state, "apply")
        seen = _kill_after(proc, done_lines)
        assert proc.stderr is not None
        assert proc.returncode == -signal.SIGKILL, (seen, proc.stderr.read()[-3000:])

    final = _driver(state, "apply")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, out + err
    assert "RESULT success" in out

    check = _driver(state, "verify")
    out, err = check.communicate(timeout=60)
    assert check.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_a_change_whose_retries_ran_out_in_the_adapter_is_sent_again_and_reported_through_on_retry(
    strict_cloud: AzureCloud,
    emu: Any,
    group: str,
    hooks: RecordingHooks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tenantctl.execution.executor._BACKOFF", 0.01)
    subscription = str(emu.subscription_id)
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "again", [1, 1], group_address=rg.address)]
    # the strict adapter gives up on the first 5xx; the executor's own attempts must carry the change
    emu.set_faults(FaultSettings(rate_5xx=0.4, methods=WRITES, retry_after=0, seed=3))

    result = apply_plan(plan_of(changes), strict_cloud, hooks=hooks, attempts=6)

    emu.set_faults(FaultSettings())
    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code) for o in result.failed]
    retries = [e for e in hooks.events if e.kind == "retry"]
    assert retries, "no write failed: the test proves nothing"
    assert max(o.attempts for o in result.outcomes) > 1
    assert cloud_differences(strict_cloud, changes) == []


def test_ctrl_c_lets_the_writes_in_flight_finish_skips_the_rest_and_reports_partial(tmp_path: Path) -> None:
    proc = _driver(tmp_path / "cloud", "apply")
    assert proc.stdout is not None
    finished = 0
    for line in proc.stdout:
        finished += line.startswith("DONE")
        if finished >= 3:
            os.kill(proc.pid, signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, out + err  # partial: some changes done, the rest skipped
    assert "RESULT partial" in out
    assert "Traceback" not in err
