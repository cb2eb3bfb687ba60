"""Issue 14 emulation: private endpoints, network/auth account properties, keys, diagnostics, Key Vault.

Every call goes through the real azure-mgmt-network / azure-mgmt-monitor / azure-mgmt-resource /
azure-mgmt-cognitiveservices / azure-keyvault-secrets clients over HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.cognitiveservices.models import Identity, NetworkRuleSet, VirtualNetworkRule
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network import models as nm

from tenantctl.emulator import Emulator
from tests.conftest import ARM_SCOPE
from tests.emulator.helpers import create_account, provider_credential

LOCATION = "swedencentral"
ZONE = "privatelink.openai.azure.com"


@pytest.fixture
def network_client(emulator: Emulator, make_credential: Callable[..., Any]) -> Any:
    return NetworkManagementClient(
        make_credential(),
        emulator.subscription_id,
        base_url=emulator.endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emulator.ca_path),
        polling_interval=0.05,
        retry_total=0,
    )


@pytest.fixture
def monitor_client(emulator: Emulator, make_credential: Callable[..., Any]) -> Any:
    from azure.mgmt.monitor import MonitorManagementClient

    return MonitorManagementClient(
        make_credential(),
        emulator.subscription_id,
        base_url=emulator.endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emulator.ca_path),
        retry_total=0,
    )


def _subnet(network_client: Any, rg: str, location: str = LOCATION, vnet: str = "vnet1") -> Any:
    body = nm.VirtualNetwork(
        location=location,
        address_space=nm.AddressSpace(address_prefixes=["10.1.0.0/16"]),
        subnets=[nm.Subnet(name="pe", address_prefix="10.1.1.0/24")],
    )
    network_client.virtual_networks.begin_create_or_update(rg, vnet, body).result()
    return network_client.subnets.get(rg, vnet, "pe")


def _zone_id(emulator: Emulator, rg: str) -> str:
    return emulator.add_private_dns_zone(emulator.subscription_id, rg, ZONE)


def _endpoint(account_id: str, subnet_id: str, location: str = LOCATION, group: str = "account") -> Any:
    return nm.PrivateEndpoint(
        location=location,
        subnet=nm.Subnet(id=subnet_id),
        private_link_service_connections=[
            nm.PrivateLinkServiceConnection(name="conn", private_link_service_id=account_id, group_ids=[group])
        ],
    )


def test_private_endpoint_connects_the_account_and_carries_a_dns_zone_group(
    emulator: Emulator, cs_client: Any, network_client: Any, rg: str
) -> None:
    account = create_account(cs_client, rg, "pe-acct", subdomain="pe-acct-sub")
    subnet = _subnet(network_client, rg)
    pe = network_client.private_endpoints.begin_create_or_update(rg, "pe1", _endpoint(account.id, subnet.id)).result()
    assert pe.provisioning_state == "Succeeded"
    state = pe.private_link_service_connections[0].private_link_service_connection_state
    assert (state.status, state.description) == ("Approved", "Auto-Approved")
    assert pe.subnet.id.lower() == subnet.id.lower()

    connections = cs_client.accounts.get(rg, "pe-acct").properties.private_endpoint_connections
    assert [c.properties.private_endpoint.id.lower() for c in connections] == [pe.id.lower()]
    assert connections[0].properties.private_link_service_connection_state.status == "Approved"

    zone_id = _zone_id(emulator, rg)
    group = nm.PrivateDnsZoneGroup(
        private_dns_zone_configs=[nm.PrivateDnsZoneConfig(name="openai", private_dns_zone_id=zone_id)]
    )
    made = network_client.private_dns_zone_groups.begin_create_or_update(rg, "pe1", "default", group).result()
    assert made.private_dns_zone_configs[0].private_dns_zone_id == zone_id
    assert [g.name for g in network_client.private_dns_zone_groups.list("pe1", rg)] == ["default"]
    assert [p.name for p in network_client.private_endpoints.list(rg)] == ["pe1"]

    # An account update (full PUT) keeps the connection: it belongs to the endpoint.
    create_account(cs_client, rg, "pe-acct", subdomain="pe-acct-sub")
    assert len(cs_client.accounts.get(rg, "pe-acct").properties.private_endpoint_connections) == 1

    network_client.private_endpoints.begin_delete(rg, "pe1").result()
    assert list(network_client.private_endpoints.list(rg)) == []
    assert cs_client.accounts.get(rg, "pe-acct").properties.private_endpoint_connections == []


def test_private_endpoint_refuses_missing_subnet_other_region_bad_group_and_missing_zone(
    emulator: Emulator, cs_client: Any, network_client: Any, rg: str
) -> None:
    account = create_account(cs_client, rg, "pe-bad", subdomain="pe-bad-sub")
    subnet = _subnet(network_client, rg)
    missing = subnet.id.replace("/subnets/pe", "/subnets/nope")
    with pytest.raises(HttpResponseError) as err:
        network_client.private_endpoints.begin_create_or_update(rg, "x", _endpoint(account.id, missing)).result()
    assert err.value.error.code == "InvalidResourceReference"
    with pytest.raises(HttpResponseError) as err:
        network_client.private_endpoints.begin_create_or_update(
            rg, "x", _endpoint(account.id, subnet.id, location="eastus")
        ).result()
    assert err.value.error.code == "InvalidResourceReference"
    with pytest.raises(HttpResponseError) as err:
        network_client.private_endpoints.begin_create_or_update(
            rg, "x", _endpoint(account.id, subnet.id, group="blob")
        ).result()
    assert err.value.error.code == "PrivateEndpointBadRequest"
    with pytest.raises(HttpResponseError) as err:
        network_client.private_endpoints.begin_create_or_update(rg, "x", _endpoint(account.id, "not-an-id")).result()
    assert err.value.error.code == "LinkedInvalidPropertyId"
    network_client.private_endpoints.begin_create_or_update(rg, "ok", _endpoint(account.id, subnet.id)).result()
    bad_zone = nm.PrivateDnsZoneGroup(
        private_dns_zone_configs=[nm.PrivateDnsZoneConfig(name="z", private_dns_zone_id=_zone_id(emulator, rg) + "x")]
    )
    with pytest.raises(HttpResponseError) as err:
        network_client.private_dns_zone_groups.begin_create_or_update(rg, "ok", "default", bad_zone).result()
    assert err.value.error.code == "InvalidResourceReference"
    assert [p.name for p in network_client.private_endpoints.list(rg)] == ["ok"]


def test_network_auth_and_identity_round_trip(emulator: Emulator, cs_client: Any, network_client: Any, rg: str) -> None:
    subnet = _subnet(network_client, rg)
    rules = NetworkRuleSet(
        default_action="Deny",
        ip_rules=[{"value": "203.0.113.0/24"}],
        virtual_network_rules=[VirtualNetworkRule(id=subnet.id)],
        bypass="AzureServices",
    )
    made = create_account(
        cs_client,
        rg,
        "net-acct",
        subdomain="net-acct-sub",
        public_network_access="Disabled",
        network_acls=rules,
        disable_local_auth=True,
    )
    got = cs_client.accounts.get(rg, "net-acct")
    for account in (made, got):
        acls = account.properties.network_acls
        assert account.properties.public_network_access == "Disabled"
        assert account.properties.disable_local_auth is True
        assert (acls.default_action, acls.bypass) == ("Deny", "AzureServices")
        assert [r.value for r in acls.ip_rules] == ["203.0.113.0/24"]
        assert [r.id for r in acls.virtual_network_rules] == [subnet.id]

    body = cs_client.accounts.get(rg, "net-acct")
    body.identity = Identity(type="SystemAssigned")
    with_identity = cs_client.accounts.begin_create(rg, "net-acct", body).result()
    assert with_identity.identity.type == "SystemAssigned"
    assert with_identity.identity.principal_id
    assert with_identity.identity.tenant_id == emulator.home_directory
    again = cs_client.accounts.begin_create(rg, "net-acct", body).result()
    assert again.identity.principal_id == with_identity.identity.principal_id  # stable across updates


def test_keys_list_regenerate_and_refusal_without_local_auth(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "keys-acct", subdomain="keys-acct-sub", disable_local_auth=False)
    first = cs_client.accounts.list_keys(rg, "keys-acct")
    assert first.key1 != first.key2
    second = cs_client.accounts.regenerate_key(rg, "keys-acct", "Key2")
    assert (second.key1, second.key2 != first.key2) == (first.key1, True)
    assert cs_client.accounts.list_keys(rg, "keys-acct").key2 == second.key2
    # A full PUT (an update) keeps the keys.
    create_account(cs_client, rg, "keys-acct", subdomain="keys-acct-sub", disable_local_auth=False)
    assert cs_client.accounts.list_keys(rg, "keys-acct").key2 == second.key2

    create_account(cs_client, rg, "keys-acct", subdomain="keys-acct-sub", disable_local_auth=True)
    for call in (
        lambda: cs_client.accounts.list_keys(rg, "keys-acct"),
        lambda: cs_client.accounts.regenerate_key(rg, "keys-acct", "Key1"),
    ):
        with pytest.raises(HttpResponseError) as err:
            call()
        assert err.value.error.code == "BadRequest"
        assert "disableLocalAuth is set to be true" in err.value.error.message


def test_diagnostic_settings_extension_resource(
    emulator: Emulator, cs_client: Any, monitor_client: Any, rg: str
) -> None:
    from azure.mgmt.monitor.v2021_05_01_preview.models import DiagnosticSettingsResource, LogSettings, MetricSettings

    account = create_account(cs_client, rg, "diag-acct", subdomain="diag-acct-sub")
    workspace = emulator.add_workspace(emulator.subscription_id, rg, "logs", LOCATION)
    body = DiagnosticSettingsResource(
        workspace_id=workspace,
        logs=[LogSettings(category=c, enabled=True) for c in ("Audit", "RequestResponse", "Trace")],
        metrics=[MetricSettings(category="AllMetrics", enabled=True)],
    )
    made = monitor_client.diagnostic_settings.create_or_update(account.id, "tenantctl", body)
    assert made.workspace_id == workspace
    got = monitor_client.diagnostic_settings.get(account.id, "tenantctl")
    assert [entry.category for entry in got.logs] == ["Audit", "RequestResponse", "Trace"]
    assert [s.name for s in monitor_client.diagnostic_settings.list(account.id)] == ["tenantctl"]
    categories = {c.name for c in monitor_client.diagnostic_settings_category.list(account.id)}
    assert {"Audit", "RequestResponse", "Trace", "AllMetrics"} <= categories

    bad_category = DiagnosticSettingsResource(workspace_id=workspace, logs=[LogSettings(category="Nope", enabled=True)])
    with pytest.raises(HttpResponseError, match="Category 'Nope' is not supported"):
        monitor_client.diagnostic_settings.create_or_update(account.id, "bad", bad_category)
    missing_workspace = DiagnosticSettingsResource(workspace_id=workspace + "x", logs=[])
    with pytest.raises(HttpResponseError):
        monitor_client.diagnostic_settings.create_or_update(account.id, "bad", missing_workspace)

    monitor_client.diagnostic_settings.delete(account.id, "tenantctl")
    with pytest.raises(ResourceNotFoundError):
        monitor_client.diagnostic_settings.get(account.id, "tenantctl")


def _resource_client(emu: Emulator, credential: Any) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(
        credential,
        emu.subscription_id,
        base_url=emu.endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emu.ca_path),
    )


def _vault(emulator: Emulator, resource_client: Any, rg: str, name: str, *, rbac: bool = True) -> Any:
    vault_id = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
    )
    body = {
        "location": LOCATION,
        "properties": {
            "tenantId": emulator.home_directory,
            "sku": {"family": "A", "name": "standard"},
            "enableRbacAuthorization": rbac,
        },
    }
    return resource_client.resources.begin_create_or_update_by_id(vault_id, body, api_version="2023-07-01").result()


def _secrets(emulator: Emulator, vault_uri: str, credential: Any) -> Any:
    from azure.keyvault.secrets import SecretClient

    return SecretClient(
        vault_uri, credential, connection_verify=str(emulator.ca_path), verify_challenge_resource=False, retry_total=0
    )


def test_key_vault_secrets_through_the_real_secret_client(
    emulator: Emulator, resource_client: Any, make_credential: Callable[..., Any], rg: str
) -> None:
    vault = _vault(emulator, resource_client, rg, "kv-one")
    uri = vault.properties["vaultUri"]
    assert uri.startswith("https://127.0.0.1:")
    assert uri != f"{emulator.endpoint}/"
    client = _secrets(emulator, uri, make_credential())

    # Owner of the subscription is not enough for the data plane under RBAC.
    with pytest.raises(HttpResponseError) as err:
        client.set_secret("tenant-a-key1", "v1")
    assert err.value.status_code == 403
    emulator.assign_role(vault.id, emulator.provider.object_id, "Key Vault Secrets Officer")

    first = client.set_secret("tenant-a-key1", "v1", content_type="text/plain")
    second = client.set_secret("tenant-a-key1", "v2")
    assert first.name == "tenant-a-key1"
    assert first.properties.version != second.properties.version
    assert client.get_secret("tenant-a-key1").value == "v2"
    assert client.get_secret("tenant-a-key1", first.properties.version).value == "v1"
    versions = {p.version for p in client.list_properties_of_secret_versions("tenant-a-key1")}
    assert versions == {first.properties.version, second.properties.version}
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("nope")

    deleted = client.begin_delete_secret("tenant-a-key1").result()
    assert deleted.recovery_id
    assert deleted.name == "tenant-a-key1"
    with pytest.raises(ResourceExistsError):
        client.set_secret("tenant-a-key1", "v3")  # deleted but recoverable: the name is taken
    client.purge_deleted_secret("tenant-a-key1")
    assert client.set_secret("tenant-a-key1", "v3").value == "v3"


def test_key_vault_secrets_user_reads_but_cannot_write(
    emulator: Emulator, resource_client: Any, make_credential: Callable[..., Any], rg: str
) -> None:
    vault = _vault(emulator, resource_client, rg, "kv-two")
    owner = _secrets(emulator, vault.properties["vaultUri"], make_credential())
    emulator.assign_role(vault.id, emulator.provider.object_id, "Key Vault Secrets Officer")
    owner.set_secret("s", "value")
    reader_sp = emulator.register_app(home_directory=emulator.home_directory)
    reader = _secrets(emulator, vault.properties["vaultUri"], make_credential(reader_sp))
    emulator.assign_role(vault.id, reader_sp.object_id, "Key Vault Secrets User")
    assert reader.get_secret("s").value == "value"
    with pytest.raises(HttpResponseError) as err:
        reader.set_secret("s", "other")
    assert (err.value.status_code, err.value.error.code) == (403, "Forbidden")


def test_vault_data_plane_survives_a_restart(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenantctl.emulator import EmulatorSettings

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with Emulator(tmp_path, EmulatorSettings(lro_seconds=0.05, retry_after=0)) as emu:
        sp = emu.provider
        cred = provider_credential(emu)
        resources = _resource_client(emu, cred)
        resources.resource_groups.create_or_update("rg", {"location": LOCATION})
        vault = _vault(emu, resources, "rg", "kv-three")
        emu.assign_role(vault.id, sp.object_id, "Key Vault Secrets Officer")
        _secrets(emu, vault.properties["vaultUri"], cred).set_secret("kept", "yes")
    with Emulator(tmp_path, EmulatorSettings(lro_seconds=0.05, retry_after=0)) as emu:
        cred = provider_credential(emu)
        resources = _resource_client(emu, cred)
        uri = resources.resources.get_by_id(vault.id, api_version="2023-07-01").properties["vaultUri"]
        assert _secrets(emu, uri, cred).get_secret("kept").value == "yes"
