"""Deployments are listed as ARM's JSON (tenantctl/cloud/azure/listing.py), not through SDK models:
every page, the same records as a PUT's answer, and ARM's errors as the SDK raises them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.errors import TenantctlError
from tenantctl.resources import Account, AccountRef

from .conftest import deployment


def test_every_page_of_deployments_is_read_and_each_equals_what_its_put_returned(
    cloud: AzureCloud, new_account: Callable[..., Account], fast_emulator: Any
) -> None:
    ref = new_account().ref
    put = [cloud.put_deployment(deployment(ref, name=f"d{i}", capacity=i + 1, tags={"i": str(i)})) for i in range(5)]
    fast_emulator.settings.page_size = 2  # three pages, two nextLinks
    fast_emulator.reset_counts()

    listed = cloud.list_deployments(ref)

    assert sorted(listed, key=lambda d: d.name) == sorted(put, key=lambda d: d.name)
    assert fast_emulator.request_counts()["deployments.list"] == 3


def test_a_subscription_that_does_not_exist_is_an_error_not_an_empty_account(cloud: AzureCloud) -> None:
    ghost = AccountRef(str(uuid.uuid4()), "rg-nowhere", "acct")
    with pytest.raises(TenantctlError) as caught:
        cloud.list_deployments(ghost)
    assert "(SubscriptionNotFound)" in str(caught.value)
    assert ghost.subscription_id in str(caught.value)
