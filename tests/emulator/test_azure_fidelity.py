"""Emulator behaviours that independent clients tripped over, each pinned to what Azure does (issue 16).

Sources are cited in tenantctl/emulator/README.md ("What is emulated, and from where").
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import HttpResponseError

from tenantctl.clouds import KNOWN_CLOUDS
from tenantctl.emulator import Emulator, EmulatorSettings
from tests.emulator.helpers import create_account, deploy, provider_credential

GLOBAL_GPT4O = "OpenAI.GlobalStandard.gpt-4o"


def _token(emulator: Emulator, scope: str) -> str:
    sp = emulator.provider
    resp = requests.post(
        f"{emulator.endpoint}/{sp.directory}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sp.client_id,
            "client_secret": sp.client_secret,
            "scope": scope,
        },
        verify=str(emulator.ca_path),
        timeout=10,
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


@pytest.mark.parametrize(
    ("scope", "audience"),
    [
        ("https://management.core.windows.net//.default", "https://management.core.windows.net/"),
        ("https://management.azure.com//.default", "https://management.azure.com/"),
        ("https://management.azure.com/.default", "https://management.azure.com"),
    ],
)
def test_entra_strips_only_slash_default_and_arm_accepts_the_audience(
    emulator: Emulator, scope: str, audience: str
) -> None:
    token = _token(emulator, scope)
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == audience
    resp = requests.get(
        f"{emulator.endpoint}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=str(emulator.ca_path),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text


def test_doubled_slashes_are_served_like_single_ones(emulator: Emulator) -> None:
    verify = str(emulator.ca_path)
    meta = requests.get(f"{emulator.endpoint}//metadata/endpoints?api-version=2022-09-01", verify=verify, timeout=10)
    assert meta.status_code == 200
    assert meta.json()[0]["resourceManager"].startswith(emulator.endpoint)
    headers = {"Authorization": f"Bearer {_token(emulator, 'https://management.azure.com/.default')}"}
    sub = requests.get(
        f"{emulator.endpoint}//subscriptions//{emulator.subscription_id}?api-version=2022-12-01",
        headers=headers,
        verify=verify,
        timeout=10,
    )
    assert sub.status_code == 200, sub.text
    assert sub.json()["subscriptionId"] == emulator.subscription_id


def test_one_deployment_over_the_free_quota_is_insufficient_quota_and_over_the_range_invalid_capacity(
    cs_client: Any, rg: str
) -> None:
    create_account(cs_client, rg, "a1")
    models = [m.model for m in cs_client.models.list("swedencentral") if m.model.name == "gpt-4o"]
    limits = {u.name.value: u.limit for u in cs_client.usages.list("swedencentral")}
    for model in models:
        for sku in model.skus:
            assert sku.capacity.maximum > limits[sku.usage_name], (model.name, model.version, sku.name)
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "big", capacity=int(limits[GLOBAL_GPT4O]) + 1)
    assert exc.value.status_code == 400
    assert exc.value.error.code == "InsufficientQuota"
    assert exc.value.error.message.startswith(
        f"This operation require {int(limits[GLOBAL_GPT4O]) + 1} new capacity in quota Tokens Per Minute "
        "(thousands) - gpt-4o - GlobalStandard, which is bigger than the current available capacity"
    )
    maximum = next(
        s.capacity.maximum for m in models if m.version == "2024-08-06" for s in m.skus if s.name == "GlobalStandard"
    )
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "huge", capacity=maximum + 1)
    assert exc.value.error.code == "InvalidCapacity"


def test_soft_deleted_account_holds_its_deployments_quota_until_purge(
    emulator: Emulator, cs_client: Any, rg: str
) -> None:
    emulator.set_quota(emulator.subscription_id, "swedencentral", GLOBAL_GPT4O, 30)
    create_account(cs_client, rg, "gone")
    create_account(cs_client, rg, "kept")
    deploy(cs_client, rg, "gone", "d1", capacity=20)
    cs_client.accounts.begin_delete(rg, "gone").result()

    usage = {u.name.value: u.current_value for u in cs_client.usages.list("swedencentral")}
    assert usage[GLOBAL_GPT4O] == 20  # still held by the soft-deleted account
    assert usage["OpenAI.S0.AccountCount"] == 1  # the account count is of live accounts
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "kept", "d1", capacity=20)
    assert exc.value.error.code == "InsufficientQuota"
    assert "The current quota usage is 20 and the quota limit is 30" in exc.value.error.message

    cs_client.deleted_accounts.begin_purge("swedencentral", rg, "gone").result()
    assert {u.name.value: u.current_value for u in cs_client.usages.list("swedencentral")}[GLOBAL_GPT4O] == 0
    deploy(cs_client, rg, "kept", "d1", capacity=20)


def test_restoring_a_soft_deleted_account_keeps_counting_its_quota_once(
    emulator: Emulator, cs_client: Any, rg: str
) -> None:
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "d1", capacity=20)
    cs_client.accounts.begin_delete(rg, "a1").result()
    create_account(cs_client, rg, "a1", restore=True)
    usage = {u.name.value: u.current_value for u in cs_client.usages.list("swedencentral")}
    assert usage[GLOBAL_GPT4O] == 20


@pytest.fixture
def gov_emulator(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("REQUESTS_CA_BUNDLE", "AZURE_AUTHORITY_HOST", "AZURE_RESOURCE_MANAGER_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    emu = Emulator(settings=EmulatorSettings(lro_seconds=0.05, retry_after=0, cloud="AzureUSGovernment")).start()
    try:
        yield emu
    finally:
        emu.stop()


def _gov_client(emu: Emulator) -> Any:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    credential = provider_credential(emu)
    gov = KNOWN_CLOUDS["AzureUSGovernment"]
    return CognitiveServicesManagementClient(
        credential,
        emu.subscription_id,
        base_url=emu.endpoint,
        credential_scopes=[gov.arm_scope],
        connection_verify=str(emu.ca_path),
        polling_interval=0.05,
    )


def test_the_government_emulator_describes_itself_and_offers_fewer_models_and_regions(gov_emulator: Emulator) -> None:
    verify = str(gov_emulator.ca_path)
    meta = requests.get(f"{gov_emulator.endpoint}/metadata/endpoints?api-version=2022-09-01", verify=verify, timeout=10)
    entry = meta.json()[0]
    assert entry["name"] == "AzureUSGovernment"
    assert entry["authentication"]["audiences"][0] == "https://management.core.usgovcloudapi.net/"

    client = _gov_client(gov_emulator)
    arizona = {(m.model.name, m.model.version) for m in client.models.list("usgovarizona")}
    virginia = {(m.model.name, m.model.version) for m in client.models.list("usgovvirginia")}
    public = {(m.model.name, m.model.version) for m in client.models.list("swedencentral")}
    assert ("gpt-4o-mini", "2024-07-18") in arizona
    assert ("gpt-4o-mini", "2024-07-18") not in virginia  # Learn's table: not in usgovvirginia
    assert ("gpt-4.1", "2025-04-14") not in arizona | virginia
    assert arizona
    assert len(arizona) < len(public)
    skus = {s.name for m in client.models.list("usgovarizona") for s in m.model.skus}
    assert skus <= {"Standard", "DataZoneStandard"}

    rg = "rg1"
    requests.put(
        f"{gov_emulator.endpoint}/subscriptions/{gov_emulator.subscription_id}/resourcegroups/{rg}"
        "?api-version=2022-09-01",
        json={"location": "usgovarizona"},
        headers={"Authorization": f"Bearer {_token(gov_emulator, KNOWN_CLOUDS['AzureUSGovernment'].arm_scope)}"},
        verify=verify,
        timeout=10,
    ).raise_for_status()
    account = create_account(client, rg, "a1", location="usgovarizona", subdomain="a1-gov")
    assert account.properties.endpoint == "https://a1-gov.openai.azure.us/"
    deploy(client, rg, "a1", "chat", model="gpt-4o-mini", version="2024-07-18", sku="Standard")
    with pytest.raises(HttpResponseError) as exc:
        create_account(client, rg, "a2", location="swedencentral")
    assert exc.value.error.code == "LocationNotAvailableForResourceType"


def test_a_public_cloud_token_is_refused_by_the_government_emulator(gov_emulator: Emulator) -> None:
    token = _token(gov_emulator, "https://management.core.windows.net//.default")
    resp = requests.get(
        f"{gov_emulator.endpoint}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=str(gov_emulator.ca_path),
        timeout=10,
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "https://management.core.usgovcloudapi.net/" in resp.json()["error"]["message"]
