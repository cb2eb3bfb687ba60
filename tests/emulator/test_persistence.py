"""State, CA, identities and in-flight LROs survive a restart with the same state directory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from azure.identity import ClientSecretCredential
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from tenantctl.emulator import Emulator, EmulatorSettings
from tests.emulator.helpers import arm, deployment_body, raw_token


def _clients(emu: Emulator) -> tuple[Any, Any]:
    sp = emu.provider
    cred = ClientSecretCredential(
        sp.directory,
        sp.client_id,
        sp.client_secret,
        authority=emu.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emu.ca_path),
    )
    kw: dict[str, Any] = {
        "base_url": emu.endpoint,
        "connection_verify": str(emu.ca_path),
        "polling_interval": 0.05,
        "retry_total": 0,
    }
    return (
        ResourceManagementClient(cred, emu.subscription_id, **kw),
        CognitiveServicesManagementClient(cred, emu.subscription_id, **kw),
    )


def test_restart_keeps_one_cloud(tmp_path: Path) -> None:
    state = tmp_path / "state"
    settings = EmulatorSettings(lro_seconds=0.05, retry_after=0)
    with Emulator(state, settings) as first:
        rc, cs = _clients(first)
        rc.resource_groups.create_or_update("rg", {"location": "eastus"})
        cs.accounts.begin_create(
            "rg",
            "a1",
            {
                "location": "eastus",
                "kind": "OpenAI",
                "sku": {"name": "S0"},
                "properties": {"customSubDomainName": "persist-me"},
            },
        ).result()
        first.settings.lro_seconds = 2.0  # still in flight after the restart, even on a loaded machine
        put_at = time.monotonic()
        cs.deployments.begin_create_or_update("rg", "a1", "d1", deployment_body())  # left in flight
        identity = (first.subscription_id, first.home_directory, first.provider)
        ca = first.ca_path.read_bytes()
        token = raw_token(first)
    with Emulator(state, settings) as second:
        assert (second.subscription_id, second.home_directory, second.provider) == identity
        assert second.ca_path.read_bytes() == ca
        path = (
            f"/subscriptions/{second.subscription_id}/resourceGroups/rg/providers/"
            "Microsoft.CognitiveServices/accounts/a1"
        )
        assert arm(second, "GET", path, token).status_code == 200  # the signing key persisted too
        dep = arm(second, "GET", path + "/deployments/d1", token).json()
        assert dep["properties"]["provisioningState"] == "Creating"
        time.sleep(max(0.0, 2.05 - (time.monotonic() - put_at)))
        _, cs2 = _clients(second)
        assert cs2.deployments.get("rg", "a1", "d1").properties.provisioning_state == "Succeeded"
        assert cs2.accounts.get("rg", "a1").properties.endpoint == "https://persist-me.openai.azure.com/"


def test_embedded_state_location(tmp_path: Path) -> None:
    emu = Emulator.embedded(tmp_path)
    try:
        assert emu.ca_path == tmp_path / ".tenantctl" / "emulator" / "ca.pem"
        assert (tmp_path / ".tenantctl" / "emulator" / "state.sqlite3").exists()
    finally:
        emu.stop()
