"""Error answers arrive as the right azure-core exceptions with the right ``exc.error.code``."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from tenantctl.emulator import Emulator, FaultSettings
from tests.emulator.helpers import arm, create_account, deploy


def test_404_codes(cs_client: Any, rg: str) -> None:
    with pytest.raises(ResourceNotFoundError) as exc:
        cs_client.accounts.get(rg, "nope")
    assert exc.value.error.code == "ResourceNotFound"
    create_account(cs_client, rg, "a1")
    with pytest.raises(ResourceNotFoundError) as exc:
        cs_client.deployments.get(rg, "a1", "nope")
    assert exc.value.error.code == "DeploymentNotFound"
    with pytest.raises(ResourceNotFoundError) as exc:
        cs_client.accounts.get("no-rg", "a1")
    assert exc.value.error.code == "ResourceNotFound"


def test_unknown_model_and_bad_capacity_are_400(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d1", version="1999-01-01")
    assert exc.value.status_code == 400
    assert exc.value.error.code == "DeploymentModelNotSupported"
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d1", model="gpt-4.1", version="2025-04-14", sku="Standard")
    assert exc.value.error.code == "InvalidResourceProperties"
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d1", sku="ProvisionedManaged", capacity=20)
    assert exc.value.error.code == "InvalidCapacity"


def test_insufficient_quota_and_usages(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.set_quota(emulator.subscription_id, "swedencentral", "OpenAI.GlobalStandard.gpt-4o", 30)
    create_account(cs_client, rg, "a1")
    create_account(cs_client, rg, "a2")
    deploy(cs_client, rg, "a1", "d1", capacity=20)
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a2", "d1", capacity=20)
    assert exc.value.status_code == 400
    assert exc.value.error.code == "InsufficientQuota"
    assert exc.value.error.message == (
        "This operation require 20 new capacity in quota Tokens Per Minute (thousands) - gpt-4o - GlobalStandard, "
        "which is bigger than the current available capacity 10. The current quota usage is 20 and the quota "
        "limit is 30 for quota Tokens Per Minute (thousands) - gpt-4o - GlobalStandard."
    )
    deploy(cs_client, rg, "a2", "d1", capacity=10)  # exactly fits
    usage = {u.name.value: u for u in cs_client.usages.list("swedencentral")}
    assert usage["OpenAI.GlobalStandard.gpt-4o"].current_value == 30
    assert usage["OpenAI.GlobalStandard.gpt-4o"].limit == 30
    assert usage["OpenAI.S0.AccountCount"].current_value == 2
    # Growing an existing deployment counts only the increase; other regions are untouched.
    with pytest.raises(HttpResponseError) as exc:
        cs_client.deployments.begin_update(rg, "a1", "d1", {"sku": {"name": "GlobalStandard", "capacity": 21}})
    assert exc.value.error.code == "InsufficientQuota"
    assert {u.name.value: u for u in cs_client.usages.list("westeurope")}["OpenAI.GlobalStandard.gpt-4o"].limit == 1000


def test_32_deployments_per_account(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    emulator.settings.lro_seconds = 0.0
    for i in range(32):
        deploy(cs_client, rg, "a1", f"d{i:02}", capacity=1)
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d32", capacity=1)
    assert exc.value.error.code == "DeploymentCountExceeded"
    deploy(cs_client, rg, "a1", "d00", capacity=2)  # replacing an existing one is still fine


def test_30_openai_accounts_per_region(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.set_quota(emulator.subscription_id, "swedencentral", "OpenAI.S0.AccountCount", 2)
    create_account(cs_client, rg, "a1")
    create_account(cs_client, rg, "a2")
    with pytest.raises(HttpResponseError) as exc:
        create_account(cs_client, rg, "a3")
    assert exc.value.error.code == "QuotaExceeded"
    create_account(cs_client, rg, "a3", location="westeurope")


def test_injected_429_carries_retry_after(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.set_faults(FaultSettings(rate_429=1.0, methods=("GET",), retry_after=7, seed=3))
    with pytest.raises(HttpResponseError) as exc:
        cs_client.accounts.get(rg, "a1")
    assert exc.value.status_code == 429
    assert exc.value.error.code == "TooManyRequests"
    assert exc.value.response.headers["Retry-After"] == "7"
    emulator.set_faults(None)
    create_account(cs_client, rg, "a1")


def test_faults_hit_only_listed_verbs(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.set_faults(FaultSettings(rate_5xx=1.0, methods=("PUT",), seed=4))
    assert list(cs_client.accounts.list_by_resource_group(rg)) == []
    with pytest.raises(HttpResponseError) as exc:
        create_account(cs_client, rg, "a1")
    assert exc.value.status_code in (500, 503)
    assert exc.value.error.code in ("InternalServerError", "ServiceUnavailable")


def test_dropped_connection_has_no_answer(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.set_faults(FaultSettings(drop_rate=1.0, methods=("GET",), seed=5))
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        cs_client.accounts.get(rg, "a1")
    emulator.set_faults(None)
    assert list(cs_client.accounts.list_by_resource_group(rg)) == []


def test_arm_throttling_token_bucket(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.settings.throttle = True
    path = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts"
    )
    from tests.emulator.helpers import raw_token

    token = raw_token(emulator)
    session = requests.Session()
    session.verify = str(emulator.ca_path)
    session.headers["Authorization"] = f"Bearer {token}"
    url = f"{emulator.endpoint}{path}?api-version=2025-09-01"
    first = session.get(url, timeout=10)
    assert first.status_code == 200
    assert int(first.headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
    throttled = None
    for _ in range(3000):  # 250 burst, refill 25/s: a loaded machine needs more than 250 requests
        r = session.get(url, timeout=10)
        if r.status_code == 429:
            throttled = r
            break
    assert throttled is not None
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert int(throttled.headers["Retry-After"]) >= 1
    time.sleep(0.1)


def test_paging_follows_next_link(emulator: Emulator, resource_client: Any) -> None:
    emulator.settings.page_size = 2
    for i in range(5):
        resource_client.resource_groups.create_or_update(f"rg{i}", {"location": "eastus"})
    emulator.reset_counts()
    assert sorted(g.name for g in resource_client.resource_groups.list()) == [f"rg{i}" for i in range(5)]
    assert emulator.request_counts()["resource_groups.list"] == 3
    first = arm(emulator, "GET", f"/subscriptions/{emulator.subscription_id}/resourcegroups").json()
    assert first["nextLink"].startswith(emulator.endpoint)


def test_unknown_api_version_accepted_and_case_insensitive(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "A1")
    r = arm(
        emulator,
        "GET",
        f"/SUBSCRIPTIONS/{emulator.subscription_id}/resourcegroups/RG-TEST/providers/"
        "microsoft.cognitiveservices/accounts/a1?api-version=2099-01-01",
    )
    assert r.status_code == 200
    assert r.json()["id"] == (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-test/providers/"
        "Microsoft.CognitiveServices/accounts/A1"
    )
    assert r.headers["x-ms-request-id"]


def test_ptu_quota_is_one_pool_per_deployment_type_whatever_the_model(
    emulator: Emulator, cs_client: Any, rg: str
) -> None:
    """Provisioned quota is model-independent (Learn, "What is provisioned throughput?"): a gpt-4o and a
    gpt-4.1 global provisioned deployment draw from OpenAI.GlobalProvisionedManaged together."""
    emulator.set_quota(emulator.subscription_id, "swedencentral", "OpenAI.GlobalProvisionedManaged", 30)
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "old", sku="GlobalProvisionedManaged", capacity=15, version="2024-11-20")
    with pytest.raises(HttpResponseError) as exc:
        deploy(
            cs_client,
            rg,
            "a1",
            "new",
            model="gpt-4.1",
            version="2025-04-14",
            sku="GlobalProvisionedManaged",
            capacity=20,
        )
    assert exc.value.error.code == "InsufficientQuota"
    assert "Global Provisioned Managed Throughput Unit" in exc.value.error.message
    deploy(
        cs_client, rg, "a1", "new", model="gpt-4.1", version="2025-04-14", sku="GlobalProvisionedManaged", capacity=15
    )
    usage = {u.name.value: u for u in cs_client.usages.list("swedencentral")}
    assert usage["OpenAI.GlobalProvisionedManaged"].current_value == 30
    assert not [n for n in usage if n.startswith("OpenAI.GlobalProvisionedManaged.")]
    assert usage["OpenAI.ProvisionedManaged"].name.localized_value == "Regional Provisioned Managed Throughput Unit"
    models = cs_client.models.list("swedencentral")
    ptu = {s.usage_name for m in models for s in (m.model.skus or []) if s.name == "GlobalProvisionedManaged"}
    assert ptu == {"OpenAI.GlobalProvisionedManaged"}
