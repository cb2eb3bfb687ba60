"""Round trips of every CloudPort method through the real SDK clients and the emulator over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.cloud.azure.names import blocklist_item_name, role_assignment_name, role_definition_id
from tenantctl.errors import TerminalError
from tenantctl.resources import Account, AccountRef, Blocklist, RaiPolicy, RoleAssignment

from .conftest import LOCATION, MODEL, SKU, VERSION, deployment, unique

OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"


def test_accounts_round_trip_and_put_is_idempotent(
    cloud: AzureCloud, subscription: str, group: str, new_account: Callable[..., Account]
) -> None:
    assert cloud.list_accounts(subscription, group) == []
    created = new_account(allowed_ips=("203.0.113.7", "198.51.100.1"))
    assert created.provisioning_state == "Succeeded"
    assert created.endpoint

    again = cloud.put_account(created)  # same full body a second time
    listed = cloud.list_accounts(subscription, group)
    assert [a.ref for a in listed] == [created.ref]
    (observed,) = listed
    assert observed.ref.name == created.ref.name
    assert observed.location == LOCATION
    assert observed.custom_subdomain == created.custom_subdomain
    assert dict(observed.tags) == {"tenant": created.ref.name}
    assert (observed.kind, observed.sku) == ("OpenAI", "S0")
    assert observed.public_network_access is True
    assert observed.allowed_ips == ("198.51.100.1", "203.0.113.7")
    assert observed.disable_local_auth is True
    assert again.ref == created.ref


def test_account_update_changes_network_rules(
    cloud: AzureCloud, subscription: str, group: str, new_account: Callable[..., Account]
) -> None:
    created = new_account()
    cloud.put_account(replace(created, public_network_access=False, allowed_ips=(), tags={"v": "2"}))
    (observed,) = cloud.list_accounts(subscription, group)
    assert observed.public_network_access is False
    assert observed.allowed_ips == ()
    assert dict(observed.tags) == {"v": "2"}


def test_list_accounts_of_a_missing_group_is_empty(cloud: AzureCloud, subscription: str) -> None:
    assert cloud.list_accounts(subscription, unique("rg-missing-")) == []


def test_reads_of_a_missing_account_are_empty(cloud: AzureCloud, subscription: str, group: str) -> None:
    ghost = AccountRef(subscription, group, unique("ghost"))
    assert cloud.list_deployments(ghost) == []
    assert cloud.list_rai_policies(ghost) == []
    assert cloud.list_blocklists(ghost) == []


def test_deployments_round_trip_update_and_delete(cloud: AzureCloud, new_account: Callable[..., Account]) -> None:
    ref = new_account().ref
    wanted = deployment(ref, capacity=5, tags={"tier": "gold"}, version_upgrade_option="NoAutoUpgrade")
    put = cloud.put_deployment(wanted)
    assert (put.model, put.version, put.sku, put.capacity) == (MODEL, VERSION, SKU, 5)
    cloud.put_deployment(wanted)  # idempotent

    (observed,) = cloud.list_deployments(ref)
    assert observed.name == "chat"
    assert (observed.model, observed.version, observed.format) == (MODEL, VERSION, "OpenAI")
    assert (observed.sku, observed.capacity) == (SKU, 5)
    assert observed.version_upgrade_option == "NoAutoUpgrade"
    assert dict(observed.tags) == {"tier": "gold"}
    assert observed.provisioning_state == "Succeeded"

    cloud.put_deployment(deployment(ref, capacity=7, tags={"tier": "gold"}))
    (updated,) = cloud.list_deployments(ref)
    assert updated.capacity == 7

    cloud.delete_deployment(ref, "chat")
    assert cloud.list_deployments(ref) == []
    cloud.delete_deployment(ref, "chat")  # already gone: still success


def test_rai_policies_and_blocklists_round_trip(cloud: AzureCloud, new_account: Callable[..., Account]) -> None:
    ref = new_account().ref
    cloud.put_blocklist(Blocklist(ref, "words", terms=("zeta", "alpha", "beta"), tags={"k": "v"}))
    cloud.put_blocklist(Blocklist(ref, "words", terms=("zeta", "alpha", "beta"), tags={"k": "v"}))
    (observed,) = cloud.list_blocklists(ref)
    assert observed.name == "words"
    assert observed.terms == ("alpha", "beta", "zeta")

    # Items become exactly the wanted terms: one removed, one added.
    cloud.put_blocklist(Blocklist(ref, "words", terms=("alpha", "gamma", "zeta")))
    (observed,) = cloud.list_blocklists(ref)
    assert observed.terms == ("alpha", "gamma", "zeta")

    policy = RaiPolicy(ref, "strict", base_policy="Microsoft.DefaultV2", severity="Low", blocklists=("words",))
    cloud.put_rai_policy(policy)
    cloud.put_rai_policy(policy)
    policies = cloud.list_rai_policies(ref)
    assert [p.name for p in policies] == ["strict"]  # system policies (Microsoft.*) are left out
    (observed_policy,) = policies
    assert observed_policy.base_policy == "Microsoft.DefaultV2"
    assert observed_policy.severity == "Low"
    assert observed_policy.blocklists == ("words",)

    cloud.put_deployment(deployment(ref, rai_policy="strict"))
    (dep,) = cloud.list_deployments(ref)
    assert dep.rai_policy == "strict"

    cloud.delete_deployment(ref, "chat")
    cloud.delete_rai_policy(ref, "strict")
    cloud.delete_rai_policy(ref, "strict")
    assert cloud.list_rai_policies(ref) == []
    cloud.delete_blocklist(ref, "words")
    cloud.delete_blocklist(ref, "words")
    assert cloud.list_blocklists(ref) == []


def test_usages_and_models(cloud: AzureCloud, subscription: str, new_account: Callable[..., Account]) -> None:
    offers = cloud.list_models(subscription, LOCATION)
    keyed = {(o.model, o.version, o.sku): o for o in offers}
    assert len(keyed) == len(offers)  # one row per (model, version, sku)
    offer = keyed[(MODEL, VERSION, SKU)]
    assert offer.usage_name.lower() == f"openai.{SKU}.{MODEL}".lower()
    assert offer.max_capacity >= offer.default_capacity >= offer.min_capacity >= 1
    assert offer.location == LOCATION
    assert any(o.deprecation is not None for o in offers)

    def used() -> float:
        lines = {u.usage_name.lower(): u for u in cloud.list_usages(subscription, LOCATION)}
        line = lines[offer.usage_name.lower()]
        assert line.limit > 0
        return line.current

    before = used()
    ref = new_account().ref
    cloud.put_deployment(deployment(ref, capacity=3))
    assert used() == before + 3


def test_subdomain_check_and_deleted_accounts(
    cloud: AzureCloud, subscription: str, new_account: Callable[..., Account]
) -> None:
    free = unique("free")
    check = cloud.check_subdomain(subscription, free)
    assert check.available is True
    assert check.subdomain == free

    account = new_account()
    assert account.custom_subdomain is not None
    taken = cloud.check_subdomain(subscription, account.custom_subdomain)
    assert taken.available is False

    cloud.delete_account(account.ref)
    cloud.delete_account(account.ref)  # already gone: success
    deleted = {d.ref: d for d in cloud.list_deleted_accounts(subscription)}
    gone = deleted[account.ref]
    assert gone.location == LOCATION
    assert gone.deletion_date is not None
    assert gone.scheduled_purge_date is not None
    assert gone.scheduled_purge_date > gone.deletion_date
    # A soft-deleted account still holds its subdomain.
    assert cloud.check_subdomain(subscription, account.custom_subdomain).available is False

    cloud.purge_deleted_account(account.ref, LOCATION)
    cloud.purge_deleted_account(account.ref, LOCATION)  # already purged: success
    assert account.ref not in {d.ref for d in cloud.list_deleted_accounts(subscription)}


def test_role_assignments_are_idempotent(
    cloud: AzureCloud, fast_emulator: Any, new_account: Callable[..., Account]
) -> None:
    ref = new_account().ref
    principal = fast_emulator.provider.object_id
    assignment = RoleAssignment(scope=ref.id, principal_id=principal, role_definition_id=OPENAI_USER)
    cloud.put_role_assignment(assignment)
    cloud.put_role_assignment(assignment)
    listed = cloud.list_role_assignments(ref.id)
    mine = [a for a in listed if a.principal_id.lower() == principal.lower()]
    assert len(mine) == 1
    (only,) = mine
    role = role_definition_id(OPENAI_USER, ref.id)
    assert only.role_definition_id.lower() == role.lower()
    assert only.name == role_assignment_name(ref.id, principal, role)
    assert only.scope.lower() == ref.id.lower()


def test_put_account_in_a_missing_group_is_terminal(cloud: AzureCloud, subscription: str) -> None:
    ref = AccountRef(subscription, unique("rg-missing-"), unique("acct"))
    with pytest.raises(TerminalError) as caught:
        cloud.put_account(Account(ref=ref, location=LOCATION, custom_subdomain=unique("sub")))
    assert caught.value.status == 404
    assert cloud.stats.total_retries == 0


def test_blocklist_sync_keeps_foreign_items_for_wanted_terms(
    cloud: AzureCloud, cs_client: Any, new_account: Callable[..., Account]
) -> None:
    from azure.mgmt.cognitiveservices import models as cs

    ref = new_account().ref
    group, account = ref.resource_group, ref.name
    cs_client.rai_blocklists.create_or_update(group, account, "words", cs.RaiBlocklist(properties={}))
    # Someone else's item for a wanted term (kept), and a stale item squatting on the name tenantctl
    # derives for "alpha" (overwritten by the add, so it must not be deleted afterwards).
    for item_name, pattern in [("manual", "beta"), (blocklist_item_name("alpha"), "stale")]:
        cs_client.rai_blocklist_items.create_or_update(
            group,
            account,
            "words",
            item_name,
            cs.RaiBlocklistItem(properties=cs.RaiBlocklistItemProperties(pattern=pattern, is_regex=False)),
        )
    cloud.put_blocklist(Blocklist(ref, "words", terms=("alpha", "beta")))
    (observed,) = cloud.list_blocklists(ref)
    assert observed.terms == ("alpha", "beta")
    items = {i.name: i.properties.pattern for i in cs_client.rai_blocklist_items.list(group, account, "words")}
    assert items == {"manual": "beta", blocklist_item_name("alpha"): "alpha"}
