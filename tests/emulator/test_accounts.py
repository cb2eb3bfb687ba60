"""Accounts: soft delete, FlagMustBeSetForRestore, purge, restore, CustomDomainInUse, updates."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from tenantctl.emulator import Emulator
from tests.emulator.helpers import account_body, create_account, deploy


def test_soft_delete_flag_must_be_set_purge_recreate(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1", subdomain="a1-dom")
    cs_client.accounts.begin_delete(rg, "a1").result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.accounts.get(rg, "a1")
    deleted = cs_client.deleted_accounts.get("swedencentral", rg, "a1")
    assert deleted.id == (
        f"/subscriptions/{emulator.subscription_id}/providers/Microsoft.CognitiveServices/"
        f"locations/swedencentral/resourceGroups/{rg}/deletedAccounts/a1"
    )
    assert deleted.properties.deletion_date
    assert deleted.properties.scheduled_purge_date
    with pytest.raises(ResourceExistsError) as exc:
        create_account(cs_client, rg, "a1", subdomain="a1-dom")
    assert exc.value.error.code == "FlagMustBeSetForRestore"
    assert exc.value.error.message == (
        f"An existing resource with ID '/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.CognitiveServices/accounts/a1' has been soft-deleted. To restore the resource, you must specify "
        "'restore' to be 'true' in the property. If you don't want to restore existing resource, please purge it "
        "first."
    )
    cs_client.deleted_accounts.begin_purge("swedencentral", rg, "a1").result()
    assert list(cs_client.deleted_accounts.list()) == []
    assert create_account(cs_client, rg, "a1", subdomain="a1-dom").properties.provisioning_state == "Succeeded"


def test_restore_brings_back_deployments(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "d1", capacity=3)
    cs_client.accounts.begin_delete(rg, "a1").result()
    restored = cs_client.accounts.begin_create(rg, "a1", account_body(restore=True)).result()
    assert restored.properties.provisioning_state == "Succeeded"
    assert [d.name for d in cs_client.deployments.list(rg, "a1")] == ["d1"]
    assert list(cs_client.deleted_accounts.list()) == []


def test_custom_domain_is_global_and_held_by_deleted_accounts(
    emulator: Emulator, cs_client: Any, make_cs_client: Any, resource_client: Any, rg: str
) -> None:
    create_account(cs_client, rg, "a1", subdomain="shared-name")
    other_sub = emulator.add_subscription(directory=emulator.home_directory)
    emulator.assign_role(f"/subscriptions/{other_sub}", emulator.provider.object_id, "Owner")
    other = make_cs_client(subscription_id=other_sub)
    from azure.mgmt.resource.resources import ResourceManagementClient

    rc = ResourceManagementClient(
        resource_client._config.credential,
        other_sub,
        base_url=emulator.endpoint,
        connection_verify=str(emulator.ca_path),
    )
    rc.resource_groups.create_or_update("rg2", {"location": "westeurope"})
    with pytest.raises(ResourceExistsError) as exc:
        create_account(other, "rg2", "b1", location="westeurope", subdomain="shared-name")
    assert exc.value.error.code == "CustomDomainInUse"
    assert exc.value.error.message.startswith(
        "Please pick a different name. The subdomain name 'shared-name' is "
        "not available as it's already used by a resource."
    )
    assert (
        cs_client.check_domain_availability(
            "shared-name", "Microsoft.CognitiveServices/accounts"
        ).is_subdomain_available
        is False
    )
    cs_client.accounts.begin_delete(rg, "a1").result()
    with pytest.raises(ResourceExistsError):  # still held while soft-deleted
        create_account(other, "rg2", "b1", location="westeurope", subdomain="shared-name")
    cs_client.deleted_accounts.begin_purge("swedencentral", rg, "a1").result()
    assert (
        cs_client.check_domain_availability(
            "shared-name", "Microsoft.CognitiveServices/accounts"
        ).is_subdomain_available
        is True
    )
    create_account(other, "rg2", "b1", location="westeurope", subdomain="shared-name")


def test_patch_identity_network_and_lists(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1", subdomain="a1x", disable_local_auth=True, public_network_access="Disabled")
    updated = cs_client.accounts.begin_update(
        rg,
        "a1",
        {
            "tags": {"tier": "gold"},
            "identity": {"type": "SystemAssigned"},
            "properties": {"networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "1.2.3.4"}]}},
        },
    ).result()
    assert updated.tags == {"tier": "gold"}
    assert updated.identity.principal_id
    assert updated.properties.network_acls.default_action == "Deny"
    assert updated.properties.disable_local_auth is True
    assert updated.properties.public_network_access == "Disabled"
    create_account(cs_client, rg, "a2", location="eastus")
    assert sorted(a.name for a in cs_client.accounts.list()) == ["a1", "a2"]
    assert sorted(a.name for a in cs_client.accounts.list_by_resource_group(rg)) == ["a1", "a2"]


def test_soft_delete_hold_expires(emulator: Emulator, cs_client: Any, rg: str) -> None:
    emulator.settings.soft_delete_hours = 0.0
    create_account(cs_client, rg, "a1", subdomain="gone-soon")
    cs_client.accounts.begin_delete(rg, "a1").result()
    assert list(cs_client.deleted_accounts.list()) == []
    create_account(cs_client, rg, "a1", subdomain="gone-soon")


def test_catalogue_models_and_capacities(cs_client: Any) -> None:
    models = list(cs_client.models.list("swedencentral"))
    names = {(m.model.name, m.model.version) for m in models}
    assert ("gpt-4o", "2024-11-20") in names
    assert ("gpt-35-turbo", "0125") in names
    legacy = next(m for m in models if m.model.name == "gpt-35-turbo")
    assert legacy.model.deprecation.inference < "2027-01-22"
    skus = {
        s.name: s for m in models if m.model.name == "gpt-4o" and m.model.version == "2024-08-06" for s in m.model.skus
    }
    assert skus["GlobalStandard"].usage_name == "OpenAI.GlobalStandard.gpt-4o"
    assert "DataZoneStandard" not in {s.name for m in cs_client.models.list("japaneast") for s in m.model.skus}
    caps = list(cs_client.location_based_model_capacities.list("swedencentral", "OpenAI", "gpt-4o", "2024-08-06"))
    assert {c.properties.sku_name for c in caps} >= {"GlobalStandard", "Standard"}
    everywhere = list(cs_client.model_capacities.list("OpenAI", "gpt-4o-mini", "2024-07-18"))
    assert len({c.location for c in everywhere}) >= 13
