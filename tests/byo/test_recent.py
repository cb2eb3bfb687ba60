"""Recently verified tenant-provided accounts are reused by plan and apply (pure: the verifier is a function)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantctl.tenant_provided.recent import VERIFIED_FOR, with_recent_verifications

from .conftest import make_manifest


class Verifier:
    """Counts which tenants were verified; answers ``ok`` as told."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls: list[list[str]] = []

    def __call__(self, stale: list[str]) -> dict[str, Any]:
        self.calls.append(list(stale))
        return {t: {"available": True, "tenant": t, "ok": self.ok, "checks": []} for t in stale}


def test_a_passing_verification_is_reused_within_the_hour_and_says_so(tmp_path: Path) -> None:
    path, manifest, verify = tmp_path / "verified.json", make_manifest(), Verifier()
    first = with_recent_verifications(path, manifest, ["trey"], verify, now=lambda: 1000.0)
    assert verify.calls == [["trey"]]
    assert "cached" not in first["trey"]
    again = with_recent_verifications(path, manifest, ["trey"], verify, now=lambda: 1000.0 + VERIFIED_FOR - 1)
    assert verify.calls == [["trey"]]  # nothing verified: no sign-in, no ARM read
    assert again["trey"]["cached"] is True
    assert again["trey"]["ok"] is True
    assert again["trey"]["verified_at"] == "1970-01-01T00:16:40+00:00"
    later = with_recent_verifications(path, manifest, ["trey"], verify, now=lambda: 1000.0 + VERIFIED_FOR)
    assert verify.calls == [["trey"], ["trey"]]  # an hour old: verified again
    assert "cached" not in later["trey"]


def test_reverify_and_a_changed_manifest_verify_again(tmp_path: Path) -> None:
    path, verify = tmp_path / "verified.json", Verifier()
    with_recent_verifications(path, make_manifest(), ["trey"], verify, now=lambda: 0.0)
    with_recent_verifications(path, make_manifest(), ["trey"], verify, reverify=True, now=lambda: 1.0)
    assert verify.calls == [["trey"], ["trey"]]
    changed = make_manifest(expect_deployments=["gpt-4o", "embeddings"])
    with_recent_verifications(path, changed, ["trey"], verify, now=lambda: 2.0)
    assert verify.calls == [["trey"], ["trey"], ["trey"]]


def test_a_failing_verification_is_never_reused(tmp_path: Path) -> None:
    path, manifest = tmp_path / "verified.json", make_manifest()
    with_recent_verifications(path, manifest, ["trey"], Verifier(), now=lambda: 0.0)
    failing = Verifier(ok=False)
    with_recent_verifications(path, manifest, ["trey"], failing, reverify=True, now=lambda: 1.0)
    # The admin fixed it a moment later: the next plan asks Azure again, not the cache.
    fixed = Verifier()
    result = with_recent_verifications(path, manifest, ["trey"], fixed, now=lambda: 2.0)
    assert fixed.calls == [["trey"]]
    assert result["trey"]["ok"] is True


def test_a_damaged_or_unwritable_cache_only_costs_a_verification(tmp_path: Path) -> None:
    path, manifest, verify = tmp_path / "verified.json", make_manifest(), Verifier()
    path.write_text("{not json")
    assert with_recent_verifications(path, manifest, ["trey"], verify, now=lambda: 0.0)["trey"]["ok"] is True
    blocked = tmp_path / "file" / "verified.json"
    (tmp_path / "file").write_text("a file where the directory should be")
    assert with_recent_verifications(blocked, manifest, ["trey"], verify, now=lambda: 0.0)["trey"]["ok"] is True
    assert verify.calls == [["trey"], ["trey"]]
