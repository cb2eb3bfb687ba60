"""Build an :class:`AzureCloud` for real Azure (any cloud) or for the local emulator."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.cloud.azure.adapter import AzureCloud
from tenantctl.cloud.azure.clients import ClientConfig, ClientFactory
from tenantctl.cloud.azure.cloud_metadata import read_metadata
from tenantctl.cloud.azure.credentials import default_credential, emulator_credential
from tenantctl.cloud.azure.retry import RetryPolicy
from tenantctl.clouds import KNOWN_CLOUDS, CloudDefinition, resolve_cloud

if TYPE_CHECKING:
    from tenantctl.emulator import Emulator

__all__ = ["connect_azure", "connect_emulator", "resolve_session_cloud"]


def resolve_session_cloud(name: str | None = None) -> CloudDefinition:
    """The cloud named (default AzureCloud), unless ``AZURE_RESOURCE_MANAGER_ENDPOINT`` points elsewhere:
    then the cloud that endpoint's ARM metadata describes (what ``tenantctl emulator serve`` prints)."""
    return resolve_cloud(name, os.environ, read_metadata)


def connect_azure(
    *,
    credential: Any = None,
    cloud: CloudDefinition | None = None,
    arm_endpoint: str | None = None,
    polling_interval: float = 5.0,
    ca_path: str | Path | None = None,
    max_attempts: int = 8,
    backoff_initial: float = 1.0,
    backoff_cap: float = 30.0,
    verify_vault_challenge: bool = True,
    monitor_endpoint: str | None = None,
) -> AzureCloud:
    """An adapter for one Azure cloud (default: the environment's, see :func:`resolve_session_cloud`).

    Only a custom cloud's metadata is read here; no ARM request is sent until the first call.
    ``monitor_endpoint`` serves both Azure Monitor data planes (metrics:getBatch and Log Analytics)
    instead of Azure's regional / global hosts: the emulator answers all of them on one host.
    """
    cloud = cloud if cloud is not None else resolve_session_cloud()
    if credential is None:
        # msal vets an authority it does not know with login.microsoftonline.com ("instance discovery"); a
        # custom cloud's sign-in host (Azure Stack, the emulator) is not in that list and would be refused.
        custom = all(cloud.authority_host != known.authority_host for known in KNOWN_CLOUDS.values())
        credential = default_credential(authority=cloud.authority_host, disable_instance_discovery=custom)
    config = ClientConfig(
        arm_endpoint=arm_endpoint or cloud.resource_manager,
        polling_interval=polling_interval,
        ca_path=str(ca_path) if ca_path is not None else None,
        credential_scope=cloud.arm_scope,
        verify_vault_challenge=verify_vault_challenge,
    )
    if monitor_endpoint is not None:
        config = replace(config, metrics_endpoint=monitor_endpoint, logs_endpoint=monitor_endpoint)
    factory = ClientFactory(credential, config)
    return AzureCloud(factory, RetryPolicy(max_attempts=max_attempts, initial=backoff_initial, cap=backoff_cap))


def connect_emulator(
    emulator: Emulator,
    *,
    polling_interval: float = 0.1,
    max_attempts: int = 8,
    backoff_initial: float = 0.05,
    backoff_cap: float = 2.0,
) -> AzureCloud:
    """An adapter signed in to the emulator as its provider service principal, over HTTPS.

    The sign-in is a real ``ClientSecretCredential`` against the emulator's Entra endpoint, so the
    token flow is the one production uses; only the hosts and the CA differ. Backoff is shorter
    than for Azure so fault tests stay fast; Retry-After from the emulator is still honoured.
    """
    provider = emulator.provider
    endpoint = str(emulator.endpoint).rstrip("/")
    credential = emulator_credential(
        directory=provider.directory,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        authority=endpoint,
        ca_path=emulator.ca_path,
    )
    emulated = KNOWN_CLOUDS.get(emulator.settings.cloud, KNOWN_CLOUDS["AzureCloud"])
    return connect_azure(
        credential=credential,
        # The emulated cloud's audience, at the emulator's hosts (the environment is not consulted).
        cloud=replace(emulated, resource_manager=endpoint, authority_host=endpoint),
        arm_endpoint=endpoint,
        polling_interval=polling_interval,
        ca_path=emulator.ca_path,
        max_attempts=max_attempts,
        backoff_initial=backoff_initial,
        backoff_cap=backoff_cap,
        verify_vault_challenge=False,  # emulated vaults live at https://127.0.0.1:{port}/ (emulator README)
        monitor_endpoint=endpoint,
    )
