"""Property: no input makes the loader raise or fall into its internal-error path.

Random text, random TOML documents built from the manifest's own vocabulary, and mutations of the
bundled example all come back as a LoadResult with diagnostics.  ``TENANTCTL_FUZZ_EXAMPLES``
raises the number of examples per property (default 200, small enough for CI).
"""

from __future__ import annotations

import os
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantctl.manifest.load import LoadResult, parse_manifest
from tenantctl.manifest.model import Manifest

from .conftest import EXAMPLES

EXAMPLES_PER_PROPERTY = int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_PROPERTY,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EXAMPLE = (EXAMPLES / "tenants.toml").read_text(encoding="utf-8")


def _vocabulary() -> list[str]:
    words = {"schema", "eu1", "acme", "dedicated", "shared", "capacity", "secret", "Password", "tags"}
    stack: list[Any] = [Manifest]
    while stack:
        model = stack.pop()
        for name, field in model.model_fields.items():
            words.add(field.alias or name)
            for candidate in (*getattr(field.annotation, "__args__", ()), field.annotation):
                if isinstance(candidate, type) and hasattr(candidate, "model_fields") and candidate not in stack:
                    stack.append(candidate)
    return sorted(words)


KEYS = st.one_of(st.sampled_from(_vocabulary()), st.text(min_size=1, max_size=8))
SCALARS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(
        [
            "dedicated",
            "shared",
            "tenant-provided",
            "GlobalStandard",
            "swedencentral",
            "eu1",
            "00000000-0000-0000-0000-000000000000",
            "10.0.0.0/8",
            "Microsoft.DefaultV2",
        ]
    ),
    st.datetimes(),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


def _assert_reported(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    internal = [d for d in result.diagnostics if d.code == "internal"]
    assert not internal, internal[0].detail
    if result.manifest is None:
        assert result.diagnostics.has_errors


@FUZZ
@given(st.text())
def test_random_text_never_makes_the_loader_raise(text: str) -> None:
    _assert_reported(parse_manifest(text))


@FUZZ
@given(DOCUMENTS, st.booleans())
def test_random_toml_documents_never_make_the_loader_raise(document: dict[str, Any], with_schema: bool) -> None:
    if with_schema:
        document = {"schema": 1, **document}
    try:
        text = tomlkit.dumps(document)
    except Exception:  # tomlkit cannot write every generated shape; not our concern
        return
    _assert_reported(parse_manifest(text))


MUTATIONS = st.sampled_from(["delete", "duplicate", "replace", "insert", "truncate", "swap"])


@FUZZ
@given(st.lists(st.tuples(MUTATIONS, st.integers(min_value=0), st.text(max_size=12)), min_size=1, max_size=4))
def test_mutations_of_the_example_manifest_never_make_the_loader_raise(
    edits: list[tuple[str, int, str]],
) -> None:
    lines = EXAMPLE.splitlines()
    for kind, position, text in edits:
        index = position % len(lines)
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "replace" and "=" in lines[index]:
            key = lines[index].split("=", 1)[0]
            lines[index] = f"{key}= {tomlkit.item(text).as_string()}"
        elif kind == "insert":
            column = position % (len(lines[index]) + 1)
            lines[index] = lines[index][:column] + text + lines[index][column:]
        elif kind == "truncate":
            lines = lines[: index + 1]
        elif kind == "swap":
            other = (index * 7 + 3) % len(lines)
            lines[index], lines[other] = lines[other], lines[index]
        if not lines:
            lines = [""]
    _assert_reported(parse_manifest("\n".join(lines)))
