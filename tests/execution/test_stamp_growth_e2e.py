"""A stamp that grows a second account, with shared tenants on both, applied on the emulator (issue 15).

The grown account receives only what its tenants need (its dedicated-deployment tenant's deployment
and the shared deployment its shared tenant covers), the re-plan is a no-op, and the routing export
read from Azure sends each shared tenant to the account it is pinned to.
"""

from __future__ import annotations

import uuid

from tenantctl.cloud.azure import AzureCloud
from tenantctl.execution import ApplyStatus, apply_plan
from tenantctl.export.routing import routing_for
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import plan_against

from .conftest import RecordingHooks


def _manifest(subscription: str, group: str) -> Manifest:
    prefix = "g" + uuid.uuid4().hex[:6]
    mini = 'model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard"'
    text = f"""\
schema = 1

[provider]
subscription_id = "{subscription}"
resource_group = "{group}"
location = "swedencentral"
name_prefix = "{prefix}"
manifest_name = "growth"

[stamps.eu1]
location = "swedencentral"
max_deployments_per_account = 3
max_accounts = 3
deployments = [{{ name = "mini", {mini}, capacity = 20 }}, {{ name = "big", {mini}, capacity = 20 }}]
"""
    for tenant in ("d1", "d2"):  # two shared + one own per account: d2 grows the stamp to --02
        text += f"""
[tenants.{tenant}]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{{ name = "own", {mini}, capacity = 1 }}]
"""
    text += """
[tenants.s1]
isolation = "shared"
stamp = "eu1"
tpm = 15000

[tenants.s2]
isolation = "shared"
stamp = "eu1"
tpm = 15000
shared_deployments = ["mini"]
stamp_account = 2
"""
    loaded = parse_manifest(text)
    assert loaded.manifest is not None, loaded.diagnostics
    return loaded.manifest


def test_a_grown_stamp_gets_only_what_its_tenants_need_and_replans_to_nothing(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    manifest = _manifest(subscription, group)
    _, plan = plan_against(manifest, cloud)
    assert not plan.is_blocked, plan.diagnostics

    result = apply_plan(plan, cloud, hooks=hooks)

    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code, o.message) for o in result.failed]
    observed, again = plan_against(manifest, cloud)
    assert not again.has_changes, [(c.address, c.action, c.changed_fields) for c in again.actionable]
    carried = {
        account.ref.name.rsplit("--", 1)[-1]: sorted(d.name for d in observed.deployments.get(key, ()))
        for key, account in observed.accounts.items()
    }
    assert carried == {"01": ["big", "d1--own", "mini"], "02": ["d2--own", "mini"]}
    routes = routing_for(manifest, observed).by_tenant()
    assert (routes["s1"].route.account_id or "").endswith("--01")
    assert (routes["s2"].route.account_id or "").endswith("--02")
    assert routes["s2"].route.deployments == {"mini": "mini"}
    assert routes["s1"].route.ready is routes["s2"].route.ready is True
