"""Shared pytest fixtures: the local ARM + Entra emulator and real Azure SDK clients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from tenantctl.emulator import Emulator, EmulatorSettings, ServicePrincipal

# CI explores the same examples on every run (a red build must mean a regression, not a new random
# draw); exploration with fresh randomness happens locally and in `scripts/soak` (10,000 examples).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") and not os.environ.get("TENANTCTL_FUZZ_RANDOM"):
    settings.load_profile("ci")

ARM_SCOPE = "https://management.azure.com/.default"
# Variables that silently re-route or re-verify Azure/msal traffic (research/identity.md §7).
_HOSTILE_ENV = (
    "MSAL_FORCE_REGION",
    "AZURE_REGIONAL_AUTHORITY_NAME",
    "REGION_NAME",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
)


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """tenantctl's local state (the tenant-provided verification cache) per test, never in the real home:
    a cached verdict of one test must not decide another's."""
    monkeypatch.setenv("TENANTCTL_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("TENANTCTL_VERIFY_TTL", raising=False)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A fresh in-memory emulator with fast LROs (0.05 s, no Retry-After)."""
    for name in _HOSTILE_ENV:
        monkeypatch.delenv(name, raising=False)
    emu = Emulator(settings=EmulatorSettings(lro_seconds=0.05, retry_after=0)).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def make_credential(emulator: Emulator) -> Callable[..., Any]:
    """``make_credential(sp=None, directory=None)`` → a ClientSecretCredential at the emulator."""
    from azure.identity import ClientSecretCredential

    def make(sp: ServicePrincipal | None = None, directory: str | None = None) -> Any:
        sp = sp or emulator.provider
        return ClientSecretCredential(
            directory or sp.directory,
            sp.client_id,
            sp.client_secret,
            authority=emulator.endpoint,
            disable_instance_discovery=True,
            connection_verify=str(emulator.ca_path),
        )

    return make


def _client_kwargs(emulator: Emulator) -> dict[str, Any]:
    return {
        "base_url": emulator.endpoint,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": str(emulator.ca_path),
        "polling_interval": 0.05,
        "retry_total": 0,
    }


@pytest.fixture
def make_cs_client(emulator: Emulator, make_credential: Callable[..., Any]) -> Callable[..., Any]:
    """``make_cs_client(sp=None, subscription_id=None, directory=None, **kw)`` → a CS management client."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    def make(
        sp: ServicePrincipal | None = None,
        subscription_id: str | None = None,
        directory: str | None = None,
        **kw: Any,
    ) -> Any:
        return CognitiveServicesManagementClient(
            make_credential(sp, directory),
            subscription_id or emulator.subscription_id,
            **{**_client_kwargs(emulator), **kw},
        )

    return make


@pytest.fixture
def cs_client(make_cs_client: Callable[..., Any]) -> Any:
    """CognitiveServicesManagementClient as the provider (Owner of the default subscription)."""
    return make_cs_client()


@pytest.fixture
def resource_client(emulator: Emulator, make_credential: Callable[..., Any]) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(make_credential(), emulator.subscription_id, **_client_kwargs(emulator))


@pytest.fixture
def make_auth_client(emulator: Emulator, make_credential: Callable[..., Any]) -> Callable[..., Any]:
    from azure.mgmt.authorization import AuthorizationManagementClient

    def make(sp: ServicePrincipal | None = None, subscription_id: str | None = None) -> Any:
        return AuthorizationManagementClient(
            make_credential(sp), subscription_id or emulator.subscription_id, **_client_kwargs(emulator)
        )

    return make


@pytest.fixture
def rg(resource_client: Any) -> str:
    """A resource group ``rg-test`` in swedencentral."""
    resource_client.resource_groups.create_or_update("rg-test", {"location": "swedencentral"})
    return "rg-test"
