"""One emulator per module with accounts, deployments and generated traffic, read by the real SDKs."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.resources import Account, AccountRef, Deployment, ResourceGroup

DAYS = 3
TENANTS = ["acme", "globex", "initech", "umbrella", "hooli"]
# (region, account, deployments): two regions, so two batches
LAYOUT = [
    ("swedencentral", "use-a1", ("chat", "mini")),
    ("swedencentral", "use-a2", ("chat", "mini")),
    ("swedencentral", "use-a3", ("chat",)),
    ("westeurope", "use-b1", ("chat",)),
]


@dataclass
class UsageWorld:
    emulator: Emulator
    cloud: AzureCloud
    accounts: list[Account]
    start: dt.datetime
    end: dt.datetime
    workspace_id: str


@pytest.fixture(scope="module")
def usage_world() -> Iterator[UsageWorld]:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_AUTHORITY_HOST"):
            mp.delenv(name, raising=False)
        emulator = Emulator(settings=EmulatorSettings(lro_seconds=0.02, retry_after=0)).start()
        cloud = connect_emulator(emulator)
        try:
            sub = emulator.subscription_id
            cloud.ensure_resource_group(ResourceGroup(sub, "rg-usage", "swedencentral"))
            accounts = []
            for region, name, deployments in LAYOUT:
                ref = AccountRef(sub, "rg-usage", name)
                accounts.append(cloud.put_account(Account(ref, region, f"{name}-sub-x9")))
                for dep in deployments:
                    cloud.put_deployment(Deployment(ref, dep, "gpt-4o-mini", "2024-07-18", "GlobalStandard", 10))
            end_ts = time.time() // 3600 * 3600
            summary = emulator.generate_traffic(days=DAYS, seed=1, tenants=TENANTS, end=end_ts)
            end = dt.datetime.fromtimestamp(end_ts, dt.timezone.utc)
            yield UsageWorld(
                emulator, cloud, accounts, end - dt.timedelta(days=DAYS), end, str(summary["workspace_id"])
            )
        finally:
            cloud.close()
            emulator.stop()
