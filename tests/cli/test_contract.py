"""The CLI's machine API: the JSON envelope, exit codes, and errors without tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tenantctl import __version__
from tests.cli.conftest import EXAMPLES, REPO, envelope_of

ENVELOPE_KEYS = {"tenantctl", "command", "status", "exit_code", "data", "diagnostics"}
DIAGNOSTIC_KEYS = {"severity", "code", "summary", "detail", "path", "line", "file", "tenant"}
PLANTED = REPO / "tests" / "manifest" / "data" / "planted-mistakes.toml"


def test_version_prints_the_package_version(cli: Any) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"tenantctl {__version__}"


def test_validate_of_the_big_example_succeeds_with_a_summary(cli: Any) -> None:
    result = cli("validate", "-f", str(EXAMPLES / "tenants.toml"))
    assert result.exit_code == 0, result.output
    assert "is valid" in result.stdout


def test_the_json_envelope_has_exactly_the_documented_keys(cli: Any) -> None:
    result = cli("validate", "-f", str(EXAMPLES / "tenants.toml"), "-o", "json")
    document = envelope_of(result)
    assert set(document) == ENVELOPE_KEYS
    assert document["tenantctl"] == 1
    assert document["command"] == "validate"
    assert document["status"] == "success"
    assert document["exit_code"] == 0 == result.exit_code
    assert document["data"]["valid"] is True


def test_planted_mistakes_are_all_reported_with_path_and_line_and_exit_1(cli: Any) -> None:
    result = cli("validate", "-f", str(PLANTED), "-o", "json")
    assert result.exit_code == 1
    document = envelope_of(result)
    assert document["status"] == "error"
    diagnostics = document["diagnostics"]
    assert all(set(d) == DIAGNOSTIC_KEYS for d in diagnostics)
    codes = {d["code"] for d in diagnostics}
    # the five mistakes the foundation issue names, at least
    assert {"unknown-key", "capacity", "unknown-stamp", "invalid-name", "budget-exceeded"} <= codes
    assert all(d["path"] and d["line"] for d in diagnostics if d["severity"] == "error")
    typo = next(d for d in diagnostics if d["code"] == "unknown-key")
    assert "did you mean 'capacity'" in typo["summary"]


def test_human_diagnostics_match_the_golden_file(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(REPO)
    result = cli("validate", "-f", "tests/manifest/data/planted-mistakes.toml")
    assert result.exit_code == 1
    golden = Path(__file__).parent / "golden" / "validate-planted-mistakes.txt"
    text = result.stderr + result.stdout
    if not golden.exists() or _updating():
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def _updating() -> bool:
    import os

    return os.environ.get("UPDATE_GOLDENS") == "1"


def test_a_missing_manifest_is_a_clear_error_not_a_traceback(cli: Any, tmp_path: Path) -> None:
    result = cli("validate", "-f", str(tmp_path / "nope.toml"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "nope.toml" in result.stderr


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "tenants.toml"
    assert cli("init", "-f", str(target)).exit_code == 0
    assert cli("validate", "-f", str(target)).exit_code == 0
    before = target.read_text()
    again = cli("init", "-f", str(target), "-o", "json")
    assert again.exit_code == 1
    assert envelope_of(again)["diagnostics"][0]["code"] == "exists"
    assert target.read_text() == before


def test_schema_prints_a_json_schema(cli: Any) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    assert '"$schema"' in result.stdout


def test_apply_without_a_terminal_or_auto_approve_refuses_instead_of_hanging(cli: Any, tmp_path: Path) -> None:
    result = cli("apply", "-f", str(EXAMPLES / "minimal.toml"), "--emulator", "-o", "json")
    assert result.exit_code == 1
    assert envelope_of(result)["diagnostics"][0]["code"] == "needs-approval"


def test_help_lists_every_command_and_the_exit_codes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tenantctl", "--help"], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    for command in ("validate", "init", "schema", "plan", "apply", "emulator"):
        assert re.search(rf"^\s+{command}\b", out, re.M), command
    assert "Exit codes" in out


def test_a_relative_lock_path_is_relative_to_the_manifest_not_the_working_directory(tmp_path: Path) -> None:
    from tenantctl.manifest.load import load_manifest
    from tenantctl.reconcile import lock_settings

    text = (EXAMPLES / "minimal.toml").read_text()
    text = text.replace("[provider]\n", '[provider]\nlock = { backend = "file", path = "locks/apply.lock" }\n', 1)
    manifest_path = tmp_path / "team" / "tenants.toml"
    manifest_path.parent.mkdir()
    manifest_path.write_text(text)
    loaded = load_manifest(manifest_path).manifest
    assert loaded is not None
    assert lock_settings(loaded, manifest_path).path == manifest_path.parent / "locks" / "apply.lock"
