"""The lock and the small UX around it, as a user meets them through the CLI."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tenantctl.execution.lock import LockInfo, acquire_lock, file_lock_for_manifest
from tenantctl.render.lock_wait import lock_wait_view
from tests.cli.conftest import EXAMPLES, envelope_of

# --- a waiting apply says whom it waits for ----------------------------------------------------------


def test_a_waiting_apply_names_the_holder_on_stderr_once_and_keeps_stdout_for_the_envelope(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLES / "minimal.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with acquire_lock(file_lock_for_manifest(tmp_path / "tenants.toml"), holder="alice@ci pid 7", timeout=5):
            held.set()
            release.wait(30)

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(10)
    threading.Timer(2.5, release.set).start()
    result = cli("apply", "--emulator", "--auto-approve", "--lock-timeout", "20", "-o", "json")
    assert result.exit_code == 0, result.output
    assert envelope_of(result)["status"] == "success"  # stdout is the envelope and nothing else
    waiting = [line for line in result.stderr.splitlines() if line.startswith("waiting for the apply lock")]
    assert len(waiting) == 1, result.stderr  # not a TTY: one line per holder, not one per second
    assert "held by alice@ci pid 7 since 20" in waiting[0]
    assert "(held for " in waiting[0]
    assert "took the apply lock after waiting" in result.stderr


def test_the_wait_view_prints_one_line_each_time_the_holder_changes(capsys: pytest.CaptureFixture[str]) -> None:
    since = datetime.now(timezone.utc) - timedelta(minutes=3, seconds=5)
    alice = LockInfo("alice", since, "blob", "locks/prod.lock")
    bob = LockInfo("bob", since + timedelta(minutes=3), "blob", "locks/prod.lock")
    with lock_wait_view(interactive=False) as on_wait:
        for info, waited in ((None, 0.0), (alice, 1.0), (alice, 2.0), (alice, 3.0), (bob, 4.0), (bob, 65.0)):
            on_wait(info, waited)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 4, lines
    assert "has not recorded who it is yet" in lines[0]
    assert lines[1].startswith("waiting for the apply lock locks/prod.lock: held by alice since ")
    assert "(held for 3m05s)" in lines[1] or "(held for 3m06s)" in lines[1]
    assert "held by bob" in lines[2]
    assert lines[3] == "took the apply lock after waiting 1m05s"


def test_the_wait_view_says_nothing_when_the_lock_was_free(capsys: pytest.CaptureFixture[str]) -> None:
    with lock_wait_view(interactive=False):
        pass
    assert capsys.readouterr().err == ""


# --- the blob lock's account_url: https, or http for a local emulator only -----------------------------


def _with_lock(tmp_path: Path, lock: str) -> Path:
    text = (EXAMPLES / "minimal.toml").read_text()
    path = tmp_path / "tenants.toml"
    path.write_text(text.replace("[provider]\n", f"[provider]\nlock = {lock}\n", 1))
    return path


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:10000/devstoreaccount1",
        "http://localhost:10000/devstoreaccount1",
        "http://[::1]:10000/devstoreaccount1",
        "https://prodlocks.blob.core.windows.net",
    ],
)
def test_an_account_url_on_https_or_a_local_emulator_on_http_is_valid(cli: Any, tmp_path: Path, url: str) -> None:
    manifest = _with_lock(tmp_path, f'{{ backend = "blob", account_url = "{url}" }}')
    result = cli("validate", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://prodlocks.blob.core.windows.net", "plain http on prodlocks.blob.core.windows.net"),
        ("http://10.0.0.4:10000/devstoreaccount1", "plain http on 10.0.0.4"),
        ("ftp://127.0.0.1/x", "is not an https:// URL"),
        ("prodlocks", "is not an https:// URL"),
    ],
)
def test_an_account_url_on_http_beyond_this_machine_is_refused_naming_it(
    cli: Any, tmp_path: Path, url: str, says: str
) -> None:
    manifest = _with_lock(tmp_path, f'{{ backend = "blob", account_url = "{url}" }}')
    result = cli("validate", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = envelope_of(result)["diagnostics"]
    assert diagnostic["path"] == "provider.lock.account_url"
    assert says in diagnostic["summary"]
    if "http" in url and "ftp" not in url:
        assert "localhost" in diagnostic["detail"]


def test_a_local_emulator_lock_without_its_connection_string_says_which_variable_to_set(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTCTL_LOCK_CONNECTION_STRING", raising=False)
    manifest = _with_lock(tmp_path, '{ backend = "blob", account_url = "http://127.0.0.1:1/devstoreaccount1" }')
    monkeypatch.chdir(tmp_path)
    result = cli("apply", "-f", str(manifest), "--emulator", "--auto-approve", "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = envelope_of(result)["diagnostics"]
    assert "TENANTCTL_LOCK_CONNECTION_STRING" in diagnostic["summary"]
    assert "UseDevelopmentStorage=true" in diagnostic["detail"]


def test_apply_help_names_the_lock_connection_setting(cli: Any) -> None:
    assert "TENANTCTL_LOCK_CONNECTION_STRING" in cli("apply", "--help").stdout


def test_the_manifest_schema_documents_the_lock_connection_setting(cli: Any) -> None:
    schema = json.loads(cli("schema").stdout)
    text = json.dumps(schema)
    assert "TENANTCTL_LOCK_CONNECTION_STRING" in text


# --- slow set-up says what it is doing ------------------------------------------------------------------


def test_the_first_emulated_plan_says_it_sets_up_tenant_provided_accounts_on_stderr_only(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.4")  # Azure-like enough to outlast a second
    first = cli("plan", "--emulator", "-o", "json")
    assert first.exit_code == 0, first.output
    assert envelope_of(first)["command"] == "plan"  # stdout: the envelope alone
    lines = [line for line in first.stderr.splitlines() if "setting up the emulated tenant-provided" in line]
    assert len(lines) == 1, first.stderr  # not a TTY: a single line, no spinner frames
    # That a quick step stays silent is test_a_quick_step_is_silent_and_a_slow_one_shows_once's: timing a
    # second whole CLI run against the 1 s threshold failed under a load average of 15 on 2 vCPUs.


def test_a_quick_step_is_silent_and_a_slow_one_shows_once(capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from tenantctl.render.slow_step import slow_step

    with slow_step("quick", interactive=False, after=0.5):
        pass
    with slow_step("slow", interactive=False, after=0.05):
        time.sleep(0.3)
    with slow_step("slow on a terminal", interactive=True, after=0.05):
        time.sleep(0.3)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "quick" not in captured.err
    assert captured.err.splitlines()[0] == "slow ..."


@pytest.mark.parametrize("container", ["t1", "Locks", "tenantctl--locks", "-locks", "x" * 64])
def test_a_blob_container_name_storage_would_refuse_is_a_validation_error(
    cli: Any, tmp_path: Path, container: str
) -> None:
    lock = f'{{ backend = "blob", account_url = "https://a.blob.core.windows.net", container = "{container}" }}'
    result = cli("validate", "-f", str(_with_lock(tmp_path, lock)), "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = envelope_of(result)["diagnostics"]
    assert diagnostic["path"] == "provider.lock.container"


def test_the_validate_summary_counts_one_stamp_as_one_stamp(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "tenants.toml"
    assert cli("init", "-f", str(target)).exit_code == 0  # the starter has one stamp
    out = cli("validate", "-f", str(target)).stdout
    assert "1 stamp" in out
    assert "1 stamps" not in out
    assert "stamp(s)" not in out
