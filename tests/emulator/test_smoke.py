"""Smoke: the real SDKs talk to the emulator over HTTPS."""

from __future__ import annotations

from typing import Any

from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    Sku,
)


def test_account_and_deployment_lifecycle(cs_client: Any, rg: str) -> None:
    acct = cs_client.accounts.begin_create(
        rg,
        "acct1",
        Account(
            location="swedencentral",
            kind="OpenAI",
            sku=Sku(name="S0"),
            properties=AccountProperties(custom_sub_domain_name="acct1-sub"),
        ),
    ).result()
    assert acct.properties.provisioning_state == "Succeeded"
    assert acct.properties.endpoint == "https://acct1-sub.openai.azure.com/"
    dep = cs_client.deployments.begin_create_or_update(
        rg,
        "acct1",
        "gpt4o",
        Deployment(
            sku=Sku(name="GlobalStandard", capacity=10),
            properties=DeploymentProperties(
                model=DeploymentModel(format="OpenAI", name="gpt-4o", version="2024-08-06")
            ),
        ),
    ).result()
    assert dep.properties.provisioning_state == "Succeeded"
    assert [d.name for d in cs_client.deployments.list(rg, "acct1")] == ["gpt4o"]
    upd = cs_client.deployments.begin_update(
        rg, "acct1", "gpt4o", {"sku": {"name": "GlobalStandard", "capacity": 20}}
    ).result()
    assert upd.sku.capacity == 20
    cs_client.deployments.begin_delete(rg, "acct1", "gpt4o").result()
    assert list(cs_client.deployments.list(rg, "acct1")) == []
    cs_client.accounts.begin_delete(rg, "acct1").result()
    assert [a.name for a in cs_client.deleted_accounts.list()] == ["acct1"]
