"""Every planted mistake is reported at once, each with the right code, key path and line.

Regenerate the golden file with ``UPDATE_GOLDENS=1 pytest tests/manifest`` and review the diff.
"""

from __future__ import annotations

import json
import os

from tenantctl.manifest.load import parse_manifest

from .conftest import DATA, GOLDEN

SOURCE = DATA / "planted-mistakes.toml"
EXPECTED = GOLDEN / "planted-mistakes.json"


def _actual() -> list[dict[str, object]]:
    result = parse_manifest(SOURCE.read_text(encoding="utf-8"), "planted-mistakes.toml")
    assert result.manifest is None
    return [d.to_json() for d in result.diagnostics]


def test_the_planted_mistakes_match_the_golden_diagnostics() -> None:
    actual = _actual()
    if os.environ.get("UPDATE_GOLDENS"):
        EXPECTED.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_each_planted_mistake_is_found_on_the_line_that_has_the_comment() -> None:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    marked = {n for n, text in enumerate(lines, start=1) if "# mistake" in text}
    reported = {d["line"] for d in _actual()}
    assert marked <= reported, f"lines with a planted mistake but no diagnostic: {sorted(marked - reported)}"


def test_the_required_mistakes_have_their_codes_and_paths() -> None:
    found = {(d["code"], d["path"]) for d in _actual()}
    assert {
        ("unknown-key", "tenants.acme.deployments[0].capactiy"),
        ("capacity", "tenants.acme.deployments[1].capacity"),
        ("unknown-stamp", "tenants.globex.stamp"),
        ("invalid-name", "tenants.Initech_Corp"),
        ("budget-exceeded", "stamps.eu1.deployments[0].capacity"),
        ("secret-in-manifest", "provider.client_secret"),
        ("unknown-region", "tenants.stark.location"),
        ("isolation-field", "tenants.stark.tpm"),
        ("residency", "tenants.stark.deployments[0].sku"),
        ("invalid-type", "tenants.stark.deployments[0].capacity"),
        ("unknown-sku", "tenants.wayne.deployments[0].sku"),
        ("missing-key", "provider.app"),
        ("invalid-value", "tenants.cyberdyne.resource_id"),
    } <= found
