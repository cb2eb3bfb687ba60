"""``tenant add|set|remove`` keep every byte outside the edited tenant, validate first, write atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tenantctl.cli.tenant_commands import parse_deployment, parse_value
from tests.lifecycle.conftest import EXAMPLES, envelope_of

COMMENTED = """\
# top comment: keep me
schema = 1

[provider]   # trailing comment on a header
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"    # aligned comment
name_prefix = "ctso"

[stamps.eu1]
location = "swedencentral"
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 300 },   # big
]

# ---- shared tenants ----

# about alpha
[tenants.alpha]
isolation = "shared"
stamp = "eu1"      # the EU stamp
tpm = 1000         # small

# ---- more shared tenants ----

[tenants.beta]
isolation  =  "shared"
stamp = "eu1"
tpm = 2000
# trailing comment at the very end
"""


def _outside(text: str, tenant: str) -> str:
    """The text with the tenant's own lines (header to the next blank/comment line) cut out."""
    lines = text.split("\n")
    start = lines.index(f"[tenants.{tenant}]")
    end = start + 1
    while end < len(lines) and lines[end].strip() and not lines[end].startswith(("#", "[")):
        end += 1
    return "\n".join(lines[:start] + lines[end:])


@pytest.fixture
def commented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tenants.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def test_set_changes_only_the_tenants_own_lines_and_keeps_every_comment(cli: Any, commented: Path) -> None:
    result = cli("tenant", "set", "alpha", "tpm=30000", "-o", "json")
    assert result.exit_code == 0, result.output
    after = commented.read_text(encoding="utf-8")
    assert "tpm = 30000" in after
    assert "# the EU stamp" in after
    assert _outside(after, "alpha") == _outside(COMMENTED, "alpha")
    assert envelope_of(result)["data"]["changed"] is True


def test_add_appends_a_table_and_leaves_every_existing_byte_alone(cli: Any, commented: Path) -> None:
    result = cli(
        "tenant",
        "add",
        "gamma",
        "--isolation",
        "dedicated-deployment",
        "--stamp",
        "eu1",
        "--deployment",
        "chat=gpt-4o:2024-11-20:DataZoneStandard:20",
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    after = commented.read_text(encoding="utf-8")
    assert after.startswith(COMMENTED)
    assert envelope_of(result)["data"]["toml"] == after[len(COMMENTED) + 1 :]


def test_remove_takes_the_tenant_and_its_glued_comment_and_nothing_else(cli: Any, commented: Path) -> None:
    result = cli("tenant", "remove", "alpha")
    assert result.exit_code == 0, result.output
    after = commented.read_text(encoding="utf-8")
    expected = COMMENTED.replace(
        '# about alpha\n[tenants.alpha]\nisolation = "shared"\nstamp = "eu1"      # the EU stamp\n'
        "tpm = 1000         # small\n\n",
        "",
    )
    assert after == expected


def test_add_then_remove_of_the_example_manifest_restores_it_byte_for_byte(cli: Any, workdir: Path) -> None:
    original = (workdir / "tenants.toml").read_bytes()
    assert cli("tenant", "add", "newco", "--isolation", "shared", "--stamp", "eu1", "--tpm", "1000").exit_code == 0
    assert (workdir / "tenants.toml").read_bytes() != original
    assert cli("tenant", "remove", "newco").exit_code == 0
    assert (workdir / "tenants.toml").read_bytes() == original


def test_the_same_add_twice_is_a_no_op_that_reports_changed_false(cli: Any, commented: Path) -> None:
    args = ("tenant", "add", "gamma", "--isolation", "shared", "--stamp", "eu1", "--tpm", "500", "-o", "json")
    assert cli(*args).exit_code == 0
    before = commented.stat().st_mtime_ns, commented.read_bytes()
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert envelope_of(again)["data"]["changed"] is False
    assert (commented.stat().st_mtime_ns, commented.read_bytes()) == before


def test_adding_an_existing_tenant_with_other_fields_is_a_conflict_that_writes_nothing(
    cli: Any, commented: Path
) -> None:
    result = cli("tenant", "add", "alpha", "--isolation", "shared", "--stamp", "eu1", "--tpm", "999", "-o", "json")
    assert result.exit_code == 1
    diagnostic = envelope_of(result)["diagnostics"][0]
    assert diagnostic["code"] == "tenant-exists"
    assert "tpm" in diagnostic["summary"]
    assert commented.read_text(encoding="utf-8") == COMMENTED


def test_an_edit_that_would_not_validate_is_refused_and_the_file_is_untouched(cli: Any, commented: Path) -> None:
    result = cli("tenant", "set", "alpha", "stamp=nowhere", "-o", "json")
    assert result.exit_code == 1
    assert envelope_of(result)["diagnostics"][0]["code"] == "unknown-stamp"
    assert commented.read_text(encoding="utf-8") == COMMENTED


def test_removing_a_protected_tenant_is_refused_until_it_is_unprotected(cli: Any, workdir: Path) -> None:
    refused = cli("tenant", "remove", "acme", "-o", "json")
    assert refused.exit_code == 1
    assert "unprotect it in a separate change first" in envelope_of(refused)["diagnostics"][0]["summary"]
    assert cli("tenant", "set", "acme", "protected=false").exit_code == 0
    assert cli("tenant", "remove", "acme").exit_code == 0
    assert "[tenants.acme]" not in (workdir / "tenants.toml").read_text(encoding="utf-8")


def test_setting_isolation_drops_the_keys_the_old_model_used(cli: Any, workdir: Path) -> None:
    result = cli(
        "tenant",
        "set",
        "bluesky",
        "isolation=dedicated-deployment",
        'deployments=[{ name = "chat", sku = "DataZoneStandard", capacity = 20 }]',
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.output
    table = envelope_of(result)["data"]["toml"]
    assert "tpm" not in table
    assert 'stamp = "eu1"' in table
    assert "capacity = 20" in table


def test_a_deployment_field_is_reached_by_the_deployments_name(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "set", "litware", "deployments.chat.capacity=40", "-o", "json")
    assert result.exit_code == 0, result.output
    assert "capacity = 40" in envelope_of(result)["data"]["toml"]
    missing = cli("tenant", "set", "litware", "deployments.nope.capacity=40", "-o", "json")
    assert missing.exit_code == 1
    assert envelope_of(missing)["diagnostics"][0]["code"] == "unknown-deployment"


def test_a_crash_between_temp_write_and_rename_leaves_the_old_manifest_and_no_temp_file(
    cli: Any, commented: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError(5, "simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    result = cli("tenant", "set", "alpha", "tpm=30000")
    assert result.exit_code == 1
    assert commented.read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in commented.parent.iterdir()) == ["tenants.toml"]


def test_a_read_only_directory_refuses_the_write_and_keeps_the_manifest(cli: Any, commented: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    commented.parent.chmod(0o555)
    try:
        result = cli("tenant", "set", "alpha", "tpm=30000")
    finally:
        commented.parent.chmod(0o755)
    assert result.exit_code == 1
    assert commented.read_text(encoding="utf-8") == COMMENTED


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("30000", 30000),
        ("false", False),
        ('["a", "b"]', ["a", "b"]),
        ("eu1", "eu1"),
        ('"quoted"', "quoted"),
        ("{ public_access = false }", {"public_access": False}),
        ("2024-11-20", "2024-11-20"),
    ],
)
def test_values_are_toml_literals_with_a_plain_string_fallback(raw: str, value: object) -> None:
    assert parse_value(raw) == value


def test_a_deployment_option_leaves_empty_parts_to_the_defaults() -> None:
    assert parse_deployment("chat=::DataZoneStandard:20") == {"name": "chat", "sku": "DataZoneStandard", "capacity": 20}
    assert parse_deployment("embed") == {"name": "embed"}


def test_the_example_manifest_is_the_one_the_workdir_fixture_copies() -> None:
    assert (EXAMPLES / "tenants.toml").is_file()


def test_setting_a_value_the_tenant_already_has_changes_nothing(cli: Any, commented: Path) -> None:
    result = cli("tenant", "set", "alpha", "tpm=1000", "-o", "json")
    assert result.exit_code == 0, result.output
    assert envelope_of(result)["data"]["changed"] is False
    assert commented.read_text(encoding="utf-8") == COMMENTED


# --- issue 15: what scripted edits used to lose or crash on ---------------------------------------------

AOT = COMMENTED.replace(
    "# ---- more shared tenants ----",
    """# ---- dedicated-deployment tenants ----

[tenants.gamma]
isolation = "dedicated-deployment"
stamp = "eu1"   # EU only
# gamma's deployments
[[tenants.gamma.deployments]]
name = "chat"   # the main one
model = "gpt-4o"
version = "2024-11-20"
sku = "DataZoneStandard"
capacity = 20   # raised in May

# ---- more shared tenants ----""",
)


def test_set_of_a_deployment_field_keeps_the_array_of_tables_and_every_comment(cli: Any, commented: Path) -> None:
    commented.write_text(AOT, encoding="utf-8")
    result = cli("tenant", "set", "gamma", "deployments.chat.capacity=60", "-o", "json")
    assert result.exit_code == 0, result.output
    assert commented.read_text(encoding="utf-8") == AOT.replace("capacity = 20   #", "capacity = 60   #")
    assert cli("tenant", "set", "gamma", "display_name=Gamma").exit_code == 0
    assert commented.read_text(encoding="utf-8") == AOT.replace("capacity = 20   #", "capacity = 60   #").replace(
        'stamp = "eu1"   # EU only\n', 'stamp = "eu1"   # EU only\ndisplay_name = "Gamma"\n'
    )


def test_set_keeps_the_inline_comment_on_the_edited_line(cli: Any, commented: Path) -> None:
    assert cli("tenant", "set", "alpha", "stamp=eu1", "tpm=1500").exit_code == 0
    assert commented.read_text(encoding="utf-8") == COMMENTED.replace(
        "tpm = 1000         # small", "tpm = 1500         # small"
    )


def test_editing_through_a_symlink_edits_the_target_and_keeps_the_link(cli: Any, commented: Path) -> None:
    shared = commented.parent / "shared"
    shared.mkdir()
    target = shared / "tenants.toml"
    commented.rename(target)
    commented.symlink_to(target)
    assert cli("tenant", "set", "alpha", "tpm=1500").exit_code == 0
    assert cli("tenant", "add", "gamma", "--isolation", "shared", "--stamp", "eu1", "--tpm", "5").exit_code == 0
    assert cli("tenant", "remove", "beta").exit_code == 0
    assert commented.is_symlink()
    assert os.readlink(commented) == str(target)
    assert "tpm = 1500" in target.read_text(encoding="utf-8")
    assert "[tenants.gamma]" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in shared.iterdir()) == ["tenants.toml"]


def test_a_crlf_manifest_stays_crlf(cli: Any, commented: Path) -> None:
    crlf = COMMENTED.replace("\n", "\r\n").encode()
    commented.write_bytes(crlf)
    assert cli("tenant", "set", "alpha", "tpm=1500", "display_name=Alpha").exit_code == 0
    assert cli("tenant", "add", "gamma", "--isolation", "shared", "--stamp", "eu1", "--tpm", "5").exit_code == 0
    assert cli("tenant", "remove", "gamma").exit_code == 0
    after = commented.read_bytes()
    assert after == crlf.replace(b"tpm = 1000 ", b"tpm = 1500 ").replace(
        b"tpm = 1500         # small\r\n", b'tpm = 1500         # small\r\ndisplay_name = "Alpha"\r\n'
    )


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["alpha", "display_name=" + "[" * 5000], "too-deep", "nested too deeply"),
        (["alpha", "display_name=" + "[" * 5000 + "]" * 5000], "too-deep", "nested too deeply"),
        (["alpha", "display_name=caf\udce9"], "encoding", "not UTF-8"),
        (["alpha", "display_name=\ud800"], "encoding", "not UTF-8"),
        (["alpha", "--unset", "network.public_access"], "unknown-key", "there is no 'network.public_access' to unset"),
        (["alpha", "--unset", "tpmm"], "unknown-key", "did you mean 'tpm'"),
        (["alpha", "display_name=a\x00b"], "invalid-value", "control character U+0000"),
    ],
)
def test_hostile_values_are_clear_errors_and_the_file_is_untouched(
    cli: Any, commented: Path, args: list[str], code: str, words: str
) -> None:
    result = cli("tenant", "set", *args, "-o", "json")
    assert result.exit_code in (1, 2), result.output
    (diagnostic,) = envelope_of(result)["diagnostics"]
    assert diagnostic["code"] == code
    assert words in diagnostic["summary"]
    assert "Traceback" not in result.output
    assert "tomlkit" not in result.output
    assert commented.read_text(encoding="utf-8") == COMMENTED


def test_a_wrong_type_is_the_only_error_reported(cli: Any, workdir: Path) -> None:
    result = cli("tenant", "set", "acme", "deployments=5", "-o", "json")
    assert result.exit_code == 1
    assert [(d["code"], d["path"]) for d in envelope_of(result)["diagnostics"]] == [
        ("invalid-type", "tenants.acme.deployments")
    ]
