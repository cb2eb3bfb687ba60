"""A small applied fleet with generated traffic, for the usage report tests (one per module).

One tenant per isolation model, plus: ``contoso`` on the [defaults] deployments, ``umbrella`` (shared,
no traffic), ``newco`` (never applied). Prices cover gpt-4o and gpt-35-turbo but not gpt-4o-mini, so
``hooli`` (shared on ``mini``) has no price.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.execution.executor import apply_plan
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import plan_against

DAYS = 3
FAST = EmulatorSettings(lro_seconds=0.02, retry_after=0)
GATEWAY_TENANTS = ["initech", "hooli", "stranger"]  # stranger: behind the gateway, not in the manifest
MANIFEST = """\
schema = 1

[provider]
subscription_id = "0a0a0a0a-0000-4000-8000-0000000000a1"
resource_group = "rg-usage"
location = "swedencentral"
name_prefix = "tu"

[provider.app]
client_id = "1b1b1b1b-0000-4000-8000-00000000000b"
home_directory = "2c2c2c2c-0000-4000-8000-00000000000c"

[defaults]
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }]

[stamps.eu1]
location = "swedencentral"
overcommit = 1.5
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 100 },
  { name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 120 },
]

[pricing]
currency = "EUR"
tokens = [
  { model = "gpt-4o", input_per_million = 2.5, output_per_million = 10.0 },
  { model = "gpt-4o", sku = "DataZoneStandard", input_per_million = 2.75, output_per_million = 11.0 },
  { model = "gpt-35-turbo", input_per_million = 0.5, output_per_million = 1.5 },
]

[tenants.acme]
isolation = "dedicated"
location = "westeurope"
deployments = [
  { name = "chat", sku = "DataZoneStandard", capacity = 20 },
  { name = "legacy", model = "gpt-35-turbo", version = "0125", sku = "Standard", capacity = 5 },
]

[tenants.contoso]
isolation = "dedicated"

[tenants.globex]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 30 }]

[tenants.initech]
isolation = "shared"
stamp = "eu1"
tpm = 60000

[tenants.hooli]
isolation = "shared"
stamp = "eu1"
tpm = 90000
shared_deployments = ["mini"]

[tenants.umbrella]
isolation = "shared"
stamp = "eu1"
tpm = 10000

[tenants.newco]
isolation = "dedicated"

[tenants.trey]
isolation = "tenant-provided"
directory = "3d3d3d3d-0000-4000-8000-00000000000d"
resource_id = "/subscriptions/4e4e4e4e-0000-4000-8000-00000000000e/resourceGroups/rg-trey-ai/providers/\
Microsoft.CognitiveServices/accounts/trey-aoai"
expect_deployments = ["gpt-4o"]
"""


def manifest(text: str = MANIFEST) -> Manifest:
    result = parse_manifest(text)
    assert result.manifest is not None, [str(d) for d in result.diagnostics]
    return result.manifest


@dataclass
class Fleet:
    emulator: Emulator
    cloud: AzureCloud
    manifest: Manifest
    workdir: Path
    start: dt.datetime
    end: dt.datetime


def build(workdir: Path) -> tuple[dt.datetime, dt.datetime]:
    """Apply the fleet (without newco) into ``workdir/.tenantctl`` and generate DAYS of traffic."""
    m = manifest()
    emu = Emulator.embedded(workdir, FAST).start()
    cloud = connect_emulator(emu, polling_interval=0.02)
    try:
        for sub in sorted({m.provider.subscription_id, *(m.stamp_subscription(s) for s in m.stamps)}):
            emu.add_subscription(sub, emu.home_directory)
            emu.assign_role(f"/subscriptions/{sub}", emu.provider.object_id, "Owner")
        applied = m.model_copy(update={"tenants": {k: v for k, v in m.tenants.items() if k != "newco"}})
        _, plan = plan_against(applied, cloud)
        result = apply_plan(plan, cloud)
        assert result.exit_code == 0, [o for o in result.outcomes if o.status.value != "ok"]
        end_ts = time.time() // 3600 * 3600
        emu.generate_traffic(days=DAYS, seed=1, tenants=GATEWAY_TENANTS, end=end_ts)
    finally:
        cloud.close()
        emu.stop()
    end = dt.datetime.fromtimestamp(end_ts, dt.timezone.utc)
    return end - dt.timedelta(days=DAYS), end


def serve(workdir: Path, start: dt.datetime, end: dt.datetime) -> Iterator[Fleet]:
    emu = Emulator.embedded(workdir, FAST).start()
    cloud = connect_emulator(emu, polling_interval=0.02)
    try:
        yield Fleet(emu, cloud, manifest(), workdir, start, end)
    finally:
        cloud.close()
        emu.stop()
