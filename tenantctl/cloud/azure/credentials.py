"""Token credentials: the real-Azure default chain and the emulator's service-principal sign-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS

__all__ = ["default_credential", "emulator_credential"]


def default_credential(
    *, authority: str = KNOWN_CLOUDS[DEFAULT_CLOUD].authority_host, disable_instance_discovery: bool = False
) -> Any:
    """``DefaultAzureCredential`` minus the browser prompt, signing in at the cloud's Entra ``authority``.

    The chain covers environment variables, workload identity federation (AKS / GitHub OIDC),
    managed identity, and the Azure CLI / azd / PowerShell sign-ins, so pipelines and laptops both
    work; an interactive browser would hang a CI job, so it is excluded.
    """
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(
        exclude_interactive_browser_credential=True,
        authority=authority,
        disable_instance_discovery=disable_instance_discovery,
    )


def emulator_credential(
    *, directory: str, client_id: str, client_secret: str, authority: str, ca_path: str | Path
) -> Any:
    """A REAL ``ClientSecretCredential`` pointed at the emulator's Entra endpoint.

    ``disable_instance_discovery`` stops msal from asking login.microsoftonline.com whether the
    authority is trusted; ``connection_verify`` is passed per request, so REQUESTS_CA_BUNDLE in the
    environment cannot override it (research/identity.md §0, gotcha 2).
    """
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(
        directory,
        client_id,
        client_secret,
        authority=authority,
        disable_instance_discovery=True,
        connection_verify=str(ca_path),
    )
