"""Edits change one tenant and keep every other byte of the manifest, comments included."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantctl.manifest.edit import add_tenant, remove_tenant, set_tenant_fields, write_atomically
from tenantctl.manifest.load import parse_manifest

from .conftest import EXAMPLES

EXAMPLE = (EXAMPLES / "tenants.toml").read_text(encoding="utf-8")


def _outside(text: str, tenant_id: str) -> tuple[str, str]:
    """The text before the tenant's header and after its last line (next header onwards)."""
    header = f"[tenants.{tenant_id}]\n"
    before, _, rest = text.partition(header)
    lines = [line + "\n" for line in rest.split("\n")]  # not splitlines: U+0085 is not a TOML newline
    for n, line in enumerate(lines):
        if line.startswith("[") and not line.startswith((f"[tenants.{tenant_id}.", f"[[tenants.{tenant_id}.")):
            return before, "".join(lines[n:])
    return before, ""


def test_adding_a_tenant_appends_it_and_leaves_the_rest_byte_for_byte() -> None:
    result = add_tenant(EXAMPLE, "newco", {"isolation": "shared", "stamp": "eu1", "tpm": 1000})
    assert result.text is not None
    assert result.changed
    assert result.text.startswith(EXAMPLE)
    assert result.text[len(EXAMPLE) :] == '\n[tenants.newco]\nisolation = "shared"\nstamp = "eu1"\ntpm = 1000\n'
    loaded = parse_manifest(result.text).manifest
    assert loaded is not None
    assert loaded.tenants["newco"].tpm == 1000


def test_adding_writes_nested_values_in_the_house_style() -> None:
    fields = {
        "isolation": "dedicated",
        "deployments": [{"name": "chat", "capacity": 5}, {"name": "embed"}],
        "network": {"allowed_ips": ["52.1.1.1"]},
        "tags": {"cost center": "x"},
    }
    result = add_tenant(EXAMPLE, "newd", fields)
    assert result.text is not None
    assert result.text[len(EXAMPLE) :] == (
        '\n[tenants.newd]\nisolation = "dedicated"\ndeployments = [\n  { name = "chat", capacity = 5 },\n'
        '  { name = "embed" },\n]\nnetwork = { allowed_ips = ["52.1.1.1"] }\ntags = { "cost center" = "x" }\n'
    )


def test_adding_the_same_tenant_twice_changes_nothing() -> None:
    fields = {"isolation": "shared", "stamp": "eu1", "tpm": 1000}
    first = add_tenant(EXAMPLE, "newco", fields)
    assert first.text is not None
    second = add_tenant(first.text, "newco", fields)
    assert second.text == first.text
    assert not second.changed
    assert not second.diagnostics.has_errors


def test_adding_a_tenant_that_exists_with_other_fields_is_a_conflict() -> None:
    result = add_tenant(EXAMPLE, "bluesky", {"isolation": "shared", "stamp": "eu1", "tpm": 1})
    assert result.text is None
    (diag,) = result.diagnostics
    assert diag.code == "tenant-exists"
    assert "tpm" in diag.summary


def test_an_added_tenant_that_would_not_validate_is_refused_with_the_reasons() -> None:
    result = add_tenant(EXAMPLE, "newco", {"isolation": "shared", "stamp": "eu9", "tpm": 1000})
    assert result.text is None
    assert [d.code for d in result.diagnostics.errors] == ["unknown-stamp"]


def test_an_invalid_tenant_id_is_refused() -> None:
    result = add_tenant(EXAMPLE, "New_Co", {"isolation": "dedicated"})
    assert result.text is None
    assert result.diagnostics.errors[0].code == "invalid-name"


@pytest.mark.parametrize("tenant_id", ["alpine", "acme", "woodgrove", "humongous", "contoso"])
def test_setting_fields_changes_only_that_tenants_lines(tenant_id: str) -> None:
    result = set_tenant_fields(EXAMPLE, tenant_id, {"display_name": "Renamed"})
    assert result.text is not None
    assert result.changed
    assert _outside(result.text, tenant_id) == _outside(EXAMPLE, tenant_id)
    loaded = parse_manifest(result.text).manifest
    assert loaded is not None
    assert loaded.tenants[tenant_id].display_name == "Renamed"


def test_a_new_key_lands_in_the_tenant_not_under_the_next_sections_banner() -> None:
    result = set_tenant_fields(EXAMPLE, "alpine", {"content_filter.severity": "High"})
    assert result.text is not None
    alpine = result.text.split("[tenants.alpine]")[1].split("# ----")[0]
    assert 'content_filter = { severity = "High" }' in alpine


def test_setting_a_key_to_none_removes_it_and_setting_the_same_value_is_no_change() -> None:
    removed = set_tenant_fields(EXAMPLE, "contoso", {"display_name": None})
    assert removed.text is not None
    assert "Contoso Ltd" not in removed.text
    same = set_tenant_fields(EXAMPLE, "contoso", {"display_name": "Contoso Ltd"})
    assert same.text == EXAMPLE
    assert not same.changed


def test_setting_a_field_that_breaks_the_manifest_is_refused() -> None:
    result = set_tenant_fields(EXAMPLE, "alpine", {"tpm": 5})
    assert result.text is None
    assert [d.code for d in result.diagnostics.errors] == ["isolation-field"]


def test_removing_a_tenant_keeps_the_next_sections_comments() -> None:
    result = remove_tenant(EXAMPLE, "alpine")
    assert result.text is not None
    assert "[tenants.alpine]" not in result.text
    start = EXAMPLE.index("[tenants.alpine]")
    banner = EXAMPLE.index("\n# ----", start) + 1
    assert result.text == EXAMPLE[:start] + EXAMPLE[banner:]
    assert "# Shared tenants: nothing per tenant in Azure" in result.text


def test_removing_a_tenant_with_sub_tables_removes_them_too() -> None:
    result = remove_tenant(EXAMPLE, "woodgrove")
    assert result.text is not None
    assert "woodgrove" not in result.text
    assert parse_manifest(result.text).manifest is not None


def test_a_protected_tenant_cannot_be_removed() -> None:
    result = remove_tenant(EXAMPLE, "acme")
    assert result.text is None
    assert result.diagnostics.errors[0].code == "protected"


def test_unknown_tenants_and_broken_text_are_diagnostics_not_exceptions() -> None:
    assert set_tenant_fields(EXAMPLE, "acmee", {"tpm": 1}).diagnostics.errors[0].summary == (
        "no tenant 'acmee' — did you mean 'acme'?"
    )
    assert remove_tenant("[[[", "acme").diagnostics.errors[0].code == "toml-syntax"
    assert add_tenant("[[[", "acme", {}).text is None
    assert set_tenant_fields("x = ", "acme", {}).text is None


def test_tenants_written_inline_are_still_edited() -> None:
    base = EXAMPLES.joinpath("minimal.toml").read_text(encoding="utf-8")
    inline = base.replace('[tenants.acme]\nisolation = "dedicated"', '[tenants]\nacme = { isolation = "dedicated" }')
    result = set_tenant_fields(inline, "acme", {"display_name": "Acme"})
    assert result.text is not None
    manifest = parse_manifest(result.text).manifest
    assert manifest is not None
    assert manifest.tenants["acme"].display_name == "Acme"


def test_write_atomically_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text("old\n", encoding="utf-8")
    os.chmod(path, 0o640)
    write_atomically(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["tenants.toml"]


def test_write_atomically_creates_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.toml"
    write_atomically(path, "schema = 1\n")
    assert path.read_text(encoding="utf-8") == "schema = 1\n"


TENANT_IDS = sorted(parse_manifest(EXAMPLE).manifest.tenants)  # type: ignore[union-attr]


@settings(max_examples=int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "60")), deadline=None)
@given(st.sampled_from(TENANT_IDS), st.text(min_size=1, max_size=30))
def test_any_display_name_round_trips_and_leaves_the_rest_alone(tenant_id: str, name: str) -> None:
    result = set_tenant_fields(EXAMPLE, tenant_id, {"display_name": name})
    assert result.text is not None, [d.summary for d in result.diagnostics]
    assert _outside(result.text, tenant_id) == _outside(EXAMPLE, tenant_id)
    manifest = parse_manifest(result.text).manifest
    assert manifest is not None
    assert manifest.tenants[tenant_id].display_name == name
    back = set_tenant_fields(result.text, tenant_id, {"display_name": None})
    assert back.text is not None


@settings(max_examples=int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "60")), deadline=None)
@given(st.text(max_size=200), st.text(max_size=10), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
def test_edits_of_arbitrary_text_never_raise(text: str, tenant_id: str, fields: dict[str, int]) -> None:
    for result in (
        add_tenant(text, tenant_id, fields),
        set_tenant_fields(text, tenant_id, fields),  # type: ignore[arg-type]
        remove_tenant(text, tenant_id),
    ):
        assert result.text is not None or result.diagnostics.has_errors
