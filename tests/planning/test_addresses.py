"""Typed addresses: the text users see, its exact inverse, one case rule, the plan's order."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tenantctl import naming
from tenantctl.addresses import (
    Address,
    OnAccount,
    Purge,
    ResourceGroupAddress,
    ResourceKind,
    StampAddress,
    TenantAddress,
)

# The manifest's id rule (tenant and stamp ids), and Azure's name rules (naming.py) for the rest.
ids = st.from_regex(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,20}", fullmatch=True)
names = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{1,30}", fullmatch=True)  # deployments, accounts, filters
groups = st.from_regex(r"[-\w._()]{0,40}[-\w_()]", fullmatch=True).filter(lambda g: "@" not in g)
subscriptions = st.uuids().map(str)
indexes = st.integers(min_value=1, max_value=250)
CHILDREN = (ResourceKind.DEPLOYMENT, ResourceKind.RAI_POLICY, ResourceKind.BLOCKLIST)
children = st.sampled_from(CHILDREN)


def _tenant(tenant: str, kind: ResourceKind, name: str) -> TenantAddress:
    return TenantAddress(tenant, kind, name if kind is ResourceKind.DEPLOYMENT else None)


plain: st.SearchStrategy[Address] = st.one_of(
    st.builds(ResourceGroupAddress, subscriptions, groups),
    st.builds(_tenant, ids, st.sampled_from([ResourceKind.ACCOUNT, *CHILDREN]), names),
    st.builds(StampAddress.account, ids, indexes),
    st.builds(StampAddress, ids, children, indexes, names),
)
elsewhere = st.builds(OnAccount, plain, names)
accounts = st.one_of(
    st.builds(TenantAddress.account, ids),
    st.builds(StampAddress.account, ids, indexes),
    st.builds(OnAccount, st.builds(TenantAddress.account, ids), names),
    st.builds(OnAccount, st.builds(StampAddress.account, ids, st.none()), names),
)
addresses = st.one_of(plain, elsewhere, st.builds(Purge, accounts))
# Cheap pure checks, but regex-built text is slow to generate: enough examples to meet every form.
few = settings(max_examples=60, deadline=None)


@few
@given(addresses)
def test_parse_is_the_exact_inverse_of_str(address: Address) -> None:
    text = str(address)
    assert Address.parse(text) == address
    assert str(Address.parse(text)) == text


@few
@given(plain, names)
def test_the_parsed_structure_is_the_built_one(address: Address, account: str) -> None:
    # Identity is the text, so compare the fields too: parse recovers what was built.
    assert repr(Address.parse(str(address))) == repr(address)
    if not account.endswith(".purge"):  # ``x@y.purge`` also reads as a purge: the same text, one address
        assert repr(Address.parse(str(OnAccount(address, account)))) == repr(OnAccount(address, account))


@few
@given(st.lists(addresses, min_size=2, max_size=5))
def test_addresses_sort_as_their_lower_cased_texts_did(found: list[Address]) -> None:
    assert [a.folded for a in sorted(found)] == sorted(a.folded for a in found)


@few
@given(addresses)
def test_one_case_rule_equal_and_same_hash_ignoring_case(address: Address) -> None:
    shouting = _upper_names(address)
    # A few non-ASCII letters do not come back from upper() by lower() (dotless 'ı' -> 'I' -> 'i'): they are
    # different names under the one rule (lower-cased text), as they are in Azure's ASCII-only names.
    assume(str(shouting).lower() == str(address).lower())
    assert shouting == address
    assert hash(shouting) == hash(address)
    assert {address: 1}[shouting] == 1


def _upper_names(address: Address) -> Address:
    if isinstance(address, ResourceGroupAddress):
        return ResourceGroupAddress(address.subscription_id.upper(), address.name.upper())
    if isinstance(address, TenantAddress):
        return TenantAddress(address.tenant.upper(), address.resource, address.name and address.name.upper())
    if isinstance(address, StampAddress):
        name = address.name and address.name.upper()
        return StampAddress(address.stamp.upper(), address.resource, address.index, name)
    if isinstance(address, OnAccount):
        return OnAccount(_upper_names(address.address), address.account.upper())
    assert isinstance(address, Purge)
    return Purge(_upper_names(address.account))


@pytest.mark.parametrize(
    ("address", "text"),
    [
        (
            ResourceGroupAddress("00000000-0000-0000-0000-000000000001", "rg.tenants"),
            "resource-group.00000000-0000-0000-0000-000000000001.rg.tenants",
        ),
        (TenantAddress.account("acme"), "tenant.acme.account"),
        (TenantAddress.deployment("acme", "gpt-4.1-mini"), "tenant.acme.deployment.gpt-4.1-mini"),
        (TenantAddress("acme", ResourceKind.RAI_POLICY), "tenant.acme.rai-policy"),
        (TenantAddress("acme", ResourceKind.BLOCKLIST), "tenant.acme.blocklist"),
        (StampAddress.account("eu-1", 2), "stamp.eu-1.account.02"),
        (StampAddress("eu-1", ResourceKind.DEPLOYMENT, 12, "mini"), "stamp.eu-1.deployment.12.mini"),
        (StampAddress("eu", ResourceKind.RAI_POLICY, 1, "x-filter"), "stamp.eu.rai-policy.01.x-filter"),
        (
            OnAccount(TenantAddress.deployment("acme", "chat"), "ctso-eu1--01"),
            "tenant.acme.deployment.chat@ctso-eu1--01",
        ),
        (Purge(TenantAddress.account("acme")), "tenant.acme.account.purge"),
        (Purge(OnAccount(StampAddress.account("eu", None), "ctso-eu--03")), "stamp.eu.account@ctso-eu--03.purge"),
        (TenantAddress.deployment("acme", "x.purge"), "tenant.acme.deployment.x.purge"),
    ],
)
def test_the_text_is_what_plans_always_showed(address: Address, text: str) -> None:
    assert str(address) == text
    assert repr(Address.parse(text)) == repr(address)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tenant.acme",
        "tenant.acme.deployment",  # a deployment needs its name
        "tenant.acme.account.x",  # a tenant has one account
        "tenant.acme.gateway",
        "stamp.eu.account.1",  # not canonical: the index has two digits
        "stamp.eu.deployment.chat",  # a stamp resource needs its account's index
        "stamp.eu.deployment.01",
        "tenant.acme.account@",
        "resource-group.sub",
        "acme.account",
    ],
)
def test_anything_else_is_refused_with_the_text_named(text: str) -> None:
    with pytest.raises(ValueError, match="is not a tenantctl address"):
        Address.parse(text)


@pytest.mark.parametrize(
    "build",
    [
        lambda: TenantAddress("acme", ResourceKind.DEPLOYMENT),
        lambda: TenantAddress("acme", ResourceKind.ACCOUNT, "x"),
        lambda: TenantAddress("acme", ResourceKind.RESOURCE_GROUP),
        lambda: StampAddress("eu", ResourceKind.DEPLOYMENT, None, "chat"),
        lambda: StampAddress("eu", ResourceKind.ACCOUNT, 1, "x"),
        lambda: Purge(TenantAddress.deployment("acme", "chat")),
    ],
)
def test_addresses_that_name_nothing_cannot_be_built(build: object) -> None:
    with pytest.raises(ValueError, match=r"address|index|purged"):
        build()  # type: ignore[operator]


def test_within_owner_is_what_follows_the_tenant_or_stamp() -> None:
    assert TenantAddress.deployment("acme", "gpt-4.1").within_owner == "deployment.gpt-4.1"
    assert StampAddress.account("eu", 3).within_owner == "account.03"


@few
@given(ids, indexes, st.from_regex(r"[a-z0-9]{2,12}", fullmatch=True))
def test_a_stamp_accounts_index_comes_back_from_its_name(stamp: str, index: int, prefix: str) -> None:
    assert naming.stamp_account_index(naming.stamp_account_name(prefix, stamp, index)) == index


@pytest.mark.parametrize("name", ["ctso-acme", "ctso-eu-1", "ctso-eu--1", "ctso-eu--x1", "weird"])
def test_a_name_not_made_by_stamp_account_name_has_no_index(name: str) -> None:
    assert naming.stamp_account_index(name) is None
