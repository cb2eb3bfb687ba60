"""The adapter's compliance-baseline methods over the real SDKs against the emulator (issue 14)."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.errors import TerminalError
from tenantctl.resources import (
    Account,
    AccountBaseline,
    AccountRef,
    DiagnosticSetting,
    PrivateEndpoint,
    SecretValue,
)
from tests.cloud.conftest import LOCATION, unique

ZONE = "privatelink.openai.azure.com"


def _account(
    cloud: AzureCloud, subscription: str, group: str, baseline: AccountBaseline | None = None, **fields: Any
) -> Account:
    name = unique("acct")
    wanted = Account(AccountRef(subscription, group, name), LOCATION, f"{name}-sub", **fields)
    return cloud.put_account(wanted, baseline=baseline)


def test_account_network_auth_and_identity_fields_round_trip(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str
) -> None:
    subnet = fast_emulator.add_virtual_network(subscription, group, "vnet", LOCATION, {"pe": "10.0.1.0/24"}) + (
        "/subnets/pe"
    )
    wanted = AccountBaseline(
        network_default_action="Deny",
        virtual_network_rules=(subnet,),
        network_bypass="AzureServices",
        identity="system-assigned",
    )
    made = _account(
        cloud,
        subscription,
        group,
        wanted,
        public_network_access=False,
        allowed_ips=("203.0.113.0/24",),
        disable_local_auth=False,
    )
    assert made.disable_local_auth is False
    assert made.allowed_ips == ("203.0.113.0/24",)
    seen = cloud.list_account_baselines(subscription, group)[made.ref.key]
    assert seen.network_default_action == "Deny"
    assert [rule.lower() for rule in seen.virtual_network_rules] == [subnet.lower()]
    assert seen.network_bypass == "AzureServices"
    assert seen.identity == "system-assigned"
    assert seen.identity_principal_id

    cloud.put_account(made, baseline=AccountBaseline(identity="none"))
    again = cloud.list_account_baselines(subscription, group)[made.ref.key]
    assert (again.identity, again.identity_principal_id, again.virtual_network_rules) == ("none", None, ())
    assert cloud.list_account_baselines(subscription, "no-such-group") == {}


def test_default_account_body_is_unchanged(cloud: AzureCloud, subscription: str, group: str) -> None:
    """An Account with none of the new fields set is sent as before: no bypass, no VNet rules."""
    made = _account(cloud, subscription, group)
    seen = cloud.list_account_baselines(subscription, group)[made.ref.key]
    assert dataclasses.replace(seen, identity_principal_id=None) == AccountBaseline(network_default_action="Allow")


def test_private_endpoint_with_dns_zone_group(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str
) -> None:
    account = _account(cloud, subscription, group)
    vnet = fast_emulator.add_virtual_network(subscription, group, "vnet", LOCATION, {"pe": "10.0.1.0/24"})
    zone = fast_emulator.add_private_dns_zone(subscription, group, ZONE)
    wanted = PrivateEndpoint(
        subscription, group, "pe-a", LOCATION, f"{vnet}/subnets/pe", account.ref.id, dns_zone_ids=(zone,)
    )
    made = cloud.put_private_endpoint(wanted)
    assert made.connection_status == "Approved"
    assert made.dns_zone_ids == (zone,)
    (listed,) = cloud.list_private_endpoints(subscription, group)
    assert dataclasses.replace(listed, tags={}) == dataclasses.replace(made, tags={})
    assert listed.target_id.lower() == account.ref.id.lower()
    seen = cloud.list_account_baselines(subscription, group)[account.ref.key]
    assert [pe.lower() for pe in seen.private_endpoint_connections] == [made.id.lower()]

    assert cloud.put_private_endpoint(wanted).dns_zone_ids == (zone,)  # idempotent re-apply
    cloud.delete_private_endpoint(subscription, group, "pe-a")
    cloud.delete_private_endpoint(subscription, group, "pe-a")  # a missing endpoint is not an error
    assert cloud.list_private_endpoints(subscription, group) == []
    assert cloud.list_private_endpoints(subscription, "no-such-group") == []


def test_private_endpoint_into_a_missing_subnet_is_terminal(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str
) -> None:
    account = _account(cloud, subscription, group)
    vnet = fast_emulator.add_virtual_network(subscription, group, "vnet", "eastus", {"pe": "10.0.1.0/24"})
    for subnet in (f"{vnet}/subnets/missing", f"{vnet}/subnets/pe"):  # missing; other region
        with pytest.raises(TerminalError) as err:
            cloud.put_private_endpoint(PrivateEndpoint(subscription, group, "pe-x", LOCATION, subnet, account.ref.id))
        assert err.value.code == "InvalidResourceReference"


def test_diagnostic_settings(cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str) -> None:
    account = _account(cloud, subscription, group)
    workspace = fast_emulator.add_workspace(subscription, group, "logs", LOCATION)
    wanted = DiagnosticSetting(account.ref.id, "tenantctl", workspace)
    made = cloud.put_diagnostic_setting(wanted)
    assert made == DiagnosticSetting(
        account.ref.id, "tenantctl", workspace, ("Audit", "RequestResponse", "Trace"), ("AllMetrics",)
    )
    assert cloud.list_diagnostic_settings(account.ref.id) == [made]
    with pytest.raises(TerminalError):
        cloud.put_diagnostic_setting(dataclasses.replace(wanted, name="bad", log_categories=("Nope",)))
    cloud.delete_diagnostic_setting(account.ref.id, "tenantctl")
    assert cloud.list_diagnostic_settings(account.ref.id) == []


def test_keys_are_refused_while_local_auth_is_off(cloud: AzureCloud, subscription: str, group: str) -> None:
    account = _account(cloud, subscription, group, disable_local_auth=True)
    with pytest.raises(TerminalError) as err:
        cloud.list_account_keys(account.ref)
    assert err.value.code == "BadRequest"


def test_a_key_never_shows_in_logs_reprs_or_json(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Sentinel: the key values pass through listKeys, regenerateKey, set_secret and get_secret, and
    appear nowhere but in the SecretValue and in Key Vault."""
    caplog.set_level(logging.DEBUG)
    account = _account(cloud, subscription, group, disable_local_auth=False)
    vault_id, vault_url = fast_emulator.add_key_vault(subscription, group, unique("kv")[:20], LOCATION)
    fast_emulator.assign_role(vault_id, fast_emulator.provider.object_id, "Key Vault Secrets Officer")

    before = cloud.list_account_keys(account.ref)
    after = cloud.regenerate_account_key(account.ref, "key2")
    assert after.key1 == before.key1
    assert after.key2 != before.key2
    stored = cloud.set_secret(vault_url, "tenant-key2", after.key2, tags={"tenant": "t1"})
    read = cloud.get_secret(vault_url, "tenant-key2")
    assert read is not None
    assert read.value == after.key2
    assert read.version == stored.version
    assert stored.value is None
    assert cloud.get_secret(vault_url, "no-such-secret") is None

    values = {k.reveal() for k in (before.key1, before.key2, after.key2)}
    assert all(len(v) >= 32 for v in values)
    shown = [
        caplog.text,
        repr(before),
        str(after),
        f"{after.key1}",
        repr(stored),
        repr(read),
        json.dumps(dataclasses.asdict(read), default=str),
        json.dumps(dataclasses.asdict(after), default=str),
    ]
    for text in shown:
        for value in values:
            assert value not in text
    assert "***" in repr(after)


def test_secret_value_hides_itself() -> None:
    secret = SecretValue("sentinel-value-123")
    assert "sentinel" not in repr(secret) + str(secret) + f"{secret!s}{secret!r}{secret:>40}"
    assert secret.reveal() == "sentinel-value-123"
    assert secret == SecretValue("sentinel-value-123")
