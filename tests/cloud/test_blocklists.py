"""put_blocklist makes a blocklist's items exactly the wanted terms, whatever items it finds there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.mgmt.cognitiveservices.models import RaiBlocklistItem, RaiBlocklistItemProperties

from tenantctl.cloud.azure import AzureCloud, names
from tenantctl.emulator import FaultSettings
from tenantctl.resources import Account, Blocklist

SEED = 3


def _items(cs_client: Any, account: Account, blocklist: str) -> dict[str, str]:
    ref = account.ref
    found = cs_client.rai_blocklist_items.list(ref.resource_group, ref.name, blocklist)
    return {item.name: item.properties.pattern for item in found}


def _plant(cs_client: Any, account: Account, blocklist: str, item: str, pattern: str) -> None:
    body = RaiBlocklistItem(properties=RaiBlocklistItemProperties(pattern=pattern, is_regex=False))
    cs_client.rai_blocklist_items.create_or_update(account.ref.resource_group, account.ref.name, blocklist, item, body)


def test_an_item_under_another_terms_name_is_not_trusted_to_keep_its_term(
    cloud: AzureCloud, cs_client: Any, new_account: Callable[..., Account]
) -> None:
    account = new_account()
    cloud.put_blocklist(Blocklist(account.ref, "terms", terms=("beta",)))
    # someone edited our "beta" item in the portal to say "alpha"; the manifest now wants both
    _plant(cs_client, account, "terms", names.blocklist_item_name("beta"), "alpha")
    _plant(cs_client, account, "terms", "foreign-extra", "gamma")

    cloud.put_blocklist(Blocklist(account.ref, "terms", terms=("alpha", "beta")))

    items = _items(cs_client, account, "terms")
    assert sorted(items.values()) == ["alpha", "beta"], items  # adding "beta" must not drop "alpha"
    assert [b.terms for b in cloud.list_blocklists(account.ref)] == [("alpha", "beta")]


def test_a_sync_retried_after_faults_ends_with_exactly_the_wanted_terms(
    cloud: AzureCloud, cs_client: Any, fast_emulator: Any, new_account: Callable[..., Account]
) -> None:
    account = new_account()
    cloud.put_blocklist(Blocklist(account.ref, "terms", terms=("a", "b", "c")))
    _plant(cs_client, account, "terms", "x1", "b")  # a duplicate of our "b" item
    _plant(cs_client, account, "terms", "x2", "z")
    faults = FaultSettings(rate_5xx=0.25, drop_rate=0.15, methods=("POST", "PUT"), retry_after=0, seed=SEED)
    fast_emulator.set_faults(faults)
    try:
        cloud.put_blocklist(Blocklist(account.ref, "terms", terms=("b", "c", "d")))
    finally:
        fast_emulator.set_faults(FaultSettings())
    items = _items(cs_client, account, "terms")
    assert sorted(items.values()) == ["b", "c", "d"], items
    assert cloud.stats.total_retries > 0, "nothing failed: the test proves nothing"
