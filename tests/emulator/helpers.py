"""Small builders shared by the emulator conformance tests."""

from __future__ import annotations

from typing import Any

import requests
from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    Sku,
)

from tenantctl.emulator import Emulator, ServicePrincipal


def account_body(location: str = "swedencentral", subdomain: str | None = None, **props: Any) -> Account:
    return Account(
        location=location,
        kind="OpenAI",
        sku=Sku(name="S0"),
        tags={"tenant": "t1"},
        properties=AccountProperties(custom_sub_domain_name=subdomain, **props),
    )


def create_account(client: Any, rg: str, name: str, **kw: Any) -> Any:
    return client.accounts.begin_create(rg, name, account_body(**kw)).result()


def deployment_body(
    model: str = "gpt-4o",
    version: str = "2024-08-06",
    sku: str = "GlobalStandard",
    capacity: int = 10,
    rai: str | None = None,
) -> Deployment:
    return Deployment(
        sku=Sku(name=sku, capacity=capacity),
        properties=DeploymentProperties(
            model=DeploymentModel(format="OpenAI", name=model, version=version), rai_policy_name=rai
        ),
    )


def deploy(client: Any, rg: str, account: str, name: str, **kw: Any) -> Any:
    return client.deployments.begin_create_or_update(rg, account, name, deployment_body(**kw)).result()


def provider_credential(emulator: Emulator) -> Any:
    """A real ``ClientSecretCredential`` of the emulator's provider service principal, over its CA."""
    from azure.identity import ClientSecretCredential

    sp = emulator.provider
    return ClientSecretCredential(
        sp.directory,
        sp.client_id,
        sp.client_secret,
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )


def raw_token(emulator: Emulator, sp: ServicePrincipal | None = None) -> str:
    sp = sp or emulator.provider
    resp = requests.post(
        f"{emulator.endpoint}/{sp.directory}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sp.client_id,
            "client_secret": sp.client_secret,
            "scope": "https://management.azure.com/.default",
        },
        verify=str(emulator.ca_path),
        timeout=10,
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def arm(emulator: Emulator, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
    """A raw ARM request (to look at headers the SDK hides)."""
    headers = {"Authorization": f"Bearer {token or raw_token(emulator)}"}
    sep = "&" if "?" in path else "?"
    return requests.request(
        method,
        f"{emulator.endpoint}{path}{sep}api-version=2025-09-01",
        headers=headers,
        verify=str(emulator.ca_path),
        timeout=10,
        **kw,
    )
