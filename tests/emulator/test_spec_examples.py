"""The emulator's answers deserialize into the same SDK models, with the same fields, as the spec examples.

``spec_examples/`` holds verbatim examples from Azure/azure-rest-api-specs (cognitiveservices
2025-09-01, RAI policy 2025-06-01), copied from /work/shared/specs/examples. For each operation the
example response and the emulator's response are deserialized with the same SDK model class; every
non-None top-level and ``properties`` field of the example must be present in the emulator's answer.
The emulator may populate more read-only fields than a minimal example (systemData, etag, currentCapacity,
...): those extras are listed per example below so any drift is deliberate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.cognitiveservices import models as m

from tenantctl.emulator import Emulator
from tests.emulator.helpers import create_account, deploy

EXAMPLES = Path(__file__).parent / "spec_examples"


def _example(name: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / f"{name}.json").read_text()))


def _fields(obj: Any) -> set[str]:
    """Non-None top-level fields, plus ``properties.<field>`` for a nested properties model."""
    out: set[str] = set()
    for key, value in vars(obj).items():
        if key.startswith("_") or key == "additional_properties" or value is None:
            continue
        out.add(key)
        if key == "properties" and hasattr(value, "_attribute_map"):
            out |= {
                f"properties.{k}"
                for k, v in vars(value).items()
                if not k.startswith("_") and k != "additional_properties" and v is not None
            }
    return out


def _compare(model: type[Any], example_body: dict[str, Any], ours: Any, allowed_extra: set[str]) -> None:
    theirs = _fields(model.deserialize(example_body))
    mine = _fields(ours)
    assert isinstance(ours, model)
    assert theirs <= mine, f"missing: {sorted(theirs - mine)}"
    assert mine - theirs <= allowed_extra, f"undocumented extras: {sorted(mine - theirs - allowed_extra)}"


_DEPLOYMENT_EXTRA = {
    "system_data",
    "etag",
    "properties.version_upgrade_option",
    "properties.current_capacity",
    "properties.capabilities",
    "properties.rate_limits",
    "properties.rai_policy_name",
}
_ACCOUNT_EXTRA = {
    "system_data",
    "tags",
    "properties.internal_id",
    "properties.date_created",
    "properties.is_migrated",
    "properties.private_endpoint_connections",
    "properties.api_properties",
    "properties.public_network_access",
    "properties.custom_sub_domain_name",
    "properties.deletion_date",
    "properties.scheduled_purge_date",
}


@pytest.fixture
def account(cs_client: Any, rg: str) -> str:
    create_account(cs_client, rg, "acct", subdomain="acct-example")
    deploy(cs_client, rg, "acct", "dep", model="gpt-4o-mini", version="2024-07-18", sku="Standard", capacity=1)
    return "acct"


def test_get_deployment(cs_client: Any, rg: str, account: str) -> None:
    ours = cs_client.deployments.get(rg, account, "dep")
    _compare(m.Deployment, _example("GetDeployment")["responses"]["200"]["body"], ours, _DEPLOYMENT_EXTRA)


def test_update_deployment(cs_client: Any, rg: str, account: str) -> None:
    ex = _example("UpdateDeployment")
    patch = dict(ex["parameters"]["deployment"])
    ours = cs_client.deployments.begin_update(rg, account, "dep", patch).result()
    _compare(m.Deployment, ex["responses"]["200"]["body"], ours, _DEPLOYMENT_EXTRA)


def test_delete_deployment(cs_client: Any, rg: str, account: str) -> None:
    ex = _example("DeleteDeployment")
    poller = cs_client.deployments.begin_delete(rg, account, "dep")
    assert str(poller.polling_method()._initial_response.http_response.status_code) in ex["responses"]
    assert poller.result() is None


def test_create_account_min(emulator: Emulator, cs_client: Any, rg: str) -> None:
    ex = _example("CreateAccountMin")
    poller = cs_client.accounts.begin_create(rg, "testCreate1", ex["parameters"]["account"])
    assert str(poller.polling_method()._initial_response.http_response.status_code) in ex["responses"]
    ours = poller.result()
    assert ours.location == "westus"
    assert ours.identity.type == "SystemAssigned"
    assert ours.identity.principal_id
    assert ours.identity.tenant_id == emulator.home_directory
    _compare(m.Account, ex["responses"]["201"]["body"], ours, _ACCOUNT_EXTRA)


def test_delete_account_and_get_deleted_account(cs_client: Any, rg: str, account: str) -> None:
    poller = cs_client.accounts.begin_delete(rg, account)
    assert (
        str(poller.polling_method()._initial_response.http_response.status_code)
        in _example("DeleteAccount")["responses"]
    )
    assert poller.result() is None
    ours = cs_client.deleted_accounts.get("swedencentral", rg, account)
    _compare(m.Account, _example("GetDeletedAccount")["responses"]["200"]["body"], ours, _ACCOUNT_EXTRA)


def test_list_usages(cs_client: Any) -> None:
    ours = list(cs_client.usages.list("swedencentral"))
    example = _example("ListUsages")["responses"]["200"]["body"]["value"][0]
    account_count = next(u for u in ours if u.name.value == "AccountCount")
    _compare(m.Usage, example, account_count, {"status"})


def test_list_model_capacities(cs_client: Any, account: str) -> None:
    ex = _example("ListModelCapacities")["responses"]["200"]["body"]["value"][0]
    ours = list(cs_client.model_capacities.list("OpenAI", "gpt-4o-mini", "2024-07-18"))
    assert ours
    _compare(m.ModelCapacityListResultValueItem, ex, ours[0], set())


def test_list_location_models(cs_client: Any) -> None:
    examples = _example("ListLocationModels")["responses"]["200"]["body"]["value"]
    ours = list(cs_client.models.list("westus"))
    theirs_top = set().union(*(_fields(m.Model.deserialize(e)) for e in examples))
    assert theirs_top <= set().union(*(_fields(o) for o in ours)) | {"description"}
    theirs_model = set().union(*(_fields(m.Model.deserialize(e).model) for e in examples))
    ours_model = set().union(*(_fields(o.model) for o in ours))
    # The example catalogue has fine-tune-capable and replaced models, which this catalogue does not.
    assert theirs_model - ours_model <= {"finetune_capabilities", "replacement_config"}
    sku_fields = set().union(*(_fields(s) for e in examples for s in m.Model.deserialize(e).model.skus))
    assert sku_fields <= set().union(*(_fields(s) for o in ours for s in o.model.skus))


def test_put_rai_policy(cs_client: Any, rg: str, account: str) -> None:
    ex = _example("PutRaiPolicy")
    poller_body = ex["parameters"]["raiPolicy"]
    ours = cs_client.rai_policies.create_or_update(rg, account, "raiPolicyName", poller_body)
    _compare(m.RaiPolicy, ex["responses"]["201"]["body"], ours, {"etag", "type", "properties.type"})
    assert len(ours.properties.content_filters) == len(poller_body["properties"]["contentFilters"])


# Which emulated ARM operation each spec example above checks; every other emulated operation must say why it
# has no checked example. Adding a route to the emulator without either fails the coverage test below.
CHECKED_EXAMPLES: dict[str, str] = {
    "accounts.begin_create": "CreateAccountMin (test_create_account_min)",
    "accounts.begin_delete": "DeleteAccount (test_delete_account_and_get_deleted_account)",
    "deleted_accounts.get": "GetDeletedAccount (test_delete_account_and_get_deleted_account)",
    "deployments.get": "GetDeployment (test_get_deployment)",
    "deployments.begin_update": "UpdateDeployment (test_update_deployment)",
    "deployments.begin_delete": "DeleteDeployment (test_delete_deployment)",
    "usages.list": "ListUsages (test_list_usages)",
    "models.list": "ListLocationModels (test_list_location_models)",
    "model_capacities.list": "ListModelCapacities (test_list_model_capacities)",
    "rai_policies.create_or_update": "PutRaiPolicy 2025-06-01 (test_put_rai_policy)",
}
_NOT_IN_SHARED = "no example of this operation in /work/shared/specs/examples"
_OTHER_PROVIDER = (
    "Microsoft.Network / Insights / OperationalInsights / KeyVault: no spec example is shared; the SDK's own "
    "models round-trip them in tests/emulator/test_compliance.py and tests/cloud/test_baseline.py"
)
_MONITOR_DATA = "Azure Monitor metrics: checked with the real MetricsClient against generated traffic (tests/usage)"
_NOT_COGNITIVE = (
    "not a Microsoft.CognitiveServices operation: azure-mgmt-resource / -authorization, research/arm-api.md §4"
)
NO_EXAMPLE: dict[str, str] = {
    "lro.poll": "operation status body checked against the recorded traffic (fidelity/test_recorded_traffic.py)",
    "accounts.list_models": "no ListAccountModels example in specs/; AccountModel items read back by the real SDK "
    "(tests/models/test_fine_tuned.py)",
    "resourcegraph.resources": "no Resource Graph example in specs/; QueryResponse read back by the real "
    "azure-mgmt-resourcegraph client (tests/emulator/test_resourcegraph.py)",
    **dict.fromkeys(
        (
            "subscriptions.list",
            "subscriptions.get",
            "tenants.list",
            "resource_groups.list",
            "resource_groups.check_existence",
            "resource_groups.get",
            "resource_groups.create_or_update",
            "resource_groups.update",
            "resource_groups.begin_delete",
            "role_assignments.list_for_scope",
            "role_assignments.get",
            "role_assignments.create",
            "role_assignments.delete",
            "role_definitions.list",
            "role_definitions.get",
        ),
        _NOT_COGNITIVE,
    ),
    **dict.fromkeys(
        (
            "accounts.get",
            "accounts.list",
            "accounts.list_by_resource_group",
            "accounts.begin_update",
            "accounts.list_keys",
            "deleted_accounts.list",
            "deleted_accounts.begin_purge",
            "check_domain_availability",
            "deployments.list",
            "deployments.begin_create_or_update",
            "location_based_model_capacities.list",
            "rai_policies.list",
            "rai_policies.get",
            "rai_policies.begin_delete",
            "rai_blocklists.list",
            "rai_blocklists.get",
            "rai_blocklists.create_or_update",
            "rai_blocklists.begin_delete",
            "rai_blocklist_items.batch_add",
            "rai_blocklist_items.batch_delete",
            "rai_blocklist_items.list",
            "rai_blocklist_items.get",
            "rai_blocklist_items.create_or_update",
            "rai_blocklist_items.begin_delete",
        ),
        _NOT_IN_SHARED,
    ),
    "accounts.regenerate_key": _NOT_IN_SHARED,
    **dict.fromkeys(
        (
            "diagnostic_settings.create_or_update",
            "diagnostic_settings.delete",
            "diagnostic_settings.get",
            "diagnostic_settings.list",
            "diagnostic_settings_category.list",
            "private_dns_zone_groups.begin_create_or_update",
            "private_dns_zone_groups.get",
            "private_dns_zone_groups.list",
            "private_endpoints.begin_create_or_update",
            "private_endpoints.begin_delete",
            "private_endpoints.get",
            "private_endpoints.list",
            "private_zones.begin_create_or_update",
            "private_zones.get",
            "subnets.begin_create_or_update",
            "subnets.get",
            "vaults.begin_create_or_update",
            "vaults.get",
            "virtual_networks.begin_create_or_update",
            "virtual_networks.get",
            "workspaces.begin_create_or_update",
            "workspaces.get",
        ),
        _OTHER_PROVIDER,
    ),
    **dict.fromkeys(("metric_definitions.list", "metrics.get_batch", "metrics.list"), _MONITOR_DATA),
}


def test_every_emulated_operation_has_a_checked_example_or_a_reason() -> None:
    from tenantctl.emulator.app import build_arm_router

    emulated = {route.op for route in build_arm_router().routes}
    assert not CHECKED_EXAMPLES.keys() & NO_EXAMPLE.keys()
    unaccounted = emulated - CHECKED_EXAMPLES.keys() - NO_EXAMPLE.keys()
    assert not unaccounted, f"emulated operations without a checked spec example or a reason: {sorted(unaccounted)}"
    stale = (CHECKED_EXAMPLES.keys() | NO_EXAMPLE.keys()) - emulated
    assert not stale, f"listed operations the emulator does not serve: {sorted(stale)}"
    shared = {p.stem for p in EXAMPLES.glob("*.json")}
    assert {entry.split(" ", 1)[0] for entry in CHECKED_EXAMPLES.values()} == shared, "every example is checked"
