"""plan and apply end to end through the CLI, the real Azure SDKs and the embedded emulator.

Each test runs in its own working directory, so its ``.tenantctl/`` emulator state is its own cloud.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLES, envelope_of


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _change_capacity_behind_tenantctls_back(workdir: Path, account: str, deployment: str, capacity: int) -> None:
    """An operator edits a deployment in the portal: the real SDK against the same emulator state."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    from tenantctl.cli.runtime import open_embedded_emulator

    with open_embedded_emulator(workdir) as emu:
        sp = emu.provider
        credential = ClientSecretCredential(
            sp.directory,
            sp.client_id,
            sp.client_secret,
            authority=emu.endpoint,
            disable_instance_discovery=True,
            connection_verify=str(emu.ca_path),
        )
        client = CognitiveServicesManagementClient(
            credential,
            "00000000-0000-0000-0000-000000000000",
            base_url=emu.endpoint,
            credential_scopes=["https://management.azure.com/.default"],
            connection_verify=str(emu.ca_path),
            polling_interval=0.02,
        )
        current = client.deployments.get("rg-tenantctl", account, deployment)
        current.sku.capacity = capacity
        client.deployments.begin_create_or_update("rg-tenantctl", account, deployment, current).result()


def test_plan_lists_every_create_then_apply_converges_and_drift_shows(cli: Any, workdir: Path) -> None:
    first = cli("plan", "--emulator", "--detailed-exitcode", "-o", "json")
    assert first.exit_code == 2, first.output
    plan = envelope_of(first)["data"]
    assert plan["summary"]["create"] == len(plan["changes"]) - plan["summary"]["no-op"] > 20
    applied = cli("apply", "--emulator", "--auto-approve", "-o", "json")
    assert applied.exit_code == 0, applied.output
    assert envelope_of(applied)["data"]["counts"]["failed"] == 0

    again = cli("plan", "--emulator", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("No changes")

    accounts = [c for c in plan["changes"] if c["kind"] == "deployment" and c["tenant"] == "acme"]
    name = accounts[0]["after"]["name"]
    account = accounts[0]["account"].rsplit("/", 1)[1]
    _change_capacity_behind_tenantctls_back(workdir, account, name, 7)
    drift = cli("plan", "--emulator", "--detailed-exitcode", "-o", "json")
    assert drift.exit_code == 2
    changes = [c for c in envelope_of(drift)["data"]["changes"] if c["action"] == "update"]
    assert [f["name"] for f in changes[0]["changed_fields"]] == ["capacity"]
    assert changes[0]["changed_fields"][0]["before"] == 7


def test_a_saved_plan_is_applied_as_reviewed_and_refused_once_stale(cli: Any, workdir: Path) -> None:
    assert cli("plan", "--emulator", "--tenant", "acme", "--out", "plan.json").exit_code == 0
    assert cli("apply", "--emulator", "--auto-approve", "--plan", "plan.json").exit_code == 0
    # the cloud has changed since plan.json was made (its creates happened): it is stale now
    stale = cli("apply", "--emulator", "--auto-approve", "--plan", "plan.json", "-o", "json")
    assert stale.exit_code == 1
    refusal = envelope_of(stale)["diagnostics"][0]
    assert refusal["code"] == "stale-plan"
    # it names what changed: acme's creates were done since (by the first apply)
    assert "tenant.acme.account (no longer planned)" in refusal["summary"], refusal["summary"]


def test_an_unknown_tenant_filter_suggests_close_matches(cli: Any, workdir: Path) -> None:
    result = cli("plan", "--emulator", "--tenant", "acmee", "-o", "json")
    assert result.exit_code == 1
    diagnostic = envelope_of(result)["diagnostics"][0]
    assert diagnostic["code"] == "unknown-tenant"
    assert "acme" in diagnostic["detail"]


def test_apply_verbose_shows_how_many_accounts_it_wrote_at_once(cli: Any, workdir: Path) -> None:
    explicit = cli("apply", "--emulator", "--auto-approve", "--tenant", "acme", "--parallelism", "3", "-v")
    assert explicit.exit_code == 0, explicit.output
    assert "Up to 3 accounts written at once." in explicit.stdout  # an explicit --parallelism wins
    quiet = cli("apply", "--emulator", "--auto-approve")
    assert quiet.exit_code == 0, quiet.output
    assert "written at once" not in quiet.stdout  # only -v shows it
