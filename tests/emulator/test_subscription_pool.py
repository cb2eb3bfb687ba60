"""A pool of subscriptions in the emulator: listed to the provider, each with its own account limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tenantctl.emulator import Emulator

from .helpers import arm, create_account, provider_credential


def test_ensure_subscriptions_gives_the_provider_a_stable_pool(emulator: Emulator) -> None:
    pool = emulator.ensure_subscriptions(3)
    assert pool[0] == emulator.subscription_id
    assert len(set(pool)) == 3
    assert emulator.ensure_subscriptions(3) == pool  # the same state offers the same pool
    assert emulator.connection_info()["subscriptions"] == pool
    # azure-mgmt-resource 26 has no SubscriptionClient: the list is read as Azure CLI does, GET /subscriptions.
    listed = arm(emulator, "GET", "/subscriptions").json()["value"]
    assert sorted(s["subscriptionId"] for s in listed) == sorted(pool)


def test_the_account_limit_is_per_subscription(emulator: Emulator, make_cs_client: Callable[..., Any]) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    first, second = emulator.ensure_subscriptions(2)
    for sub in (first, second):
        emulator.set_quota(sub, "swedencentral", "OpenAI.S0.AccountCount", 1)
        ResourceManagementClient(
            provider_credential(emulator),
            sub,
            base_url=emulator.endpoint,
            credential_scopes=["https://management.azure.com/.default"],
            connection_verify=str(emulator.ca_path),
        ).resource_groups.create_or_update("rg", {"location": "swedencentral"})
    one, two = make_cs_client(subscription_id=first), make_cs_client(subscription_id=second)
    create_account(one, "rg", "acct-a", subdomain="acct-a")
    with pytest.raises(HttpResponseError) as full:
        create_account(one, "rg", "acct-b", subdomain="acct-b")
    assert first in str(full.value)
    create_account(two, "rg", "acct-b", subdomain="acct-b")  # the other subscription still has room
