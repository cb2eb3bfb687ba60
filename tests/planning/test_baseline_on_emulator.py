"""A dedicated tenant's compliance baseline, planned, applied and drift-checked on the emulator (issue 14).

Network rules (default action, IP and virtual network rules, bypass), local auth, the managed identity,
private endpoints with their DNS zone group, and the diagnostic setting: each is applied for real (the Azure
adapter over HTTPS, the real executor), re-plans as a no-op, and, changed behind tenantctl's back through
the adapter, is reported field by field by plan and put back by apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tenantctl.addresses import ResourceKind, TenantAddress
from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.execution.executor import apply_plan
from tenantctl.manifest.model import Manifest
from tenantctl.planning.model import Action, Plan
from tenantctl.planning.text import plan_lines
from tenantctl.reconcile import PlanOptions, plan_against
from tenantctl.resources import AccountBaseline, AccountRef, DiagnosticSetting, ResourceGroup

from .conftest import HEAD, LOC, SUB, manifest_from
from .on_emulator import apply_manifest, register

NET_GROUP = "rg-network"
ACCOUNT = AccountRef(SUB, "rg-tenants", "ctso-acme")


def _ids() -> dict[str, str]:
    base = f"/subscriptions/{SUB}/resourceGroups/{NET_GROUP}/providers"
    return {
        "hub": f"{base}/Microsoft.Network/virtualNetworks/vnet-hub/subnets/private-endpoints",
        "apps": f"{base}/Microsoft.Network/virtualNetworks/vnet-apps/subnets/private-endpoints",
        "rule": f"{base}/Microsoft.Network/virtualNetworks/vnet-hub/subnets/apps",
        "zone": f"{base}/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
        "other_zone": f"{base}/Microsoft.Network/privateDnsZones/privatelink.cognitiveservices.azure.com",
        "workspace": f"{base}/Microsoft.OperationalInsights/workspaces/law-tenants",
        "other_workspace": f"{base}/Microsoft.OperationalInsights/workspaces/law-other",
    }


def manifest_text(**over: str) -> str:
    ids = _ids()
    network = over.get(
        "network",
        f"""
[tenants.acme.network]
public_access = false
allowed_ips = ["203.0.113.0/24"]
default_action = "Deny"
bypass = "AzureServices"
virtual_network_rules = ["{ids["rule"]}"]
private_endpoints = [
  {{ subnet_id = "{ids["hub"]}", dns_zone_id = "{ids["zone"]}" }},
  {{ subnet_id = "{ids["apps"]}", dns_zone_id = "{ids["zone"]}" }},
]
""",
    )
    return (
        HEAD
        + f"""
[tenants.acme]
isolation = "dedicated"
{over.get("tenant", "")}
{network}
[tenants.acme.diagnostics]
workspace_id = "{ids["workspace"]}"
categories = ["Audit", "RequestResponse", "Trace", "AllMetrics"]
"""
    )


@pytest.fixture
def world(emulator: Emulator) -> Iterator[tuple[Emulator, AzureCloud]]:
    """The provider's network, DNS zones and workspaces in the emulator, and an adapter on it."""
    register(emulator, SUB)
    cloud = connect_emulator(emulator, polling_interval=0.02)
    cloud.ensure_resource_group(ResourceGroup(SUB, NET_GROUP, LOC))
    emulator.add_virtual_network(
        SUB, NET_GROUP, "vnet-hub", LOC, {"private-endpoints": "10.0.1.0/24", "apps": "10.0.2.0/24"}
    )
    emulator.add_virtual_network(SUB, NET_GROUP, "vnet-apps", LOC, {"private-endpoints": "10.1.1.0/24"})
    for zone in ("privatelink.openai.azure.com", "privatelink.cognitiveservices.azure.com"):
        emulator.add_private_dns_zone(SUB, NET_GROUP, zone)
    for workspace in ("law-tenants", "law-other"):
        emulator.add_workspace(SUB, NET_GROUP, workspace, LOC)
    try:
        yield emulator, cloud
    finally:
        cloud.close()


def _plan(manifest: Manifest, cloud: AzureCloud, **options: Any) -> Plan:
    _, plan = plan_against(manifest, cloud, PlanOptions(**options))
    assert not plan.is_blocked, plan.diagnostics
    return plan


def _fields(plan: Plan) -> dict[str, dict[str, tuple[object, object]]]:
    return {str(c.address): {f.name: (f.before, f.after) for f in c.changed_fields} for c in plan.actionable}


def _applied(world: tuple[Emulator, AzureCloud], text: str | None = None) -> tuple[Manifest, AzureCloud]:
    _, cloud = world
    manifest = manifest_from(text or manifest_text())
    apply_manifest(manifest, cloud)
    return manifest, cloud


def _fixed_by_apply(manifest: Manifest, cloud: AzureCloud, plan: Plan) -> None:
    result = apply_plan(plan, cloud)
    assert not result.failed, [(o.address, o.code, o.message) for o in result.failed]
    assert not _plan(manifest, cloud).has_changes


def test_the_baseline_applies_and_re_plans_as_a_no_op(world: tuple[Emulator, AzureCloud]) -> None:
    manifest, cloud = _applied(world)
    plan = _plan(manifest, cloud)
    assert not plan.has_changes, plan_lines(plan)
    addresses = {str(c.address) for c in plan.changes}
    assert {
        "tenant.acme.account",
        "tenant.acme.private-endpoint.vnet-hub-private-endpoints",
        "tenant.acme.private-endpoint.vnet-apps-private-endpoints",
        "tenant.acme.diagnostic-setting",
    } <= addresses
    account = next(a for a in cloud.list_accounts(SUB, "rg-tenants") if a.ref.name == "ctso-acme")
    assert account.disable_local_auth is True
    assert account.public_network_access is False
    assert account.baseline is not None
    assert account.baseline.network_default_action == "Deny"
    assert account.baseline.network_bypass == "AzureServices"
    assert len(account.baseline.private_endpoint_connections) == 2  # both endpoints approved on the account
    endpoints = cloud.list_private_endpoints(SUB, "rg-tenants")
    assert sorted(e.name for e in endpoints) == [
        "ctso-acme-pe-vnet-apps-private-endpoints",
        "ctso-acme-pe-vnet-hub-private-endpoints",
    ]
    assert {e.connection_status for e in endpoints} == {"Approved"}
    assert all(e.dns_zone_ids and e.dns_zone_ids[0].endswith("privatelink.openai.azure.com") for e in endpoints)
    (setting,) = cloud.list_diagnostic_settings(ACCOUNT.id)
    assert setting.name == "tenantctl-prod"
    assert setting.log_categories == ("Audit", "RequestResponse", "Trace")
    assert setting.metric_categories == ("AllMetrics",)


def _account_baseline(cloud: AzureCloud) -> tuple[Any, AccountBaseline]:
    account = next(a for a in cloud.list_accounts(SUB, "rg-tenants") if a.ref.name == "ctso-acme")
    assert account.baseline is not None
    return account, account.baseline


Drift = Callable[[AzureCloud], None]


def _drift_account(**changes: Any) -> Drift:
    def drift(cloud: AzureCloud) -> None:
        account, baseline = _account_baseline(cloud)
        account_fields = {k: v for k, v in changes.items() if k in ("disable_local_auth", "allowed_ips")}
        baseline_fields = {k: v for k, v in changes.items() if k not in account_fields}
        cloud.put_account(
            dataclasses.replace(account, **account_fields), baseline=dataclasses.replace(baseline, **baseline_fields)
        )

    return drift


def _drift_zone(cloud: AzureCloud) -> None:
    endpoint = next(e for e in cloud.list_private_endpoints(SUB, "rg-tenants") if "vnet-hub" in e.name)
    cloud.put_private_endpoint(dataclasses.replace(endpoint, dns_zone_ids=(_ids()["other_zone"],)))


def _drift_workspace(cloud: AzureCloud) -> None:
    (setting,) = cloud.list_diagnostic_settings(ACCOUNT.id)
    cloud.put_diagnostic_setting(dataclasses.replace(setting, workspace_id=_ids()["other_workspace"]))


def _drift_categories(cloud: AzureCloud) -> None:
    (setting,) = cloud.list_diagnostic_settings(ACCOUNT.id)
    cloud.put_diagnostic_setting(dataclasses.replace(setting, log_categories=("Audit",), metric_categories=()))


_HUB = "tenant.acme.private-endpoint.vnet-hub-private-endpoints"


@pytest.mark.parametrize(
    ("drift", "address", "field", "azure", "manifest"),
    [
        (_drift_account(disable_local_auth=False), "tenant.acme.account", "disable_local_auth", False, True),
        (
            _drift_account(network_default_action="Allow"),
            "tenant.acme.account",
            "network.default_action",
            "Allow",
            "Deny",
        ),
        (_drift_account(network_bypass="None"), "tenant.acme.account", "network.bypass", "None", "AzureServices"),
        (_drift_account(virtual_network_rules=()), "tenant.acme.account", "network.virtual_network_rules", (), None),
        (
            _drift_account(allowed_ips=("198.51.100.7",)),
            "tenant.acme.account",
            "allowed_ips",
            ("198.51.100.7",),
            ("203.0.113.0/24",),
        ),
        (_drift_account(identity="none"), "tenant.acme.account", "identity", "none", "system-assigned"),
        (_drift_zone, _HUB, "dns_zone_ids", None, None),
        (
            _drift_workspace,
            "tenant.acme.diagnostic-setting",
            "workspace_id",
            _ids()["other_workspace"],
            _ids()["workspace"],
        ),
        (
            _drift_categories,
            "tenant.acme.diagnostic-setting",
            "log_categories",
            ("Audit",),
            ("Audit", "RequestResponse", "Trace"),
        ),
        (_drift_categories, "tenant.acme.diagnostic-setting", "metric_categories", (), ("AllMetrics",)),
    ],
    ids=[
        "local-auth",
        "default-action",
        "bypass",
        "vnet-rules",
        "ip-rules",
        "identity",
        "dns-zone",
        "workspace",
        "log-categories",
        "metric-categories",
    ],
)
def test_each_setting_changed_behind_tenantctls_back_is_reported_and_fixed(  # noqa: PLR0917  # parametrized
    world: tuple[Emulator, AzureCloud], drift: Drift, address: str, field: str, azure: object, manifest: object
) -> None:
    wanted, cloud = _applied(world)
    drift(cloud)
    plan = _plan(wanted, cloud)
    fields = _fields(plan)
    assert list(fields) == [address], plan_lines(plan)
    assert field in fields[address]
    before, after = fields[address][field]
    if azure is not None or field == "network.virtual_network_rules":
        assert before == azure
    if manifest is not None:
        assert after == manifest
    change = next(c for c in plan.actionable if str(c.address) == address)
    assert change.action is Action.UPDATE
    assert any(f"{field}:" in line for line in plan_lines(plan))
    _fixed_by_apply(wanted, cloud, plan)


def test_a_deleted_endpoint_is_re_created_and_a_removed_one_pruned_only_with_prune(
    world: tuple[Emulator, AzureCloud],
) -> None:
    wanted, cloud = _applied(world)
    cloud.delete_private_endpoint(SUB, "rg-tenants", "ctso-acme-pe-vnet-hub-private-endpoints")
    plan = _plan(wanted, cloud)
    assert [(str(c.address), c.action) for c in plan.actionable] == [(_HUB, Action.CREATE)]
    _fixed_by_apply(wanted, cloud, plan)

    ids = _ids()
    fewer = manifest_from(
        manifest_text(
            network=f"""
[tenants.acme.network]
public_access = false
allowed_ips = ["203.0.113.0/24"]
default_action = "Deny"
bypass = "AzureServices"
virtual_network_rules = ["{ids["rule"]}"]
private_endpoints = [{{ subnet_id = "{ids["hub"]}", dns_zone_id = "{ids["zone"]}" }}]
"""
        )
    )
    assert not _plan(fewer, cloud).has_changes  # without --prune the extra endpoint stays
    pruning = _plan(fewer, cloud, prune=True)
    assert [(str(c.address), c.action) for c in pruning.actionable] == [
        ("tenant.acme.private-endpoint.vnet-apps-private-endpoints", Action.DELETE)
    ]
    _fixed_by_apply(fewer, cloud, pruning)
    assert [e.name for e in cloud.list_private_endpoints(SUB, "rg-tenants")] == [
        "ctso-acme-pe-vnet-hub-private-endpoints"
    ]


def test_settings_tenantctl_does_not_own_are_never_touched(world: tuple[Emulator, AzureCloud]) -> None:
    wanted, cloud = _applied(world)
    theirs = DiagnosticSetting(ACCOUNT.id, "security-team", _ids()["other_workspace"], ("Audit",), ())
    cloud.put_diagnostic_setting(theirs)
    assert not _plan(wanted, cloud, prune=True).has_changes
    assert sorted(s.name for s in cloud.list_diagnostic_settings(ACCOUNT.id)) == ["security-team", "tenantctl-prod"]


def test_local_auth_on_is_planned_and_shown(world: tuple[Emulator, AzureCloud]) -> None:
    wanted, cloud = _applied(world)
    _ = wanted
    vault = f"/subscriptions/{SUB}/resourceGroups/{NET_GROUP}/providers/Microsoft.KeyVault/vaults/kv-tenants"
    text = manifest_text(tenant="local_auth = true") + f'\n[provider.key_vault]\nid = "{vault}"\n'
    keyed = manifest_from(text)
    _, missing = plan_against(keyed, cloud)  # the vault does not exist yet: the keys could not be stored
    (error,) = missing.diagnostics.errors
    assert (error.code, error.tenant, error.path) == ("missing-reference", "acme", "provider.key_vault.id")
    emulator, _ = world
    vault_id, _ = emulator.add_key_vault(SUB, NET_GROUP, "kv-tenants", LOC)
    emulator.assign_role(vault_id, emulator.provider.object_id, "Key Vault Secrets Officer")
    plan = _plan(keyed, cloud)
    assert _fields(plan)["tenant.acme.account"]["disable_local_auth"] == (True, False)
    assert [c.action for c in plan.actionable if str(c.address) == "tenant.acme.account-keys"] == [Action.CREATE]
    assert any("disable_local_auth: True -> False" in line for line in plan_lines(plan))


def test_a_stamp_account_gets_its_diagnostic_setting(world: tuple[Emulator, AzureCloud]) -> None:
    _, cloud = world
    ids = _ids()
    text = (
        HEAD
        + f"""
[stamps.eu1]
location = "{LOC}"
deployments = [
  {{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 100 }},
]
diagnostics = {{ workspace_id = "{ids["workspace"]}", categories = ["Audit", "AllMetrics"] }}
"""
    )
    manifest = manifest_from(text)
    apply_manifest(manifest, cloud)
    stamp_account = AccountRef(SUB, "rg-tenants", "ctso-eu1--01")
    (setting,) = cloud.list_diagnostic_settings(stamp_account.id)
    assert (setting.log_categories, setting.metric_categories) == (("Audit",), ("AllMetrics",))
    plan = _plan(manifest, cloud)
    assert not plan.has_changes
    assert "stamp.eu1.diagnostic-setting.01.tenantctl-prod" in {str(c.address) for c in plan.changes}
    assert TenantAddress("acme", ResourceKind.PRIVATE_ENDPOINT, "x").text == "tenant.acme.private-endpoint.x"


def _errors(plan: Plan) -> dict[str, tuple[str, str | None, str]]:
    return {d.path: (d.code, d.tenant, d.summary) for d in plan.diagnostics.errors}


def test_a_missing_subnet_or_workspace_is_a_plan_error_naming_tenant_and_field(
    world: tuple[Emulator, AzureCloud],
) -> None:
    _, cloud = world
    ids = _ids()
    text = manifest_text().replace("vnet-apps/subnets/private-endpoints", "vnet-apps/subnets/no-such-subnet")
    text = text.replace("law-tenants", "law-missing")
    _, plan = plan_against(manifest_from(text), cloud)
    assert plan.is_blocked
    errors = _errors(plan)
    assert errors["tenants.acme.network.private_endpoints[1].subnet_id"][:2] == ("missing-reference", "acme")
    assert "tenant acme" in errors["tenants.acme.network.private_endpoints[1].subnet_id"][2]
    assert errors["tenants.acme.diagnostics.workspace_id"][:2] == ("missing-reference", "acme")
    assert "tenants.acme.network.private_endpoints[0].subnet_id" not in errors  # the hub subnet exists
    assert ids["hub"] in text


def test_a_subnet_in_another_region_than_its_endpoint_is_a_plan_error(
    world: tuple[Emulator, AzureCloud],
) -> None:
    emulator, cloud = world
    emulator.add_virtual_network(SUB, NET_GROUP, "vnet-west", "westeurope", {"private-endpoints": "10.2.1.0/24"})
    text = manifest_text().replace("vnet-apps/subnets", "vnet-west/subnets")
    _, plan = plan_against(manifest_from(text), cloud)
    code, tenant, summary = _errors(plan)["tenants.acme.network.private_endpoints[1].subnet_id"]
    assert (code, tenant) == ("wrong-region", "acme")
    assert "westeurope" in summary
    assert LOC in summary
    fixed = text.replace(
        f'subnet_id = "{_ids()["apps"].replace("vnet-apps", "vnet-west")}"',
        f'subnet_id = "{_ids()["apps"].replace("vnet-apps", "vnet-west")}", location = "westeurope"',
    )
    assert fixed != text
    _, plan = plan_against(manifest_from(fixed), cloud)
    assert not plan.is_blocked, plan.diagnostics
    result = apply_plan(plan, cloud)
    assert not result.failed, [(o.address, o.code, o.message) for o in result.failed]


def test_a_no_op_plan_reads_no_reference(world: tuple[Emulator, AzureCloud]) -> None:
    emulator, _ = world
    manifest, cloud = _applied(world)
    emulator.reset_counts()
    assert not _plan(manifest, cloud).has_changes
    counts = emulator.request_counts()
    assert not any(op in counts for op in ("virtual_networks.get", "workspaces.get", "resources.get_by_id"))
    assert counts.get("private_endpoints.list") == 1
    assert counts.get("diagnostic_settings.list") == 1


def test_inspect_shows_the_baseline_and_its_drift(world: tuple[Emulator, AzureCloud]) -> None:
    import io
    from datetime import date

    from rich.console import Console

    from tenantctl.inspection import inspect_tenant
    from tenantctl.render.console import THEME
    from tenantctl.render.inspect import print_inspect

    manifest, cloud = _applied(world)
    _drift_account(disable_local_auth=False)(cloud)
    report = inspect_tenant(manifest, cloud, "acme", today=date(2026, 12, 4)).report
    data = report.to_json()["baseline"]
    assert data["in_azure"] is True
    assert data["local_auth"] is True  # as Azure has it now
    assert data["network"] == {
        "default_action": "Deny",
        "virtual_network_rules": [data["network"]["virtual_network_rules"][0]],
        "bypass": "AzureServices",
    }
    assert sorted(e["status"] for e in data["private_endpoints"]) == ["Approved", "Approved"]
    assert data["diagnostics"]["categories"] == ["Audit", "RequestResponse", "Trace", "AllMetrics"]
    drift = {d.address: [f.name for f in d.fields] for d in report.drift}
    assert drift == {"tenant.acme.account": ["disable_local_auth"]}
    out = io.StringIO()
    print_inspect(report, Console(file=out, width=200, theme=THEME))
    text = out.getvalue()
    assert "keys and Entra ID (local auth on)" in text
    assert "ctso-acme-pe-vnet-hub-private-endpoints in vnet-hub/private-endpoints" in text
    assert "law-tenants: Audit, RequestResponse, Trace, AllMetrics" in text
