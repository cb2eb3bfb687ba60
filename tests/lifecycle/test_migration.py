"""Migration shared -> dedicated-deployment -> dedicated (and back) on the emulator, make-before-break.

After every step the routing export must send the tenant to resources that exist in Azure and are
Succeeded; old resources are never pruned before routing has switched, only retired with --retire.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantctl.cli.runtime import open_cloud
from tenantctl.resources import AccountRef
from tests.lifecycle.conftest import envelope_of

SUB = "00000000-0000-0000-0000-000000000000"
DD_CHAT = 'deployments=[{ name = "chat", sku = "DataZoneStandard", capacity = 20 }]'


def _routing(cli: Any) -> dict[str, Any]:
    result = cli("export", "routing", "--emulator", "-o", "json")
    assert result.exit_code == 0, result.output
    data = envelope_of(result)["data"]
    assert data["source"] == "observed"
    tenants: dict[str, Any] = data["tenants"]
    return tenants


def _assert_routes_to_live_resources(entry: dict[str, Any], tenant: str) -> None:
    """The entry names an account and deployments that Azure has, Succeeded, and only this tenant's or shared."""
    assert entry["ready"] is True, entry
    ref = AccountRef.parse(entry["account_id"])
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        accounts = {a.ref.name: a for a in cloud.list_accounts(ref.subscription_id, ref.resource_group)}
        account = accounts[ref.name]
        deployments = {d.name: d for d in cloud.list_deployments(account.ref)}
    assert account.provisioning_state == "Succeeded"
    assert entry["endpoint"] == account.endpoint
    for name in entry["deployments"].values():
        assert deployments[name].provisioning_state == "Succeeded"
        owner = deployments[name].tags.get("tenantctl-tenant")
        assert owner in (None, tenant), f"{tenant} routed to {owner}'s deployment {name}"
    assert account.tags.get("tenantctl-tenant") in (None, tenant)


def _step(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    entry: dict[str, Any] = _routing(cli)["initech"]
    _assert_routes_to_live_resources(entry, "initech")
    return entry


def _deployments_of(account: str) -> set[str]:
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        found = [a for a in cloud.list_accounts(SUB, "rg-tenantctl") if a.ref.name == account]
        return {d.name for d in cloud.list_deployments(found[0].ref)} if found else set()


def test_shared_to_dedicated_deployment_to_dedicated_always_routes_to_live_resources(cli: Any, small: Path) -> None:
    apply = ("apply", "--emulator", "--auto-approve")
    entry = _step(cli, *apply)
    assert (entry["via"], entry["tpm"]) == ("shared", 20000)

    # shared -> dedicated-deployment: until its own deployment is Succeeded it keeps the shared one.
    entry = _step(cli, "tenant", "set", "initech", "isolation=dedicated-deployment", DD_CHAT)
    assert (entry["live"], entry["deployments"]) == ("shared-fallback", {"chat": "chat"})
    plan = cli("plan", "--emulator", "-o", "json")
    creates = [c for c in envelope_of(plan)["data"]["changes"] if c["tenant"] == "initech"]
    assert [(c["action"], c["phase"]) for c in creates] == [("create", 1)]
    entry = _step(cli, *apply)
    assert (entry["live"], entry["via"], entry["deployments"]) == (
        "target",
        "dedicated-deployment",
        {"chat": "initech--chat"},
    )
    assert entry["tpm"] == 20000

    # dedicated-deployment -> dedicated: phase 1 creates the account next to the old deployment.
    entry = _step(cli, "tenant", "set", "initech", "isolation=dedicated")
    assert (entry["live"], entry["via"]) == ("previous", "dedicated-deployment")
    assert entry["migration"]["phase"] == 1
    plan = cli("plan", "--emulator", "--prune")
    assert "phase 1: create the new resources" in plan.stdout
    assert "retire pending (run apply --retire after switching routing)" in plan.stdout
    # --prune must not take the old deployment while it may still carry traffic.
    entry = _step(cli, *apply, "--prune")
    assert "initech--chat" in _deployments_of("ctso-eu1--01")
    # phase 2: the new account is observed Succeeded, so routing has switched to it.
    assert (entry["live"], entry["via"], entry["migration"]["phase"]) == ("target", "dedicated", 2)
    assert entry["endpoint"] == "https://ctso-initech.openai.azure.com/"

    # phase 3: retire, explicitly.
    entry = _step(cli, *apply, "--retire")
    assert "initech--chat" not in _deployments_of("ctso-eu1--01")
    assert entry["migration"] is None
    final = cli("plan", "--emulator", "--detailed-exitcode")
    assert final.exit_code == 0, final.output


def test_dedicated_back_to_shared_keeps_the_account_until_retire(cli: Any, small: Path) -> None:
    apply = ("apply", "--emulator", "--auto-approve")
    _step(cli, *apply)
    assert cli("tenant", "set", "hooli", "isolation=shared", "stamp=eu1", "tpm=10000").exit_code == 0
    entry = _routing(cli)["hooli"]
    # The stamp's shared deployment already exists: routing switches at once, the account waits.
    _assert_routes_to_live_resources(entry, "hooli")
    assert (entry["via"], entry["migration"]["from"], entry["migration"]["phase"]) == ("shared", "dedicated", 2)
    assert cli(*apply, "--prune").exit_code == 0
    assert _deployments_of("ctso-hooli") == {"chat"}
    plan = cli("plan", "--emulator", "--retire", "-o", "json")
    deletes = [c["address"] for c in envelope_of(plan)["data"]["changes"] if c["action"] == "delete"]
    # The deployment first, on its own: it must not linger on the soft-deleted account (issue 16).
    assert deletes == ["tenant.hooli.deployment.chat@ctso-hooli", "tenant.hooli.account@ctso-hooli"]
    assert cli(*apply, "--retire").exit_code == 0
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        assert "ctso-hooli" not in {a.ref.name for a in cloud.list_accounts(SUB, "rg-tenantctl")}
    assert _routing(cli)["hooli"]["migration"] is None
