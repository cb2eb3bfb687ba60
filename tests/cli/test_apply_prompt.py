"""apply asks before writing when a person is at a terminal, and writes nothing on 'no'."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import EXAMPLES, REPO


def _run_on_a_terminal(args: list[str], cwd: Path, answer: bytes, env: dict[str, str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"Apply these changes to Azure?" in seen:
                os.write(leader, answer)
                answered = True
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(leader)
    return process.returncode, seen.decode(errors="replace")


def test_apply_on_a_terminal_shows_the_plan_asks_and_changes_nothing_on_no(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "minimal.toml", tmp_path / "tenants.toml")
    env = {**os.environ, "TENANTCTL_EMULATOR_LRO_SECONDS": "0.02", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    code, screen = _run_on_a_terminal([sys.executable, "-m", "tenantctl", "apply", "--emulator"], tmp_path, b"n\n", env)
    assert "Plan:" in screen
    assert "Apply these changes to Azure?" in screen
    assert code == 1
    assert "cancelled" in screen
    plan = subprocess.run(
        [sys.executable, "-m", "tenantctl", "plan", "--emulator", "--detailed-exitcode"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 2, "nothing was created, so the plan still has every change"
