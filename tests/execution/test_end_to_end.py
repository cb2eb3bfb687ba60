"""manifest -> observe -> plan -> apply_plan -> observe -> plan: the second plan has nothing to do.

Uses colleagues' real planning and observation, the real adapter and the emulator with faults on.
"""

from __future__ import annotations

import uuid
from typing import Any

from tenantctl.cloud.azure import AzureCloud
from tenantctl.emulator import FaultSettings
from tenantctl.execution import ApplyStatus, apply_plan
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import plan_against

from .conftest import RecordingHooks


def _manifest(subscription: str, group: str) -> Manifest:
    prefix = "e" + uuid.uuid4().hex[:6]
    text = f"""\
schema = 1

[provider]
subscription_id = "{subscription}"
resource_group = "{group}"
location = "swedencentral"
name_prefix = "{prefix}"
manifest_name = "e2e"

[defaults]
deployments = [
  {{ name = "chat", model = "gpt-4o-mini", version = "2024-07-18", sku = "GlobalStandard", capacity = 10 }},
]

[stamps.eu1]
location = "swedencentral"
max_deployments_per_account = 4
max_accounts = 2
deployments = [
  {{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 20 }},
]

[tenants.acme]
isolation = "dedicated"
content_filter = {{ blocklist = ["foo", "bar"], severity = "High" }}

[tenants.beta]
isolation = "dedicated"
deployments = [{{ name = "embed", model = "text-embedding-3-small", version = "1", sku = "Standard", capacity = 5 }}]

[tenants.gamma]
isolation = "shared"
stamp = "eu1"
tpm = 5000

[tenants.delta]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [
  {{ name = "own", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 5 }},
]
"""
    loaded = parse_manifest(text)
    assert loaded.manifest is not None, loaded.diagnostics
    return loaded.manifest


def test_a_planned_apply_through_faults_converges_so_the_next_plan_is_a_no_op(
    cloud: AzureCloud, emu: Any, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    manifest = _manifest(subscription, group)
    _, plan = plan_against(manifest, cloud)
    assert plan.has_changes
    assert not plan.is_blocked, plan.diagnostics
    emu.set_faults(
        FaultSettings(rate_429=0.1, rate_5xx=0.07, drop_rate=0.05, methods=("PUT", "DELETE"), retry_after=0, seed=7)
    )

    result = apply_plan(plan, cloud, hooks=hooks)

    emu.set_faults(FaultSettings())
    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code, o.message) for o in result.failed]
    assert len(result.outcomes) == len(plan.actionable)
    _, again = plan_against(manifest, cloud)
    assert not again.has_changes, [(c.address, c.action, c.changed_fields) for c in again.actionable]
