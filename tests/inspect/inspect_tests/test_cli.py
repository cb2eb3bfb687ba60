"""The commands as users run them: CliRunner, --emulator in the fleet's directory, -o json envelopes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inspect_tests.conftest import MANIFEST, check_golden, mask
from tenantctl.cli.app import app

ENVELOPE_KEYS = {"tenantctl", "command", "status", "exit_code", "data", "diagnostics"}
INSPECT_KEYS = {
    "tenant", "display_name", "isolation", "protected", "residency", "state", "placement", "endpoint",
    "deployments", "budget", "content_filter", "network", "role_assignments", "verification", "drift",
    "tags", "soft_deleted", "in_manifest", "today", "baseline",
}  # fmt: skip
DEPLOYMENT_KEYS = {
    "name", "azure_name", "model", "version", "sku", "capacity", "unit", "tpm", "ptu", "rai_policy",
    "provisioning_state", "version_upgrade_option", "deprecation", "days_to_retirement", "retiring_soon",
    "in_manifest", "shared", "managed", "fate",
}  # fmt: skip


@pytest.fixture
def cli(fleet_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run tenantctl in the fleet's directory (its .tenantctl/ is the emulated cloud), no colour, 100 columns."""
    monkeypatch.chdir(fleet_dir)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("TENANTCTL_APP_CLIENT_SECRET", "TENANTCTL_APP_CERTIFICATE", "TENANTCTL_APP_FEDERATED_TOKEN_FILE",
                 "AZURE_FEDERATED_TOKEN_FILE", "ACTIONS_ID_TOKEN_REQUEST_URL", "TENANTCTL_MANIFEST"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, [*args, "--emulator", "-f", str(MANIFEST)])

    return run


def _envelope(result: Any, command: str) -> dict[str, Any]:
    doc = json.loads(result.stdout)
    assert set(doc) == ENVELOPE_KEYS
    assert (doc["tenantctl"], doc["command"], doc["exit_code"]) == (1, command, result.exit_code)
    return doc


def test_inspect_json_follows_the_documented_schema(cli: Any) -> None:
    result = cli("inspect", "acme", "-o", "json", "--today", "2026-11-22")
    doc = _envelope(result, "inspect")
    assert (result.exit_code, doc["status"]) == (0, "success")
    data = doc["data"]
    assert set(data) == INSPECT_KEYS
    assert all(set(d) == DEPLOYMENT_KEYS for d in data["deployments"])
    legacy = next(d for d in data["deployments"] if d["name"] == "legacy")
    assert (legacy["tpm"], legacy["unit"], legacy["deprecation"], legacy["retiring_soon"]) == (
        5000, "TPM", "2027-01-10", True
    )  # fmt: skip
    assert set(data["placement"]) == {
        "subscription_id",
        "resource_group",
        "account",
        "region",
        "stamp",
        "resource_id",
        "exists",
    }
    assert data["content_filter"]["terms_source"] == "azure"  # read like plan reads them
    assert [d["code"] for d in doc["diagnostics"]] == ["model-retiring"]


def test_inspect_of_a_shared_tenant_carries_its_budget_in_json(cli: Any) -> None:
    data = _envelope(cli("inspect", "hooli", "-o", "json"), "inspect")["data"]
    assert data["budget"]["tpm"] == 90000
    assert [line["name"] for line in data["budget"]["deployments"]] == ["mini"]
    assert set(data["budget"]["deployments"][0]) == {
        "name", "capacity_tpm", "allowed_tpm", "share", "stamp_budgets_tpm", "stamp_utilisation"
    }  # fmt: skip


def test_inspect_on_a_terminal_less_screen_prints_the_same_view_as_the_golden(cli: Any, update_goldens: bool) -> None:
    result = cli("inspect", "acme", "--today", "2026-11-22")
    assert result.exit_code == 0
    check_golden("inspect-acme.txt", mask(result.stdout), update_goldens)


def test_a_tenant_provided_tenant_is_verified_in_the_emulator_and_can_skip_verification(cli: Any) -> None:
    data = _envelope(cli("inspect", "trey", "-o", "json"), "inspect")["data"]
    assert (data["state"], data["verification"]["available"], data["verification"]["ok"]) == ("in sync", True, True)
    assert data["endpoint"] == "https://trey-aoai.openai.azure.com/"
    skipped = _envelope(cli("inspect", "trey", "--no-verify", "-o", "json"), "inspect")["data"]
    assert (skipped["state"], skipped["verification"]) == ("unverified", None)


def test_an_unknown_tenant_exits_1_and_suggests_close_names(cli: Any) -> None:
    result = cli("inspect", "acmee")
    assert result.exit_code == 1
    assert "unknown tenant 'acmee'" in result.stderr
    assert "Did you mean acme?" in result.stderr
    doc = _envelope(cli("inspect", "glob", "-o", "json"), "inspect")
    assert doc["status"] == "error"
    assert doc["diagnostics"][0]["code"] == "unknown-tenant"
    assert "globex" in doc["diagnostics"][0]["detail"]


def test_status_json_has_one_entry_per_tenant_and_counts(cli: Any) -> None:
    doc = _envelope(cli("status", "-o", "json"), "status")
    data = doc["data"]
    assert set(data) == {"tenants", "counts", "filters", "total"}
    assert data["total"] == 6
    assert set(data["tenants"][0]) == {
        "tenant", "isolation", "where", "location", "stamp", "deployments", "state", "changes", "detail", "drift",
        "fate",
    }  # fmt: skip
    assert data["counts"] == {
        "in sync": 5, "drift": 0, "missing": 1, "error": 0, "unverified": 0, "not in manifest": 0
    }  # fmt: skip


def test_status_with_filters_on_the_command_line(cli: Any) -> None:
    data = _envelope(cli("status", "--stamp", "eu1", "--drift-only", "-o", "json"), "status")["data"]
    assert data["tenants"] == []
    assert data["filters"] == {"isolation": None, "stamp": "eu1", "drift_only": True}
    human = cli("status", "--isolation", "dedicated")
    assert human.exit_code == 0
    assert [line.split()[0] for line in human.stdout.splitlines()[2:]] == ["acme", "newco"]


def test_status_refuses_an_unknown_stamp_or_isolation_model(cli: Any) -> None:
    assert "Did you mean eu1?" in cli("status", "--stamp", "eu2").stderr
    bad = cli("status", "--isolation", "private")
    assert bad.exit_code == 1
    assert "dedicated-deployment" in bad.stderr


def test_quota_json_has_lines_and_stamps(cli: Any) -> None:
    data = _envelope(cli("quota", "-o", "json"), "quota")["data"]
    assert set(data) == {"lines", "stamps"}
    assert set(data["lines"][0]) == {
        "subscription_id", "location", "usage_name", "model", "sku", "unit", "limit", "used", "allocated", "headroom"
    }  # fmt: skip
    assert data["stamps"][0]["stamp"] == "eu1"
    only = _envelope(cli("quota", "--location", "westeurope", "-o", "json"), "quota")["data"]
    assert {line["location"] for line in only["lines"]} == {"westeurope"}
