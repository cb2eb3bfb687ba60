"""Build an :class:`AzureCloud` for real Azure or for the local emulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantctl.cloud.azure.adapter import AzureCloud
from tenantctl.cloud.azure.clients import ClientConfig, ClientFactory
from tenantctl.cloud.azure.credentials import default_credential, emulator_credential
from tenantctl.cloud.azure.retry import RetryPolicy

if TYPE_CHECKING:
    from tenantctl.emulator import Emulator

__all__ = ["connect_azure", "connect_emulator"]

ARM_SCOPE = "https://management.azure.com/.default"


def connect_azure(
    *,
    credential: Any = None,
    arm_endpoint: str = "https://management.azure.com",
    polling_interval: float = 5.0,
    ca_path: str | Path | None = None,
    max_attempts: int = 8,
    backoff_initial: float = 1.0,
    backoff_cap: float = 30.0,
    monitor_endpoint: str | None = None,
) -> AzureCloud:
    """An adapter for Azure (or any ARM endpoint). No request is sent until the first call.

    ``monitor_endpoint`` serves both Azure Monitor data planes (metrics:getBatch and Log Analytics)
    instead of Azure's regional / global hosts: the emulator answers all of them on one host."""
    config = ClientConfig(
        arm_endpoint=arm_endpoint,
        polling_interval=polling_interval,
        ca_path=str(ca_path) if ca_path is not None else None,
        credential_scope=ARM_SCOPE,
    )
    if monitor_endpoint is not None:
        config = replace(config, metrics_endpoint=monitor_endpoint, logs_endpoint=monitor_endpoint)
    factory = ClientFactory(credential if credential is not None else default_credential(), config)
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
    return connect_azure(
        credential=credential,
        arm_endpoint=endpoint,
        polling_interval=polling_interval,
        ca_path=emulator.ca_path,
        max_attempts=max_attempts,
        backoff_initial=backoff_initial,
        backoff_cap=backoff_cap,
        monitor_endpoint=endpoint,
    )
