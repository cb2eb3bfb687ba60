"""Fixtures for the adapter's integration tests: the REAL SDK clients over HTTPS against the emulator.

Every test works in its own resource group with unique account names and subdomains, so tests share
one emulator per xdist worker without seeing each other. Faults and settings are reset after each
test because they are global to an emulator.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import FaultSettings
from tenantctl.resources import Account, AccountRef, Deployment, ResourceGroup

LOCATION = "swedencentral"
MODEL, VERSION, SKU = "gpt-4o-mini", "2024-07-18", "GlobalStandard"


@pytest.fixture
def fast_emulator(emulator: Any) -> Iterator[Any]:
    """The shared emulator with short LROs and no Retry-After on polls (so 0.1 s polling applies)."""
    saved = replace(emulator.settings)
    emulator.settings.lro_seconds = 0.2
    emulator.settings.retry_after = 0
    emulator.settings.latency_ms = 0.0
    emulator.settings.throttle = False
    emulator.set_faults(FaultSettings())
    yield emulator
    emulator.set_faults(FaultSettings())
    for name, value in vars(saved).items():
        setattr(emulator.settings, name, value)


@pytest.fixture
def cloud(fast_emulator: Any) -> Iterator[AzureCloud]:
    adapter = connect_emulator(fast_emulator)
    yield adapter
    adapter.close()


@pytest.fixture
def subscription(fast_emulator: Any) -> str:
    return str(fast_emulator.subscription_id)


@pytest.fixture
def group(cloud: AzureCloud, subscription: str) -> str:
    name = f"rg-{uuid.uuid4().hex[:10]}"
    cloud.ensure_resource_group(ResourceGroup(subscription, name, LOCATION, {"purpose": "test"}))
    return name


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def new_account(cloud: AzureCloud, subscription: str, group: str) -> Callable[..., Account]:
    """Create an account in the test's group; keyword arguments override record fields."""

    def make(**overrides: Any) -> Account:
        name = overrides.pop("name", unique("acct"))
        record = Account(
            ref=AccountRef(subscription, group, name),
            location=LOCATION,
            custom_subdomain=overrides.pop("custom_subdomain", unique("sub")),
            tags={"tenant": name},
            **overrides,
        )
        return cloud.put_account(record)

    return make


def deployment(account: AccountRef, name: str = "chat", capacity: int = 10, **overrides: Any) -> Deployment:
    fields: dict[str, Any] = {"model": MODEL, "version": VERSION, "sku": SKU, "capacity": capacity}
    fields.update(overrides)
    return Deployment(account=account, name=name, **fields)
