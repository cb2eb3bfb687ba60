"""Diagnostics point at the line that wrote the key, for every common TOML layout."""

from __future__ import annotations

import pytest

from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.locate import LineIndex, format_path

from .conftest import BASE

TEXT = """\
schema = 1                                   # 1
[provider]                                   # 2
location = "swedencentral"                   # 3
tags.team = "ai"                             # 4
[tenants.acme]                               # 5
isolation = "dedicated"                      # 6
network = { public_access = false,           # 7 (TOML 1.1 style would wrap; 1.0 keeps one line)
[tenants.acme.content_filter]
"""

LAYOUTS = """\
schema = 1
[tenants.acme]
deployments = [
  { name = "chat", capacity = 1 },
  { name = "embed",
    capacity = 2 },
]
content_filter = { base = "x", blocklist = ["a", "b"] }
[[tenants.beta.deployments]]
name = "one"
[[tenants.beta.deployments]]
name = "two"
capacity = 3
[tenants."quoted.id"]
site.region = 'x'
text = \"\"\"
multi
\"\"\"
after = 1
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("schema",), 1),
        (("tenants", "acme"), 2),
        (("tenants", "acme", "deployments"), 3),
        (("tenants", "acme", "deployments", 0), 4),
        (("tenants", "acme", "deployments", 0, "capacity"), 4),
        (("tenants", "acme", "deployments", 1, "name"), 5),
        (("tenants", "acme", "deployments", 1, "capacity"), 6),
        (("tenants", "acme", "content_filter", "blocklist", 1), 8),
        (("tenants", "beta", "deployments", 0, "name"), 10),
        (("tenants", "beta", "deployments", 1), 11),
        (("tenants", "beta", "deployments", 1, "capacity"), 13),
        (("tenants", "quoted.id"), 14),
        (("tenants", "quoted.id", "site", "region"), 15),
        (("tenants", "quoted.id", "after"), 19),
        (("tenants", "acme", "deployments", 0, "missing"), 4),  # falls back to the nearest ancestor
        (("nowhere",), None),
    ],
)
def test_line_index_finds_tables_keys_inline_tables_and_arrays_of_tables(
    loc: tuple[str | int, ...], line: int | None
) -> None:
    assert LineIndex(LAYOUTS).line_for(loc) == line


def test_key_paths_are_written_with_dots_and_indexes() -> None:
    assert format_path(("tenants", "acme", "deployments", 0, "capacity")) == "tenants.acme.deployments[0].capacity"
    assert format_path(("tenants", "a.b", "tags", "k k")) == 'tenants."a.b".tags."k k"'


def test_a_dotted_key_error_points_at_its_line() -> None:
    text = BASE + '[tenants.acme]\nisolation = "dedicated"\nnetwork.public_access = "no"\n'
    (diag,) = parse_manifest(text).diagnostics
    assert diag.path == "tenants.acme.network.public_access"
    assert diag.line == text.splitlines().index('network.public_access = "no"') + 1


def test_an_error_in_an_inline_table_spread_over_lines_points_at_the_element_line() -> None:
    text = (
        BASE
        + '[tenants.acme]\nisolation = "dedicated"\n'
        + 'deployments = [\n  { name = "aa" },\n  { name = "bb", capacity = 0 },\n]\n'
    )
    (diag,) = parse_manifest(text).diagnostics
    assert diag.path == "tenants.acme.deployments[1].capacity"
    assert diag.line == len(text.splitlines()) - 1


def test_the_scanner_never_raises_on_text_it_does_not_understand() -> None:
    assert LineIndex(TEXT).line_for(("tenants", "acme", "isolation")) == 6
