"""Offboarding end to end on the emulator: remove + apply --prune deletes the tenant's resources only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantctl.cli.runtime import open_cloud
from tenantctl.resources import Account, AccountRef, Deployment
from tests.lifecycle.conftest import envelope_of

SUB = "00000000-0000-0000-0000-000000000000"
RG = "rg-tenantctl"


def _inventory() -> tuple[set[str], set[str], set[str]]:
    """(account names, "account/deployment" names, soft-deleted account names) in the emulator."""
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        accounts = cloud.list_accounts(SUB, RG)
        deployments = {f"{a.ref.name}/{d.name}" for a in accounts for d in cloud.list_deployments(a.ref)}
        deleted = {d.ref.name for d in cloud.list_deleted_accounts(SUB)}
    return {a.ref.name for a in accounts}, deployments, deleted


def _add_untagged_resources() -> None:
    """Someone creates resources by hand next to ours: tenantctl must never touch them."""
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        handmade = AccountRef(SUB, RG, "handmade")
        cloud.put_account(Account(handmade, "swedencentral", "handmade-x1"))
        stamp = AccountRef(SUB, RG, "ctso-eu1--01")
        cloud.put_deployment(Deployment(stamp, "byhand", "gpt-4o", "2024-11-20", "DataZoneStandard", 5))


def _apply(cli: Any, *extra: str) -> dict[str, Any]:
    result = cli("apply", "--emulator", "--auto-approve", "-o", "json", *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = envelope_of(result)["data"]
    return data


def test_remove_then_apply_prune_deletes_the_tenants_resources_and_nothing_untagged(cli: Any, small: Path) -> None:
    _apply(cli)
    _add_untagged_resources()
    accounts, deployments, _ = _inventory()
    assert {"ctso-hooli", "ctso-acme", "ctso-eu1--01", "handmade"} <= accounts
    assert {"ctso-eu1--01/globex--chat", "ctso-eu1--01/byhand"} <= deployments

    assert cli("tenant", "remove", "hooli").exit_code == 0
    assert cli("tenant", "remove", "globex").exit_code == 0
    # Without --prune nothing is deleted: the plan only warns about the orphans.
    _apply(cli)
    assert "ctso-hooli" in _inventory()[0]

    pruned = _apply(cli, "--prune")
    assert pruned["counts"]["failed"] == 0
    accounts, deployments, deleted = _inventory()
    assert "ctso-hooli" not in accounts
    assert "ctso-eu1--01/globex--chat" not in deployments
    assert {"handmade", "ctso-acme", "ctso-eu1--01"} <= accounts
    assert "ctso-eu1--01/byhand" in deployments
    # Purging is only on request: the deleted account stays soft-deleted (restorable for 48 h).
    assert "ctso-hooli" in deleted
    again = cli("plan", "--emulator", "--prune", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    # On request, the offboarded account is purged for good (and nothing else is).
    purged = _apply(cli, "--prune", "--purge-deleted")
    assert [o["address"] for o in purged["outcomes"]] == ["tenant.hooli.account@ctso-hooli.purge"]
    assert "ctso-hooli" not in _inventory()[2]


def test_a_protected_tenant_is_offboarded_in_two_reviewed_changes(cli: Any, small: Path) -> None:
    _apply(cli)
    assert cli("tenant", "remove", "acme").exit_code == 1
    # Change 1: unprotect and apply, which clears the protection tag a later prune looks at.
    assert cli("tenant", "set", "acme", "protected=false").exit_code == 0
    _apply(cli)
    # Change 2: remove and prune.
    assert cli("tenant", "remove", "acme").exit_code == 0
    _apply(cli, "--prune")
    assert "ctso-acme" not in _inventory()[0]


def test_removing_a_protected_tenant_by_hand_still_keeps_its_resources_on_prune(cli: Any, small: Path) -> None:
    _apply(cli)
    text = (small / "tenants.toml").read_text(encoding="utf-8")
    (small / "tenants.toml").write_text(text.replace('[tenants.acme]\nisolation = "dedicated"\nprotected = true\n', ""))
    plan = cli("plan", "--emulator", "--prune", "-o", "json")
    assert plan.exit_code == 0, plan.output
    codes = [d["code"] for d in envelope_of(plan)["diagnostics"]] + [
        d["code"] for d in envelope_of(plan)["data"].get("diagnostics", [])
    ]
    assert "protected-orphan" in codes
    _apply(cli, "--prune")
    assert "ctso-acme" in _inventory()[0]
