"""The loader turns every kind of bad input into diagnostics and never raises."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tenantctl.manifest.load import LoadResult, load_manifest, parse_manifest

from .conftest import BASE, check, codes, only


def test_a_missing_file_is_a_diagnostic(tmp_path: Path) -> None:
    result = load_manifest(tmp_path / "nope.toml")
    assert result.manifest is None
    assert [d.code for d in result.diagnostics] == ["file-not-found"]


def test_a_directory_is_an_unreadable_manifest(tmp_path: Path) -> None:
    result = load_manifest(tmp_path)
    assert [d.code for d in result.diagnostics] == ["file-unreadable"]


def test_bytes_that_are_not_utf8_are_reported_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_bytes(b"schema = 1\n# caf\xe9\n")
    (diag,) = load_manifest(path).diagnostics
    assert (diag.code, diag.line) == ("encoding", 2)


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "tenants.toml"
    path.write_bytes(("\ufeff" + BASE).encode())
    assert load_manifest(path).manifest is not None


def test_a_toml_syntax_error_is_reported_with_its_line_and_column() -> None:
    (diag,) = parse_manifest("schema = 1\n[provider]\nlocation = \n").diagnostics
    assert diag.code == "toml-syntax"
    assert diag.line == 3
    assert diag.detail.startswith("column")
    assert "(at line" not in diag.summary


def test_an_unknown_key_gets_a_did_you_mean() -> None:
    (diag,) = check('[tenants.acme]\nisolation = "dedicated"\ndisplay_nmae = "Acme"\n').diagnostics
    assert diag.summary == "unknown key 'display_nmae' — did you mean 'display_name'?"
    assert diag.tenant == "acme"
    assert diag.path == "tenants.acme.display_nmae"


def test_an_unknown_top_level_table_gets_a_did_you_mean() -> None:
    (diag,) = check("[tenant.acme]\nisolation = 'dedicated'\n").diagnostics
    assert diag.summary == "unknown key 'tenant' — did you mean 'tenants'?"


def test_an_unknown_isolation_value_lists_the_choices_and_suggests_one() -> None:
    (diag,) = check('[tenants.acme]\nisolation = "dedicate"\n').diagnostics
    assert diag.code == "invalid-value"
    assert "did you mean 'dedicated'?" in diag.summary


def test_wrong_types_say_what_was_expected_and_what_was_found() -> None:
    result = check('[tenants.acme]\nisolation = "dedicated"\nprotected = "yes"\ndeployments = "chat"\n')
    summaries = {d.path: d.summary for d in result.diagnostics}
    assert summaries["tenants.acme.protected"] == "expected true or false, got a string"
    assert summaries["tenants.acme.deployments"] == "expected an array, got a string"


def test_a_date_where_a_string_belongs_is_an_invalid_type() -> None:
    result = check('[tenants.acme]\nisolation = "dedicated"\ndisplay_name = 1979-05-27\n')
    assert ("invalid-type", "tenants.acme.display_name") in codes(result)


def test_every_error_is_reported_at_once_across_tenants() -> None:
    result = check(
        '[tenants.a1]\nisolation = "dedicated"\ntypo = 1\n'
        '[tenants.a2]\nisolation = "shared"\nstamp = "nope"\ntpm = 5\n'
        '[tenants.a3]\nisolation = "dedicated"\nlocation = 5\n'
    )
    assert {d.tenant for d in result.diagnostics.errors} == {"a1", "a2", "a3"}


def test_a_credential_anywhere_is_an_error_that_says_where_credentials_go() -> None:
    result = check('[tenants.acme]\nisolation = "dedicated"\n[tenants.acme.content_filter]\npassword = "x"\n')
    (diag,) = only(result, "secret-in-manifest")
    assert diag.path == "tenants.acme.content_filter.password"
    assert "environment" in diag.detail
    assert only(result, "unknown-key") == []


def test_the_schema_version_must_be_one() -> None:
    result = parse_manifest(BASE.replace("schema = 1", "schema = 2"))
    assert ("invalid-value", "schema") in codes(result)
    result = parse_manifest(BASE.replace("schema = 1", ""))
    assert ("missing-key", "schema") in codes(result)


def test_a_missing_provider_is_reported_and_nothing_else_breaks() -> None:
    result = parse_manifest("schema = 1\n[tenants.acme]\nisolation = 'dedicated'\n")
    assert codes(result) == [("missing-key", "provider")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "schema = 1e999\n",
        "schema = 99999999999999999999999999999999999\n",
        "[tenants]\nacme = 5\n",
        "tenants = [1, 2]\n",
        "[stamps.eu1]\novercommit = nan\nlocation = 'swedencentral'\n",
        "[stamps.eu1]\novercommit = inf\n",
        "a = " + "[" * 5000 + "]" * 5000,
        '["\U0001f600"]\n"\u202e" = "\x7f"\n',
        BASE
        + "[tenants.acme]\nisolation = 'dedicated'\n"
        + "deployments = [{ name = 'c', capacity = 9999999999999999999999 }]\n",
    ],
)
def test_strange_documents_produce_diagnostics_not_exceptions(text: str) -> None:
    result = parse_manifest(text)
    assert result.diagnostics.has_errors
    assert result.manifest is None


def test_a_valid_manifest_has_no_diagnostics_and_frozen_models() -> None:
    result = check('[tenants.acme]\nisolation = "dedicated"\n')
    assert result.manifest is not None
    assert len(result.diagnostics) == 0
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic raises ValidationError for frozen models
        result.manifest.provider.location = "eastus"  # type: ignore[misc]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_nobody_writes_to_fails_fast_instead_of_waiting_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "tenants.toml"
    os.mkfifo(fifo)
    results: list[LoadResult] = []
    reader = threading.Thread(target=lambda: results.append(load_manifest(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # the old reader blocks in open(): release it, then fail
        with open(fifo, "wb"):
            pass
        reader.join(timeout=10)
        pytest.fail("load_manifest waited for a writer on a named pipe")
    (diagnostic,) = results[0].diagnostics
    assert diagnostic.code == "file-unreadable"
    assert "pipe with nothing written to it" in diagnostic.summary


def test_a_pipe_with_a_writer_is_read_like_a_file(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write(BASE.encode())
    try:
        result = load_manifest(Path(f"/dev/fd/{read_end}"))
    finally:
        os.close(read_end)
    assert result.manifest is not None, result.diagnostics


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_named_as_such() -> None:
    (diagnostic,) = load_manifest(Path("/dev/null")).diagnostics
    assert diagnostic.code == "file-unreadable"
    assert "device" in diagnostic.summary
