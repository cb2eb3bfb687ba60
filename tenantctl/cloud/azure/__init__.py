"""The Azure adapter of the cloud port: the only code that imports ``azure.*``.

Importing this package is cheap. The SDKs load when a connect function is *called* (or
``AzureCloud`` is first touched), so ``tenantctl --help`` never pays for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantctl.cloud.azure.adapter import AzureCloud
    from tenantctl.clouds import CloudDefinition
    from tenantctl.emulator import Emulator

__all__ = ["AzureCloud", "connect_azure", "connect_emulator", "read_cloud_metadata"]


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
) -> AzureCloud:
    """Adapter for Azure; default cloud = the environment's (AZURE_RESOURCE_MANAGER_ENDPOINT) else AzureCloud;
    default credential = DefaultAzureCredential without the browser prompt, at that cloud's Entra host."""
    from tenantctl.cloud.azure.connect import connect_azure as connect

    return connect(
        credential=credential,
        cloud=cloud,
        arm_endpoint=arm_endpoint,
        polling_interval=polling_interval,
        ca_path=ca_path,
        max_attempts=max_attempts,
        backoff_initial=backoff_initial,
        backoff_cap=backoff_cap,
    )


def connect_emulator(
    emulator: Emulator,
    *,
    polling_interval: float = 0.1,
    max_attempts: int = 8,
    backoff_initial: float = 0.05,
    backoff_cap: float = 2.0,
) -> AzureCloud:
    """Adapter for the local emulator, signed in as its provider service principal over HTTPS."""
    from tenantctl.cloud.azure.connect import connect_emulator as connect

    return connect(
        emulator,
        polling_interval=polling_interval,
        max_attempts=max_attempts,
        backoff_initial=backoff_initial,
        backoff_cap=backoff_cap,
    )


def read_cloud_metadata(url: str) -> Any:
    """A custom cloud's ARM metadata document (``/metadata/endpoints``); a clear error when unreadable."""
    from tenantctl.cloud.azure.cloud_metadata import read_metadata

    return read_metadata(url)


def __getattr__(name: str) -> Any:
    if name == "AzureCloud":
        from tenantctl.cloud.azure.adapter import AzureCloud

        return AzureCloud
    raise AttributeError(name)
