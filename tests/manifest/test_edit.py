"""Edits change one tenant and keep every other byte of the manifest, comments included."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantctl.manifest.edit import add_tenant, remove_tenant, set_tenant_fields, write_atomically
from tenantctl.manifest.load import parse_manifest

from .conftest import BASE, EXAMPLES

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


PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "60")), deadline=None)
@given(st.sampled_from(TENANT_IDS), PRINTABLE)
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


# --- layouts the edits met in issue 15: each of these lost or changed bytes outside the edit ---------

LAYOUTS = (
    BASE
    + """
# ---- dedicated tenants ----
[tenants.acme]
isolation = "dedicated"   # since 2024
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 },  # chat for acme
]

[tenants.globex]
isolation = "dedicated"
# globex runs two models
[[tenants.globex.deployments]]
name = "chat"   # the main one
model = "gpt-4o"
version = "2024-11-20"
sku = "GlobalStandard"
capacity = 20   # tuned in May

[[tenants.globex.deployments]]
name = "embed"
model = "text-embedding-3-small"
version = "1"
sku = "Standard"
capacity = 5

# ---- shared tenants ----
[tenants.initech]
isolation = "shared"
stamp = "eu1"
tpm = 1000   # small

# hooli: initech's sister company
[tenants.hooli]
isolation = "shared"
stamp = "eu1"
tpm = 2000

# acme's tags live down here
[tenants.acme.tags]
team = "blue"   # cost centre
"""
)


def _edited(result: Any) -> str:
    assert result.text is not None, [d.summary for d in result.diagnostics]
    return str(result.text)


def test_setting_a_deployment_field_keeps_the_comment_on_its_line() -> None:
    after = _edited(set_tenant_fields(LAYOUTS, "acme", {"deployments.chat.capacity": 60}))
    assert after == LAYOUTS.replace("capacity = 10 },  # chat for acme", "capacity = 60 },  # chat for acme")


def test_setting_a_key_keeps_an_array_of_tables_and_its_comments() -> None:
    after = _edited(set_tenant_fields(LAYOUTS, "globex", {"display_name": "Globex"}))
    assert after == LAYOUTS.replace(
        'isolation = "dedicated"\n# globex', 'isolation = "dedicated"\ndisplay_name = "Globex"\n# globex'
    )
    after = _edited(set_tenant_fields(LAYOUTS, "globex", {"deployments.chat.capacity": 30}))
    assert after == LAYOUTS.replace("capacity = 20   # tuned", "capacity = 30   # tuned")
    after = _edited(set_tenant_fields(LAYOUTS, "globex", {"deployments.embed.version_upgrade_option": "NoAutoUpgrade"}))
    assert after == LAYOUTS.replace("capacity = 5\n", 'capacity = 5\nversion_upgrade_option = "NoAutoUpgrade"\n')


def test_removing_a_tenant_with_a_far_sub_table_keeps_the_other_tenants_comments() -> None:
    after = _edited(remove_tenant(LAYOUTS, "acme"))
    start = LAYOUTS.index("[tenants.acme]\n")
    end = LAYOUTS.index("[tenants.globex]")
    tags = LAYOUTS.index("\n# acme's tags")
    assert after == LAYOUTS[:start] + LAYOUTS[end:tags]
    assert "# hooli: initech's sister company\n[tenants.hooli]" in after
    assert "# ---- dedicated tenants ----\n[tenants.globex]" in after


def test_removing_the_tenant_right_under_a_section_comment_keeps_the_section_comment() -> None:
    after = _edited(remove_tenant(LAYOUTS, "initech"))
    assert after == LAYOUTS.replace(
        '[tenants.initech]\nisolation = "shared"\nstamp = "eu1"\ntpm = 1000   # small\n\n', ""
    )
    after = _edited(remove_tenant(LAYOUTS, "hooli"))  # the comment glued above it names it: it goes too
    hooli = '\n# hooli: initech\'s sister company\n[tenants.hooli]\nisolation = "shared"\nstamp = "eu1"\ntpm = 2000\n'
    assert after == LAYOUTS.replace(hooli, "")


def test_crlf_manifests_stay_crlf_through_every_edit() -> None:
    crlf = LAYOUTS.replace("\n", "\r\n")
    for result in (
        set_tenant_fields(crlf, "globex", {"display_name": "Globex", "deployments.embed.capacity": 6}),
        set_tenant_fields(crlf, "acme", {"tags": None}),
        add_tenant(crlf, "newco", {"isolation": "shared", "stamp": "eu1", "tpm": 5, "tags": {"a": "b"}}),
        remove_tenant(crlf, "globex"),
    ):
        after = _edited(result)
        assert after.count("\n") == after.count("\r\n"), after


def test_a_value_nested_thousands_deep_is_a_clear_error() -> None:
    value: Any = "x"
    for _ in range(5000):
        value = [value]
    result = set_tenant_fields(LAYOUTS, "acme", {"display_name": value})
    assert result.text is None
    assert [d.code for d in result.diagnostics.errors] == ["too-deep"]


@pytest.mark.parametrize("value", ["\udcff", "caf\udce9", b"lone \\ud800 surrogate".decode("unicode_escape")])
def test_text_that_is_not_utf8_is_a_clear_error(value: str) -> None:
    for result in (
        set_tenant_fields(LAYOUTS, "acme", {"display_name": value}),
        add_tenant(LAYOUTS, "newco", {"isolation": "dedicated", "display_name": value}),
    ):
        assert result.text is None
        (diagnostic,) = result.diagnostics.errors
        assert diagnostic.code == "encoding"
        assert "not UTF-8" in diagnostic.summary


def test_unsetting_a_key_the_tenant_does_not_have_is_our_own_clear_error() -> None:
    for key in ("display_nam", "network.public_access", "tags.nope"):
        result = set_tenant_fields(LAYOUTS, "acme", {key: None})
        assert result.text is None
        (diagnostic,) = result.diagnostics.errors
        assert diagnostic.code == "unknown-key"
        assert diagnostic.summary.startswith(f"there is no {key!r} to unset")
        assert "tomlkit" not in diagnostic.summary.lower()
        assert "Key" not in diagnostic.summary


def test_a_wrong_type_is_reported_alone_not_behind_errors_about_the_defaults() -> None:
    result = set_tenant_fields(EXAMPLE, "acme", {"deployments": 5})
    assert result.text is None
    assert [(d.code, d.path) for d in result.diagnostics.errors] == [("invalid-type", "tenants.acme.deployments")]


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[31mred", "tab\there", "del\x7f", "c1\x85"])
def test_control_characters_in_free_text_are_refused_by_validation(text: str) -> None:
    for assignments in ({"display_name": text}, {"tags": {"team": text}}, {"tags": {text: "x"}}):
        result = set_tenant_fields(LAYOUTS, "acme", assignments)
        assert result.text is None
        assert [d.code for d in result.diagnostics.errors] == ["invalid-value"], assignments
    escaped = text.encode("unicode_escape").decode().replace("\\x", "\\u00")
    loaded = parse_manifest(
        LAYOUTS.replace('isolation = "dedicated"   #', f'display_name = "{escaped}"\nisolation = "dedicated"   #')
    )
    assert [d.code for d in loaded.diagnostics.errors] == ["invalid-value"]


def test_tenants_written_with_dotted_keys_or_inline_are_edited_in_place() -> None:
    dotted = LAYOUTS.replace(
        '[tenants.initech]\nisolation = "shared"\nstamp = "eu1"\ntpm = 1000   # small\n',
        '[tenants]\ninitech.isolation = "shared"   # dotted\ninitech.stamp = "eu1"\n'
        'initech.tpm = 1000   # small\nzeta = { isolation = "shared", stamp = "eu1", tpm = 7 }  # inline\n',
    )
    assert parse_manifest(dotted).manifest is not None
    after = _edited(set_tenant_fields(dotted, "initech", {"tpm": 1500, "display_name": "Initech"}))
    assert after == dotted.replace(
        "initech.tpm = 1000   # small\n", 'initech.tpm = 1500   # small\ninitech.display_name = "Initech"\n'
    )
    after = _edited(set_tenant_fields(dotted, "zeta", {"tpm": 8, "protected": True}))
    assert after == dotted.replace("tpm = 7 }", "tpm = 8, protected = true }")
    after = _edited(set_tenant_fields(dotted, "zeta", {"stamp": None, "isolation": "dedicated", "tpm": None}))
    assert 'zeta = { isolation = "dedicated" }  # inline\n' in after
    after = _edited(remove_tenant(dotted, "zeta"))
    assert after == dotted.replace('zeta = { isolation = "shared", stamp = "eu1", tpm = 7 }  # inline\n', "")
    after = _edited(remove_tenant(dotted, "initech"))
    assert "initech." not in after


def test_write_atomically_through_a_symlink_edits_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "config" / "tenants.toml"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "tenants.toml"
    link.symlink_to(target)
    write_atomically(link, "new\n")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["tenants.toml"]
