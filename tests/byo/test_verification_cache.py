"""Recently passed tenant-provided verifications are reused (issue 13): a no-op plan makes no request for
them, while anything that could change the verdict — a failing check, a changed manifest, an expired
entry, ``--reverify`` — verifies again. Real msal and azure-mgmt against the emulator."""

from __future__ import annotations

import dataclasses
import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tenantctl.cli.runtime import emulator_session
from tenantctl.cloud.azure import connect_emulator
from tenantctl.cloud.session import CloudSession
from tenantctl.emulator import Emulator
from tenantctl.errors import UsageError
from tenantctl.manifest.model import Manifest
from tenantctl.tenant_provided.cache import (
    CACHE_FILE,
    DEFAULT_TTL,
    VerificationCache,
    default_state_dir,
    ttl_from_environment,
)
from tenantctl.tenant_provided.verification import ReportVerifier
from tests.byo.conftest import FAST_WAIT, make_manifest


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def session(emulator: Emulator, tmp_path: Path, clock: Clock) -> CloudSession:
    cache = VerificationCache(tmp_path / CACHE_FILE, scope=emulator.endpoint, clock=clock)
    return dataclasses.replace(emulator_session(connect_emulator(emulator), emulator), verification_cache=cache)


def _requests(emulator: Emulator) -> int:
    return sum(emulator.request_counts().values())


def _verify(session: CloudSession, manifest: Manifest, *, reverify: bool = False) -> dict[str, Any]:
    return session.verify_tenant_provided(manifest, role_wait=FAST_WAIT, reverify=reverify)


def test_a_passed_verification_is_reused_without_any_request(emulator: Emulator, session: CloudSession) -> None:
    manifest = make_manifest()
    first = _verify(session, manifest)
    assert first["trey"]["ok"] is True
    assert "cached" not in first["trey"]
    before = _requests(emulator)
    second = _verify(session, manifest)
    assert _requests(emulator) == before  # not one token request or ARM read
    assert second["trey"]["cached"] is True
    assert {k: v for k, v in second["trey"].items() if k not in ("cached", "verified_at")} == first["trey"]


def test_reverify_checks_again_and_records_the_fresh_result(emulator: Emulator, session: CloudSession) -> None:
    manifest = make_manifest()
    _verify(session, manifest)
    before = _requests(emulator)
    fresh = _verify(session, manifest, reverify=True)
    assert _requests(emulator) > before
    assert "cached" not in fresh["trey"]


def test_a_failing_verification_is_never_cached(emulator: Emulator, session: CloudSession) -> None:
    from tenantctl.cloud.byo_probe import emulator_report_verifier

    def unconsented(manifest: Manifest, **_: Any) -> ReportVerifier:  # the tenant's admin has not consented yet
        return emulator_report_verifier(emulator, manifest, consent=False, role_wait=FAST_WAIT)

    session = dataclasses.replace(session, verifiers=unconsented)
    manifest = make_manifest()
    assert _verify(session, manifest)["trey"]["ok"] is False
    before = _requests(emulator)
    again = _verify(session, manifest)
    assert _requests(emulator) > before, "a failing tenant must be re-checked on every run"
    assert again["trey"]["ok"] is False
    assert "cached" not in again["trey"]


def test_a_changed_manifest_misses_the_cache(emulator: Emulator, session: CloudSession) -> None:
    _verify(session, make_manifest())
    before = _requests(emulator)
    changed = _verify(session, make_manifest(expect_deployments=["gpt-4o", "gpt-4o-mini"]))
    assert _requests(emulator) > before
    assert "cached" not in changed["trey"]


def test_an_expired_entry_is_verified_again(emulator: Emulator, session: CloudSession, clock: Clock) -> None:
    manifest = make_manifest()
    _verify(session, manifest)
    clock.now += DEFAULT_TTL - timedelta(seconds=1)
    assert _verify(session, manifest)["trey"].get("cached") is True
    clock.now += timedelta(seconds=2)
    before = _requests(emulator)
    assert "cached" not in _verify(session, manifest)["trey"]
    assert _requests(emulator) > before


def test_an_entry_from_the_future_is_not_trusted(emulator: Emulator, session: CloudSession, clock: Clock) -> None:
    manifest = make_manifest()
    _verify(session, manifest)
    clock.now -= timedelta(minutes=5)  # the clock went back: the entry's age is unknown
    assert "cached" not in _verify(session, manifest)["trey"]


def test_another_cloud_does_not_share_entries(emulator: Emulator, session: CloudSession, tmp_path: Path) -> None:
    manifest = make_manifest()
    _verify(session, manifest)
    assert session.verification_cache is not None
    other = dataclasses.replace(
        session, verification_cache=dataclasses.replace(session.verification_cache, scope="https://elsewhere.example")
    )
    assert "cached" not in _verify(other, manifest)["trey"]


def test_the_file_is_private_holds_no_token_and_a_broken_one_is_ignored(
    emulator: Emulator, session: CloudSession
) -> None:
    manifest = make_manifest()
    _verify(session, manifest)
    assert session.verification_cache is not None
    path = session.verification_cache.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "eyJ" not in text  # no JWT (every token starts with the base64 of '{"')
    assert json.loads(text)["format"] == 1
    path.write_text("{not json", encoding="utf-8")
    assert "cached" not in _verify(session, manifest)["trey"]  # ignored, verified again...
    assert json.loads(path.read_text(encoding="utf-8"))["entries"]  # ...and the file rebuilt


def test_an_unwritable_state_directory_only_costs_speed(emulator: Emulator, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    cache = VerificationCache(blocker / CACHE_FILE, scope=emulator.endpoint)
    session = dataclasses.replace(emulator_session(connect_emulator(emulator), emulator), verification_cache=cache)
    assert _verify(session, make_manifest())["trey"]["ok"] is True


def test_ttl_and_state_directory_from_the_environment(tmp_path: Path) -> None:
    assert ttl_from_environment({}) == DEFAULT_TTL
    assert ttl_from_environment({"TENANTCTL_VERIFY_TTL": "90"}) == timedelta(seconds=90)
    assert not VerificationCache(tmp_path / "x", "s", ttl_from_environment({"TENANTCTL_VERIFY_TTL": "0"})).enabled
    for bad in ("soon", "-5", "nan", "inf"):
        with pytest.raises(UsageError, match="TENANTCTL_VERIFY_TTL") as caught:
            ttl_from_environment({"TENANTCTL_VERIFY_TTL": bad})
        assert caught.value.code == "bad-verify-ttl"
    assert default_state_dir({"TENANTCTL_STATE_DIR": str(tmp_path)}) == tmp_path
    assert default_state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "tenantctl"


def test_a_disabled_cache_verifies_every_time(emulator: Emulator, session: CloudSession) -> None:
    assert session.verification_cache is not None
    off = dataclasses.replace(
        session, verification_cache=dataclasses.replace(session.verification_cache, ttl=timedelta(0))
    )
    manifest = make_manifest()
    _verify(off, manifest)
    before = _requests(emulator)
    _verify(off, manifest)
    assert _requests(emulator) > before
    assert not off.verification_cache or not off.verification_cache.path.exists()
