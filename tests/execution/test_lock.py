"""The apply lock: a local file lock and an Azure Blob lease (against Azurite)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tenantctl.errors import LockHeldError, TenantctlError, UsageError
from tenantctl.execution import ApplyStatus, OutcomeStatus, apply_plan
from tenantctl.execution.lock import (
    BlobLockSettings,
    FileLockSettings,
    LockInfo,
    LockState,
    acquire_lock,
    default_holder,
    file_lock_for_manifest,
    lost_lock,
)

from .conftest import RecordingHooks
from .plans import group_change, plan_of, tenant_changes

REPO = Path(__file__).resolve().parents[2]
AZURITE = REPO / ".ci" / "node" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's well-known development account key: public, documented, and only valid against Azurite.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _hold_in_thread(settings: Any, holder: str, release: threading.Event) -> threading.Event:
    held = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with acquire_lock(settings, holder=holder, timeout=10):
                held.set()
                release.wait(30)
        except BaseException as exc:
            failure.append(exc)
            held.set()

    threading.Thread(target=run, daemon=True).start()
    assert held.wait(20), "the first holder never got the lock"
    assert not failure, failure
    return held


# --- file lock ---------------------------------------------------------------------------------------


def test_the_lock_file_lives_in_dot_tenantctl_next_to_the_manifest(tmp_path: Path) -> None:
    settings = file_lock_for_manifest(tmp_path / "tenants.toml")
    assert settings.path == tmp_path.resolve() / ".tenantctl" / "apply.lock"


def test_a_second_apply_fails_at_once_naming_the_holder_and_since_when(tmp_path: Path) -> None:
    settings = FileLockSettings(tmp_path / ".tenantctl" / "apply.lock")
    release = threading.Event()
    _hold_in_thread(settings, "alice@ci-runner pid 42 (CI run 777)", release)
    try:
        with pytest.raises(LockHeldError) as caught, acquire_lock(settings, holder="bob", timeout=0):
            pytest.fail("got a lock that is held")
    finally:
        release.set()
    message = str(caught.value)
    assert "alice@ci-runner pid 42 (CI run 777)" in message
    assert " since 20" in message  # an ISO timestamp
    assert "did not wait" in message
    assert caught.value.code == "lock-held"


def test_a_waiting_apply_gets_the_lock_as_soon_as_the_holder_releases_it(tmp_path: Path) -> None:
    settings = FileLockSettings(tmp_path / "apply.lock")
    release = threading.Event()
    _hold_in_thread(settings, "first", release)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with acquire_lock(settings, holder="second", timeout=10) as info:
        waited = time.monotonic() - started
        sidecar = json.loads(settings.sidecar.read_text())
    assert 0.2 < waited < 5
    assert info.holder == sidecar["holder"] == "second"
    assert not settings.sidecar.exists()  # released: nobody is named as holder any more


def test_a_lock_held_by_a_process_killed_with_sigkill_is_free_again(tmp_path: Path) -> None:
    settings = FileLockSettings(tmp_path / "apply.lock")
    code = (
        "import sys, time; from pathlib import Path\n"
        "from tenantctl.execution.lock import FileLockSettings, acquire_lock\n"
        f"with acquire_lock(FileLockSettings(Path({str(settings.path)!r})), holder='doomed', timeout=5):\n"
        "    print('HELD', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "HELD"
    with pytest.raises(LockHeldError, match="doomed"), acquire_lock(settings, holder="me", timeout=0):
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    with acquire_lock(settings, holder="me", timeout=5) as info:  # the OS dropped the dead holder's lock
        assert json.loads(settings.sidecar.read_text())["holder"] == info.holder == "me"


def test_the_default_holder_names_user_host_pid_and_the_ci_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    monkeypatch.setenv("BUILD_BUILDID", "4242")
    holder = default_holder()
    assert f"pid {os.getpid()}" in holder
    assert "@" in holder
    assert "CI run 4242" in holder


def test_two_concurrent_applies_under_the_file_lock_never_interleave_their_writes(
    tmp_path: Path, cloud: Any, subscription: str
) -> None:
    settings = FileLockSettings(tmp_path / "apply.lock")
    runs: dict[str, RecordingHooks] = {}
    errors: list[BaseException] = []

    def pipeline(name: str) -> None:
        hooks = runs[name] = RecordingHooks()
        rg = group_change(subscription, f"rg-{name}")
        changes = [rg] + [
            c
            for n in range(2)
            for c in tenant_changes(subscription, f"rg-{name}", f"{name}{n}", [1, 1], group_address=rg.address)
        ]
        try:
            with acquire_lock(settings, holder=f"pipeline {name}", timeout=60):
                assert apply_plan(plan_of(changes), cloud, hooks=hooks).status is ApplyStatus.SUCCESS
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pipeline, args=(name,)) for name in ("blue", "green")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    spans = {name: (min(e.at for e in h.events), max(e.at for e in h.events)) for name, h in runs.items()}
    (_, a_end), (b_start, _) = sorted(spans.values())
    assert a_end <= b_start, f"the two applies interleaved: {spans}"


# --- blob lease (Azurite) ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    """A private Azurite blob service; yields its connection string. Skips when Azurite is missing."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the blob-lease lock tests need Azurite (npm)")
    if not AZURITE.exists():
        pytest.skip("Azurite is not installed: run .ci/azurite.sh (npm install into .ci/node)")
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(AZURITE),
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.skip(f"Azurite did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
    yield (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def blob_settings(azurite: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> BlobLockSettings:
    monkeypatch.setenv("TENANTCTL_LOCK_CONNECTION_STRING", azurite)
    container = "locks" + str(abs(hash(request.node.name)) % 10**8)
    return BlobLockSettings(container=container, blob="prod/apply.lock", lease_seconds=15)


@pytest.mark.azurite
def test_a_held_blob_lease_fails_a_second_apply_naming_the_holder(blob_settings: BlobLockSettings) -> None:
    release = threading.Event()
    _hold_in_thread(blob_settings, "carol@build-7 pid 9 (CI run 31337)", release)
    try:
        with pytest.raises(LockHeldError) as caught, acquire_lock(blob_settings, holder="dave", timeout=0):
            pytest.fail("got a lease that is held")
    finally:
        release.set()
    assert "carol@build-7 pid 9 (CI run 31337)" in str(caught.value)
    assert " since 20" in str(caught.value)
    assert "prod/apply.lock" in str(caught.value)
    # the hint names a way to break a stale lease that exists (tenantctl has no --break-lock flag)
    assert "--break-lock" not in caught.value.hint
    assert f"az storage blob lease break --container-name {blob_settings.container}" in caught.value.hint


@pytest.mark.azurite
def test_a_waiting_apply_takes_the_blob_lease_once_it_is_released(blob_settings: BlobLockSettings) -> None:
    release = threading.Event()
    _hold_in_thread(blob_settings, "first", release)
    threading.Timer(0.5, release.set).start()
    with acquire_lock(blob_settings, holder="second", timeout=10) as info:
        assert isinstance(info, LockInfo)
        assert info.backend == "blob"
        assert info.holder == "second"


@pytest.mark.azurite
def test_breaking_the_lease_on_explicit_request_takes_over_a_held_lock(blob_settings: BlobLockSettings) -> None:
    release = threading.Event()
    _hold_in_thread(blob_settings, "stuck", release)
    try:
        breaker = BlobLockSettings(blob_settings.container, blob_settings.blob, lease_seconds=15, break_lease=True)
        with acquire_lock(breaker, holder="rescuer", timeout=0) as info:
            assert info.holder == "rescuer"
    finally:
        release.set()


@pytest.mark.azurite
@pytest.mark.slow
def test_the_lease_is_renewed_while_held_so_it_outlives_its_duration(blob_settings: BlobLockSettings) -> None:
    with acquire_lock(blob_settings, holder="long apply", timeout=0):
        time.sleep(blob_settings.lease_seconds + 3)
        with (
            pytest.raises(LockHeldError, match="long apply"),
            acquire_lock(blob_settings, holder="intruder", timeout=0),
        ):
            pass


def test_a_bad_connection_string_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("azure.storage.blob")
    secret = "AccountName=x;AccountKey=c2VjcmV0c2VjcmV0;NotAField"
    monkeypatch.setenv("TENANTCTL_LOCK_CONNECTION_STRING", secret)
    with pytest.raises(UsageError) as caught, acquire_lock(BlobLockSettings("locks"), holder="me", timeout=0):
        pass
    assert "c2VjcmV0c2VjcmV0" not in str(caught.value)
    assert "c2VjcmV0c2VjcmV0" not in caught.value.hint


@pytest.mark.azurite
def test_an_apply_whose_blob_lease_is_broken_sends_no_new_write_and_is_partial(
    blob_settings: BlobLockSettings, cloud: Any, subscription: str, group: str
) -> None:
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "lease", [1, 1, 1, 1], group_address=rg.address)]
    first = changes[2].address
    holder = replace(blob_settings, renew_seconds=0.1)
    intruder = replace(blob_settings, break_lease=True)
    taken = threading.Event()
    release = threading.Event()

    class BreakAfterFirst(RecordingHooks):
        def on_done(self, change: Any, outcome: Any) -> None:
            super().on_done(change, outcome)
            if change.address == first:  # another pipeline breaks the lease and takes the lock
                threading.Thread(target=intrude, daemon=True).start()
                assert taken.wait(20)
                deadline = time.monotonic() + 10
                while info.lost is None and time.monotonic() < deadline:
                    time.sleep(0.05)

    def intrude() -> None:
        with acquire_lock(intruder, holder="intruder", timeout=5):
            taken.set()
            release.wait(30)

    hooks = BreakAfterFirst()
    try:
        with acquire_lock(holder, holder="victim", timeout=0) as info:
            result = apply_plan(plan_of(changes), cloud, hooks=hooks)
    finally:
        release.set()

    assert "broken or taken over" in (info.lost or "")
    assert "was lost" in (result.stopped or "")
    assert result.status is ApplyStatus.PARTIAL
    assert result.outcome(first).ok
    assert all(result.outcome(c.address).status is OutcomeStatus.SKIPPED for c in changes[3:])
    assert [d.name for d in cloud.list_deployments(changes[1].account)] == ["chat0"]
    assert lost_lock() is None  # released: the process holds no lock any more


def test_a_lock_file_that_cannot_be_created_is_an_error_that_says_so_not_a_held_lock_or_a_crash(
    tmp_path: Path,
) -> None:
    (tmp_path / "not-a-dir").write_text("a file where .tenantctl/ should be\n")
    settings = FileLockSettings(tmp_path / "not-a-dir" / "apply.lock")
    with pytest.raises(TenantctlError) as caught, acquire_lock(settings, holder="me", timeout=1):
        pytest.fail("got a lock that cannot exist")
    assert not isinstance(caught.value, LockHeldError)
    assert caught.value.code == "lock-file"
    assert str(settings.path) in str(caught.value)
    assert lost_lock() is None


def test_the_lock_directory_is_created_when_it_is_missing(tmp_path: Path) -> None:
    settings = file_lock_for_manifest(tmp_path / "fresh" / "tenants.toml")
    (tmp_path / "fresh").mkdir()
    with acquire_lock(settings, holder="me", timeout=0):
        assert settings.sidecar.exists()
    assert not settings.sidecar.exists()


def test_a_lock_storage_that_cannot_be_used_is_a_lock_backend_error_without_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("azure.storage.blob")
    key = "not!!base64%%S3CR3TKEY"  # fails when the first request is signed, before any connection
    monkeypatch.setenv(
        "TENANTCTL_LOCK_CONNECTION_STRING",
        f"DefaultEndpointsProtocol=http;AccountName=dev;AccountKey={key};BlobEndpoint=http://127.0.0.1:9/dev;",
    )
    with pytest.raises(TenantctlError) as caught, acquire_lock(BlobLockSettings("locks"), holder="me", timeout=0):
        pytest.fail("got a lock from storage that cannot be used")
    assert caught.value.code == "lock-backend"
    assert "S3CR3T" not in str(caught.value)
    assert "S3CR3T" not in caught.value.hint


def test_a_lease_counts_as_lost_once_it_is_past_the_time_it_was_renewed_until() -> None:
    # The renewer may be stuck in the storage SDK's own retries; apply must not trust a lease
    # whose last successful renewal has run out, whether or not the renewer has noticed yet.
    state = LockState()
    assert state.lost is None  # a file lock: no expiry
    state.valid_until(time.monotonic() + 60)
    assert state.lost is None
    state.valid_until(time.monotonic() - 0.01)
    assert state.lost is not None
    assert "expired" in state.lost
    info = LockInfo("me", datetime.now(timezone.utc), "blob", "c/b", state=state)
    assert info.lost == state.lost


def test_a_waiting_apply_hears_who_holds_the_file_lock_until_it_is_released(tmp_path: Path) -> None:
    settings = FileLockSettings(tmp_path / "apply.lock")
    release = threading.Event()
    _hold_in_thread(settings, "alice@ci-runner pid 42", release)
    threading.Timer(1.5, release.set).start()
    heard: list[tuple[str | None, float]] = []
    with acquire_lock(
        settings, holder="bob", timeout=10, on_wait=lambda info, waited: heard.append((info and info.holder, waited))
    ) as info:
        assert info.holder == "bob"
    assert heard, "the wait was silent"
    assert {who for who, _ in heard} == {"alice@ci-runner pid 42"}
    waited = [seconds for _, seconds in heard]
    assert waited == sorted(waited)
    assert waited[-1] < 5


def test_a_free_lock_and_a_lock_not_waited_for_say_nothing_while_waiting(tmp_path: Path) -> None:
    settings = FileLockSettings(tmp_path / "apply.lock")
    heard: list[object] = []
    with acquire_lock(settings, holder="me", timeout=10, on_wait=lambda *a: heard.append(a)):
        pass
    release = threading.Event()
    _hold_in_thread(settings, "other", release)
    try:
        with pytest.raises(LockHeldError), acquire_lock(settings, holder="me", timeout=0, on_wait=heard.append):
            pass
    finally:
        release.set()
    assert heard == []


@pytest.mark.azurite
def test_a_waiting_apply_hears_who_holds_the_blob_lease(blob_settings: BlobLockSettings) -> None:
    release = threading.Event()
    _hold_in_thread(blob_settings, "alice@ci-runner pid 42", release)
    threading.Timer(1.5, release.set).start()
    heard: list[str | None] = []
    with acquire_lock(
        blob_settings, holder="bob", timeout=20, on_wait=lambda info, _w: heard.append(info and info.holder)
    ):
        pass
    assert heard
    assert set(heard) == {"alice@ci-runner pid 42"}


@pytest.mark.azurite
def test_apply_takes_its_lock_on_a_local_azurite_at_an_http_account_url(
    azurite: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tenantctl.cli.app import app

    endpoint = azurite.split("BlobEndpoint=")[1].rstrip(";")  # http://127.0.0.1:<port>/devstoreaccount1
    text = (REPO / "examples" / "minimal.toml").read_text()
    lock = f'lock = {{ backend = "blob", account_url = "{endpoint}", container = "http-locks" }}'
    (tmp_path / "tenants.toml").write_text(text.replace("[provider]\n", f"[provider]\n{lock}\n", 1))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENANTCTL_LOCK_CONNECTION_STRING", azurite)
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    settings = BlobLockSettings(container="http-locks", blob="tenantctl/default.lock")
    release = threading.Event()
    _hold_in_thread(settings, "alice@laptop pid 9", release)
    try:
        refused = CliRunner().invoke(app, ["apply", "--emulator", "--auto-approve", "-o", "json"])
    finally:
        release.set()
    assert refused.exit_code == 1
    assert "alice@laptop pid 9" in json.loads(refused.stdout)["diagnostics"][0]["summary"]
    # the holder is releasing it: wait for that rather than guess how long it takes
    applied = CliRunner().invoke(app, ["apply", "--emulator", "--auto-approve", "--lock-timeout", "10", "-o", "json"])
    assert applied.exit_code == 0, applied.output
