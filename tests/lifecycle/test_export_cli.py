"""``export routing`` through the CLI: the raw document for a gateway, APIM fragments, the envelope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.lifecycle.conftest import envelope_of


def test_format_json_prints_the_routing_document_itself_for_a_gateways_config(cli: Any, small: Path) -> None:
    result = cli("export", "routing", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == 1
    assert document["source"] == "manifest"
    assert document["tenants"]["globex"]["deployments"] == {"chat": "globex--chat"}


def test_format_apim_prints_one_policy_fragment_per_tenant(cli: Any, small: Path) -> None:
    result = cli("export", "routing", "--format", "apim")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("<fragment>") == 4
    envelope = envelope_of(cli("export", "routing", "--format", "apim", "-o", "json"))
    assert set(envelope["data"]["fragments"]) == {"acme", "globex", "hooli", "initech"}


def test_an_invalid_manifest_is_an_error_with_diagnostics_not_a_traceback(cli: Any, small: Path) -> None:
    (small / "tenants.toml").write_text("schema = 1\n[tenants.x]\nisolation = 'nope'\n", encoding="utf-8")
    result = cli("export", "routing", "-o", "json")
    assert result.exit_code == 1
    assert envelope_of(result)["diagnostics"]
