"""A hostile user of every command: bad files, bad options, bad state, Ctrl-C.

The promise under test: a clear error naming what and where, never a traceback, the documented
exit code, with ``-o json`` exactly one envelope on stdout, and the manifest never damaged.
Usage errors go through :func:`tenantctl.cli.app.run` (what the ``tenantctl`` script runs), the rest
through typer's CliRunner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenantctl.cli.app import run
from tests.cli.conftest import EXAMPLES, envelope_of


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory (the emulator's state and the apply lock live in .tenantctl/ of it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    (tmp_path / "t.toml").write_text((EXAMPLES / "minimal.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def _only_envelope(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)  # the whole of stdout is one JSON document
    assert set(document) == {"tenantctl", "command", "status", "exit_code", "data", "diagnostics"}
    return dict(document)


def _codes(document: dict[str, Any]) -> list[str]:
    return [d["code"] for d in document["diagnostics"]]


# --- usage errors: exit 1, never 2 (2 means "plan has changes"), and an envelope under -o json -----


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--detailed-exitcode", "--bogus"],
        ["plan", "-o", "yaml"],
        ["apply", "--parallelism", "0"],
        ["apply", "--lock-timeout", "-5", "--auto-approve"],
        ["export", "routing", "--format", "xml"],
        ["emulator", "serve", "--port", "70000"],
        ["emulator", "serve", "--fault-rate", "7"],
        ["nosuchcommand"],
        [],
    ],
)
def test_usage_errors_exit_1_not_the_changes_code(
    argv: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("argv", "command", "mentions"),
    [
        (["apply", "--parallelism", "0", "-o", "json"], "apply", "--parallelism"),
        (["plan", "--output=json", "--nope"], "plan", "--nope"),
        (["tenant", "set", "-ojson"], "tenant set", "ID"),
        (["export", "routing", "--format", "xml", "-o", "json"], "export routing", "xml"),
    ],
)
def test_usage_errors_under_json_print_one_envelope(
    argv: list[str], command: str, mentions: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 1
    document = _only_envelope(capsys.readouterr().out)
    assert (document["command"], document["status"], document["exit_code"]) == (command, "error", 1)
    assert _codes(document) == ["usage"]
    assert mentions in document["diagnostics"][0]["summary"]


def test_plan_detailed_exitcode_still_exits_2_on_changes(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--emulator", "-f", "t.toml", "--detailed-exitcode", "-o", "json"]) == 2
    assert _only_envelope(capsys.readouterr().out)["exit_code"] == 2


# --- Ctrl-C --------------------------------------------------------------------------------------------


def test_ctrl_c_under_json_still_prints_one_envelope(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tenantctl.manifest.load

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tenantctl.manifest.load, "load_manifest", interrupted)
    result = cli("validate", "-f", "t.toml", "-o", "json")
    assert result.exit_code == 130
    document = _only_envelope(result.stdout)
    assert (document["status"], document["exit_code"], _codes(document)) == ("error", 130, ["interrupted"])
    human = cli("validate", "-f", "t.toml")
    assert human.exit_code == 130
    assert human.stdout == ""
    assert "interrupted" in human.stderr


def test_apply_json_says_whether_it_was_interrupted() -> None:
    from tenantctl.execution.result import ApplyResult
    from tenantctl.planning.model import Plan
    from tenantctl.render.json_views import apply_result_to_json

    data = apply_result_to_json(ApplyResult((), 0.0, interrupted=True), Plan(changes=(), manifest_name="m"))
    assert data["interrupted"] is True
    assert data["stopped"] is None
    assert data["status"] == "partial" or data["status"] == "error"


# --- files that cannot be written ----------------------------------------------------------------------


def test_init_into_a_missing_directory_is_a_clear_error(cli: Any, workdir: Path) -> None:
    result = cli("init", "-f", "nodir/tenants.toml", "-o", "json")
    assert result.exit_code == 1
    document = _only_envelope(result.stdout)
    assert _codes(document) == ["write-failed"]
    assert "nodir/tenants.toml" in document["diagnostics"][0]["summary"]


def test_schema_out_to_a_directory_is_a_clear_error(cli: Any, workdir: Path) -> None:
    (workdir / "adir").mkdir()
    result = cli("schema", "--out", "adir")
    assert result.exit_code == 1
    assert "cannot write the JSON Schema to adir" in result.stderr
    assert "internal error" not in result.stderr


# --- tenant set: malformed assignments never reach (or damage) the manifest ----------------------------


@pytest.mark.parametrize("assignment", ["a..b=1", ".=1", " =1", "a b=1", "network..public_access=false"])
def test_tenant_set_rejects_malformed_keys(cli: Any, workdir: Path, assignment: str) -> None:
    before = (workdir / "t.toml").read_bytes()
    result = cli("tenant", "set", "acme", assignment, "-f", "t.toml", "-o", "json")
    assert result.exit_code == 1
    assert _codes(_only_envelope(result.stdout)) == ["bad-assignment"]
    assert (workdir / "t.toml").read_bytes() == before


def test_tenant_unset_of_an_empty_key_is_refused(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "set", "acme", "--unset", "", "-f", "t.toml")
    assert result.exit_code == 1
    assert "has no key" in result.stderr


def test_tenant_set_diagnostics_name_the_manifest_given(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "set", "acme", "protected=maybe", "-f", "t.toml", "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = _only_envelope(result.stdout)["diagnostics"]
    assert (diagnostic["file"], diagnostic["path"]) == ("t.toml", "tenants.acme.protected")


def test_tenant_set_on_inherited_deployments_explains_defaults(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "set", "acme", "deployments.chat.capacity=20", "-f", "t.toml")
    assert result.exit_code == 1
    assert "[defaults]" in result.stderr
    assert "it has: none" not in result.stderr


def test_tenant_commands_on_a_binary_file_name_the_encoding(cli: Any, workdir: Path) -> None:
    (workdir / "bin.toml").write_bytes(b"\x00\xff\xfe garbage")
    for args in (["set", "acme", "tpm=1"], ["remove", "acme"], ["add", "beta", "--isolation", "dedicated"]):
        result = cli("tenant", *args, "-f", "bin.toml", "-o", "json")
        assert result.exit_code == 1
        assert _codes(_only_envelope(result.stdout)) == ["encoding"]
    assert (workdir / "bin.toml").read_bytes() == b"\x00\xff\xfe garbage"


def test_user_text_is_not_turned_into_emoji(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "add", "beta", "--isolation", "dedicated", "-d", "chat=a:b:c:d:e", "-f", "t.toml")
    assert result.exit_code == 1
    assert "chat=a:b:c:d:e" in result.stderr


# --- saved plans ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"tenantctl_saved_plan": 2, "plan": {}}, "version 2"),
        ({"tenantctl_saved_plan": 1, "options": "x", "plan": {}}, "damaged"),
        ({"tenantctl_saved_plan": 1, "options": {"tenants": 5}, "plan": {}}, "damaged"),
        ({"tenantctl_saved_plan": 1, "plan": None}, "damaged"),
        ([1, 2], "not a tenantctl saved plan"),
    ],
)
def test_apply_refuses_a_bad_saved_plan_clearly(cli: Any, workdir: Path, document: object, needle: str) -> None:
    (workdir / "plan.json").write_text(json.dumps(document), encoding="utf-8")
    result = cli("apply", "-f", "t.toml", "--plan", "plan.json", "--auto-approve", "-o", "json")
    assert result.exit_code == 1
    envelope = _only_envelope(result.stdout)
    assert _codes(envelope) == ["bad-plan"]
    assert needle in envelope["diagnostics"][0]["summary"]


def test_apply_refuses_a_binary_saved_plan(cli: Any, workdir: Path) -> None:
    (workdir / "plan.json").write_bytes(b"\xc0\xff garbage")
    result = cli("apply", "-f", "t.toml", "--plan", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert "plan.json is not a saved plan" in result.stderr
    assert "codec" not in result.stderr


# --- a broken .tenantctl/ state directory --------------------------------------------------------------


def test_corrupt_emulator_state_is_a_clear_error(cli: Any, workdir: Path) -> None:
    state = workdir / ".tenantctl" / "emulator"
    state.mkdir(parents=True)
    (state / "state.sqlite3").write_bytes(b"this is not SQLite" * 300)
    result = cli("plan", "--emulator", "-f", "t.toml", "-o", "json")
    assert result.exit_code == 1
    envelope = _only_envelope(result.stdout)
    assert _codes(envelope) == ["emulator-state"]
    assert str(state) in envelope["diagnostics"][0]["summary"]


def test_state_dir_that_is_a_file_is_a_clear_error(cli: Any, workdir: Path) -> None:
    (workdir / ".tenantctl").write_text("not a directory", encoding="utf-8")
    plan = cli("plan", "--emulator", "-f", "t.toml", "-o", "json")
    assert plan.exit_code == 1
    assert _codes(_only_envelope(plan.stdout)) == ["emulator-state"]
    apply = cli("apply", "--emulator", "-f", "t.toml", "--auto-approve", "-o", "json")
    assert apply.exit_code == 1
    assert _codes(_only_envelope(apply.stdout)) == ["lock-file"]


def test_emulator_serve_on_corrupt_state_is_a_clear_error(cli: Any, workdir: Path) -> None:
    state = workdir / "state"
    state.mkdir()
    (state / "state.sqlite3").write_bytes(b"this is not SQLite" * 300)
    result = cli("emulator", "serve", "--port", "0", "--state", str(state), "-o", "json")
    assert result.exit_code == 1
    assert _codes(_only_envelope(result.stdout)) == ["emulator-start"]


# --- what a pipeline reads first -----------------------------------------------------------------------


def test_blocked_plan_puts_its_errors_in_the_envelope(cli: Any, workdir: Path) -> None:
    text = (workdir / "t.toml").read_text(encoding="utf-8").replace("capacity = 10 }", "capacity = 5000 }")
    (workdir / "t.toml").write_text(text, encoding="utf-8")
    result = cli("plan", "--emulator", "-f", "t.toml", "-o", "json")
    assert result.exit_code == 1
    envelope = _only_envelope(result.stdout)
    errors = [d for d in envelope["diagnostics"] if d["severity"] == "error"]
    assert errors, "a blocked plan must say why in the envelope's diagnostics"
    assert {d["code"] for d in errors} <= {d["code"] for d in envelope["data"]["diagnostics"]}


def test_export_routing_of_a_manifest_without_tenants_says_so(cli: Any, workdir: Path) -> None:
    text = (workdir / "t.toml").read_text(encoding="utf-8")
    (workdir / "t.toml").write_text(text[: text.index("[tenants.acme]")], encoding="utf-8")
    result = cli("export", "routing", "-f", "t.toml")
    assert result.exit_code == 0
    assert "no tenants" in result.stdout
    document = envelope_of(cli("export", "routing", "-f", "t.toml", "-o", "json"))
    assert document["data"]["tenants"] == {}


# --- manifests that are not files ----------------------------------------------------------------------


def test_a_manifest_that_is_a_directory_is_named_as_such(cli: Any, workdir: Path) -> None:
    (workdir / "adir").mkdir()
    for args in (["validate"], ["plan", "--emulator"], ["tenant", "set", "acme", "tpm=1"]):
        result = cli(*args, "-f", "adir", "-o", "json")
        assert result.exit_code == 1
        envelope = _only_envelope(result.stdout)
        assert _codes(envelope) == ["file-unreadable"]
        assert "adir" in envelope["diagnostics"][0]["summary"]
        assert "directory" in envelope["diagnostics"][0]["summary"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_manifest_is_refused_not_read_forever(cli: Any, workdir: Path) -> None:
    for args in (["validate"], ["tenant", "remove", "acme"]):
        result = cli(*args, "-f", "/dev/zero", "-o", "json")
        assert result.exit_code == 1
        assert _codes(_only_envelope(result.stdout)) == ["file-unreadable"]


# --- byo endpoints: a consent link is opened by a tenant's admin ------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--authority-host", "javascript:alert(1)"],
        ["--authority-host", "http://login.example.com"],
        ["--arm-endpoint", "https://x:notaport"],
        ["--ca-bundle", "no-such-ca.pem"],
    ],
)
def test_byo_endpoints_and_ca_bundle_are_checked(
    option: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "big.toml").write_text((EXAMPLES / "tenants.toml").read_text(encoding="utf-8"), encoding="utf-8")
    command = ["byo", "consent-url"] if option[0] == "--authority-host" else ["byo", "verify"]
    assert run([*command, "trey", "-f", "big.toml", *option, "-o", "json"]) == 1
    document = _only_envelope(capsys.readouterr().out)
    assert _codes(document) == ["usage"]
    assert option[0] in document["diagnostics"][0]["summary"]


# --- two edits at once ---------------------------------------------------------------------------------


def test_parallel_tenant_edits_never_lose_one_another(workdir: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "NO_COLOR": "1"}
    ids = [f"par{n}" for n in range(8)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tenantctl", "tenant", "add", tenant, "--isolation", "dedicated", "-f", "t.toml"],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for tenant in ids
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    text = (workdir / "t.toml").read_text(encoding="utf-8")
    assert all(f"[tenants.{tenant}]" in text for tenant in ids), text


# --- --out never destroys the manifest -----------------------------------------------------------------


def test_plan_out_onto_the_manifest_is_refused(cli: Any, workdir: Path) -> None:
    before = (workdir / "t.toml").read_bytes()
    result = cli("plan", "--emulator", "-f", "t.toml", "--out", "./t.toml", "-o", "json")
    assert result.exit_code == 1
    assert _codes(_only_envelope(result.stdout)) == ["would-overwrite"]
    assert (workdir / "t.toml").read_bytes() == before


def test_schema_out_never_replaces_a_file_that_is_not_json(cli: Any, workdir: Path) -> None:
    before = (workdir / "t.toml").read_bytes()
    result = cli("schema", "--out", "t.toml")
    assert result.exit_code == 1
    assert "would-overwrite" in cli("schema", "--out", "t.toml", "-o", "json").stdout
    assert (workdir / "t.toml").read_bytes() == before
    assert cli("schema", "--out", "s.json").exit_code == 0
    assert cli("schema", "--out", "s.json").exit_code == 0, "re-writing its own JSON is fine"


def test_quota_for_a_region_the_manifest_does_not_use_says_so(cli: Any, workdir: Path) -> None:
    result = cli("quota", "--emulator", "-f", "t.toml", "--location", "mars", "-o", "json")
    assert result.exit_code == 0
    envelope = _only_envelope(result.stdout)
    assert _codes(envelope) == ["unknown-location"]
    assert "swedencentral" in envelope["diagnostics"][0]["summary"]


def test_ctrl_d_at_the_apply_prompt_is_a_no_not_an_internal_error(tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    from tests.cli.conftest import REPO
    from tests.cli.test_apply_prompt import _run_on_a_terminal

    shutil.copy(EXAMPLES / "minimal.toml", tmp_path / "tenants.toml")
    env = {**os.environ, "TENANTCTL_EMULATOR_LRO_SECONDS": "0.02", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    args = [sys.executable, "-m", "tenantctl", "apply", "--emulator"]
    code, screen = _run_on_a_terminal(args, tmp_path, b"\x04", env)  # Ctrl-D
    assert code == 1
    assert "cancelled" in screen
    assert "internal error" not in screen
    plan = subprocess.run(
        [sys.executable, "-m", "tenantctl", "plan", "--emulator", "--detailed-exitcode"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 2, "nothing was created"


def test_sigterm_during_apply_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    """A cancelled pipeline job gets SIGTERM: the writes in flight finish, the envelope still prints."""
    import os
    import signal
    import subprocess
    import sys

    from tests.cli.conftest import REPO

    shutil_copy = (EXAMPLES / "minimal.toml").read_text(encoding="utf-8")
    (tmp_path / "tenants.toml").write_text(shutil_copy, encoding="utf-8")
    env = {**os.environ, "TENANTCTL_EMULATOR_LRO_SECONDS": "1", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tenantctl", "apply", "--emulator", "--auto-approve", "-o", "json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress goes to stderr: wait until the first write is under way
        if "start" in line and "account" in line:
            break
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    envelope = _only_envelope(out)
    assert proc.returncode in (3, 130)
    assert envelope["exit_code"] == proc.returncode
    assert envelope["status"] in ("partial", "error")


@pytest.mark.parametrize("flags", [["--prune"], ["--tenant", "acme"], ["--retire"], ["--purge-deleted"]])
def test_apply_plan_refuses_flags_the_saved_plan_was_not_made_with(cli: Any, workdir: Path, flags: list[str]) -> None:
    assert cli("plan", "--emulator", "-f", "t.toml", "--out", "plan.json").exit_code == 0
    result = cli("apply", "--emulator", "-f", "t.toml", "--plan", "plan.json", "--auto-approve", *flags, "-o", "json")
    assert result.exit_code == 1
    envelope = _only_envelope(result.stdout)
    assert _codes(envelope) == ["plan-options"]
    assert flags[0] in envelope["diagnostics"][0]["summary"]


def test_inspect_works_on_a_manifest_without_provider_app(cli: Any, workdir: Path) -> None:
    """examples/minimal.toml has no [provider.app] (no tenant-provided tenants): inspect crashed on it."""
    assert cli("apply", "--emulator", "-f", "t.toml", "--auto-approve").exit_code == 0
    result = cli("inspect", "acme", "--emulator", "-f", "t.toml", "-o", "json")
    assert result.exit_code == 0, result.stdout
    envelope = _only_envelope(result.stdout)
    assert not [d for d in envelope["diagnostics"] if d["severity"] == "error"]


def test_azure_sdk_log_noise_is_kept_for_verbose(cli: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed sign-in is one diagnostic; the SDK's own multi-line log of it only shows with -v."""
    import logging

    import tenantctl.manifest.load

    seen: list[int] = []

    def load(path: Path) -> Any:
        seen.append(logging.getLogger("azure").getEffectiveLevel())
        raise KeyboardInterrupt

    monkeypatch.setattr(tenantctl.manifest.load, "load_manifest", load)
    before = logging.getLogger("azure").level
    cli("validate", "-f", "t.toml")
    cli("validate", "-f", "t.toml", "-v")
    assert seen[0] == logging.ERROR
    assert seen[1] != logging.ERROR or before == logging.ERROR
    assert logging.getLogger("azure").level == before, "restored after the command"


def test_tenant_edits_keep_a_crlf_manifest_crlf(cli: Any, workdir: Path) -> None:
    crlf = (workdir / "t.toml").read_bytes().replace(b"\n", b"\r\n")
    (workdir / "t.toml").write_bytes(crlf)
    assert cli("tenant", "add", "beta", "--isolation", "dedicated", "-f", "t.toml").exit_code == 0
    assert cli("tenant", "set", "acme", "protected=true", "-f", "t.toml").exit_code == 0
    data = (workdir / "t.toml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n"), "no bare LF mixed into a CRLF file"
    assert data.startswith(crlf[: crlf.index(b"[tenants.acme]")])
