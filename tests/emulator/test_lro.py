"""LRO behaviour through the real SDK pollers, and the one-write-in-flight rule."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError

from tenantctl.emulator import Emulator, FaultSettings
from tests.emulator.helpers import account_body, arm, create_account, deploy, deployment_body, raw_token


def test_account_create_is_async_operation_then_succeeded(emulator: Emulator, cs_client: Any, rg: str) -> None:
    poller = cs_client.accounts.begin_create(rg, "a1", account_body(subdomain="a1-sub"))
    initial = poller.polling_method()._initial_response.http_response
    assert initial.status_code == 201
    assert "/operationResults/" in initial.headers["Azure-AsyncOperation"]
    assert initial.headers["Azure-AsyncOperation"].startswith(emulator.endpoint)
    assert poller.polling_method()._initial_response.http_response.json()["properties"]["provisioningState"] == (
        "Creating"
    )
    acct = poller.result()
    assert acct.properties.provisioning_state == "Succeeded"
    assert acct.properties.endpoint == "https://a1-sub.openai.azure.com/"
    assert acct.properties.date_created
    assert acct.properties.internal_id
    assert emulator.request_counts()["lro.poll"] >= 1


def test_deployment_patch_uses_location_monitor(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "d1", capacity=5)
    poller = cs_client.deployments.begin_update(rg, "a1", "d1", {"sku": {"name": "GlobalStandard", "capacity": 7}})
    initial = poller.polling_method()._initial_response.http_response
    assert initial.status_code == 202
    assert "Location" in initial.headers
    result = poller.result()
    assert result.sku.capacity == 7
    assert result.properties.current_capacity == 7


def test_failed_lro_raises_with_error_code(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    emulator.set_faults(FaultSettings(lro_fail_rate=1.0, seed=1))
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d1")
    assert exc.value.error.code == "InternalServerError"
    emulator.set_faults(None)
    assert cs_client.deployments.get(rg, "a1", "d1").properties.provisioning_state == "Failed"


def test_second_write_while_in_flight_is_request_conflict(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    emulator.settings.lro_seconds = 2.0
    cs_client.deployments.begin_create_or_update(rg, "a1", "d1", deployment_body())  # not awaited
    with pytest.raises(ResourceExistsError) as exc:
        cs_client.deployments.begin_create_or_update(rg, "a1", "d2", deployment_body())
    assert exc.value.error.code == "RequestConflict"
    assert exc.value.error.message == (
        "Another operation is being performed on the parent resource "
        f"'/subscriptions/{emulator.subscription_id}/resourceGroups/rg-test/providers/"
        "Microsoft.CognitiveServices/accounts/a1'. Please try again later."
    )
    raw = arm(
        emulator,
        "DELETE",
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.CognitiveServices/accounts/a1",
    )
    assert raw.status_code == 409
    assert "Retry-After" not in raw.headers  # the SDK would silently retry a 409 that carried one
    assert raw.headers["Content-Type"].startswith("application/json")
    emulator.settings.lro_seconds = 0.05


def test_states_settle_lazily_from_timestamps(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.settings.lro_seconds = 1.0  # generous: a loaded CI machine must still see "Creating" first
    cs_client.accounts.begin_create(rg, "a1", account_body())
    # Timed from the PUT's answer, not before it: the write started before that (a loaded machine may take
    # well over 50 ms to sign in and send the PUT), so 1.05 s later it has surely settled.
    started = time.monotonic()
    assert cs_client.accounts.get(rg, "a1").properties.provisioning_state == "Creating"
    time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))
    assert cs_client.accounts.get(rg, "a1").properties.provisioning_state == "Succeeded"


def test_resource_group_lifecycle(resource_client: Any, cs_client: Any) -> None:
    assert resource_client.resource_groups.check_existence("rg-x") is False
    created = resource_client.resource_groups.create_or_update("rg-x", {"location": "westeurope", "tags": {"a": "b"}})
    assert created.id.endswith("/resourceGroups/rg-x")
    assert resource_client.resource_groups.check_existence("RG-X") is True
    assert [g.name for g in resource_client.resource_groups.list()] == ["rg-x"]
    create_account(cs_client, "rg-x", "inside")
    resource_client.resource_groups.begin_delete("rg-x").result()
    assert resource_client.resource_groups.check_existence("rg-x") is False
    assert [d.name for d in cs_client.deleted_accounts.list()] == ["inside"]


def test_retry_after_on_lro_answers_per_settings(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.settings.retry_after = 1
    emulator.settings.lro_seconds = 5.0
    base = f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices"
    put = arm(
        emulator, "PUT", base + "/accounts/a1", json={"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"}}
    )
    assert put.status_code == 201
    assert put.headers["Retry-After"] == "1"
    poll = requests.get(
        put.headers["Azure-AsyncOperation"],
        headers={"Authorization": put.request.headers["Authorization"]},
        verify=str(emulator.ca_path),
        timeout=5,
    )
    assert poll.json()["status"] == "Creating"
    assert poll.headers["Retry-After"] == "1"
    emulator.settings.retry_after = 0
    emulator.settings.lro_seconds = 0.05


def test_failed_location_lro_raises(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "d1", capacity=5)
    emulator.set_faults(FaultSettings(lro_fail_rate=1.0, methods=("PATCH",)))
    with pytest.raises(HttpResponseError) as exc:
        cs_client.deployments.begin_update(rg, "a1", "d1", {"sku": {"name": "GlobalStandard", "capacity": 6}}).result()
    assert exc.value.error.code == "InternalServerError"


def test_concurrent_writes_on_one_account_one_wins(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    emulator.settings.lro_seconds = 1.0
    token = raw_token(emulator)
    base = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.CognitiveServices/accounts/a1/deployments"
    )
    body = deployment_body().serialize()

    def put(i: int) -> int:
        return arm(emulator, "PUT", f"{base}/d{i}", token, json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(put, range(8)))
    assert sorted(statuses) == [201] + [409] * 7
    emulator.settings.lro_seconds = 0.05
