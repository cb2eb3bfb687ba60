"""Observation cost of a no-op plan for 200+ tenants on the emulator: O(accounts + regions), never O(tenants).

The manifest is ``benchmarks.generate``'s mix for 250 tenants without its 25 tenant-provided ones
(225 tenants: 50 dedicated over 13 regions, 100 dedicated-deployment and 75 shared over two stamps,
each stamp in its own subscription). Tenant-provided tenants are left out on purpose: observation
never reads them; their verification is a separate session call (``CloudSession.verify_tenant_provided``,
2 ARM reads each), so they would add 0 requests here and 2 each to a ``plan`` command.

It is applied for real (the Azure adapter over HTTPS against the emulator), the request counters are
reset, and ``plan_against`` (observation + plan, as ``plan`` runs it) must find nothing to do, diffing
once: the lazy details are asked of a draft plan, not of a second whole plan. The request budget, exactly:

* one account list per resource group the manifest names (provider + one per stamp subscription);
* one deployment list per managed account;
* filter reads only on accounts where a content filter exists: one policy list each, and where a
  policy uses a blocklist one blocklist list plus one item list per blocklist (terms live in items);
* nothing lazy: no usages, model catalogue, deleted-account or subdomain reads for a no-op plan.

Bound checked (DESIGN.md §8 / README "Cheap observation"): the account and deployment lists are at most
groups + managed accounts + regions; the filter reads add at most 3 per filtered account (one blocklist
each here), so the whole observation stays linear in accounts and far below one request per resource.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from benchmarks.generate import generate_manifest
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.planning import planner
from tenantctl.reconcile import plan_against

from .conftest import manifest_from
from .on_emulator import applied_cloud_for, arm_requests

LAZY_READS = ("usages.list", "models.list", "deleted_accounts.list", "check_domain_availability")


def manifest_without_tenant_provided(n: int) -> Manifest:
    """The generator's manifest for ``n`` tenants with its tenant-provided tenants removed."""
    head, *tenants = generate_manifest(n).split("\n[tenants.")
    kept = [block for block in tenants if 'isolation = "tenant-provided"' not in block]
    return manifest_from("\n[tenants.".join([head, *kept]))


def regions(manifest: Manifest) -> set[tuple[str, str]]:
    """(subscription, location) pairs the manifest places accounts in."""
    out = {(manifest.stamp_subscription(s), stamp.location) for s, stamp in manifest.stamps.items()}
    for tenant in manifest.tenants.values():
        if tenant.isolation is Isolation.DEDICATED:
            out.add((manifest.provider.subscription_id, tenant.location or manifest.provider.location))
    return out


@pytest.fixture
def fast_emulator(emulator: Emulator) -> Emulator:
    """The shared ``emulator`` fixture with writes settling in 10 ms (hundreds of them to apply)."""
    emulator.settings = EmulatorSettings(lro_seconds=0.01, retry_after=0)
    return emulator


def test_a_no_op_plan_of_225_tenants_costs_o_accounts_plus_regions_and_one_diff(
    fast_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = fast_emulator
    manifest = manifest_without_tenant_provided(250)
    kinds = [t.isolation for t in manifest.tenants.values()]
    assert len(kinds) >= 200
    assert {Isolation.DEDICATED, Isolation.DEDICATED_DEPLOYMENT, Isolation.SHARED} == set(kinds)
    assert len(manifest.stamps) >= 2
    cloud = applied_cloud_for(emulator, manifest, parallelism=32)  # applies, then resets the counters

    diffs: list[int] = []
    real_diff = planner.diff_and_orphans

    def counting_diff(*args: Any, **kwargs: Any) -> Any:
        diffs.append(1)
        return real_diff(*args, **kwargs)

    monkeypatch.setattr(planner, "diff_and_orphans", counting_diff)  # a spy on our pure planner, not on Azure
    started = time.monotonic()
    observed, plan = plan_against(manifest, cloud)
    elapsed = time.monotonic() - started
    assert len(diffs) == 1  # one plan per run (before observation was split from planning: two)
    assert not plan.has_changes, [c.address for c in plan.actionable]
    assert not plan.is_blocked
    counts = arm_requests(emulator)

    groups = len(observed.listed_groups)
    accounts = len(observed.accounts)
    filtered = len(observed.rai_policies)
    blocklisted = len(observed.blocklists)
    blocklists = sum(len(b) for b in observed.blocklists.values())
    assert groups == 1 + len(manifest.stamps)  # one per stamp subscription, plus the provider's
    assert not observed.foreign_accounts
    # Every account, policy and blocklist read is one of ours that Azure really holds.
    assert 0 < filtered < accounts
    assert 0 < blocklisted <= filtered
    assert all(observed.rai_policies.values())
    assert all(observed.blocklists.values())

    assert not set(LAZY_READS) & set(counts), counts
    # Accounts: one Resource Graph query for every subscription (a page per 1,000 accounts), not one
    # list per resource group; nothing is confirmed against ARM when every expected account is there.
    assert counts == {
        "resourcegraph.resources": 1,
        "deployments.list": accounts,
        "rai_policies.list": filtered,
        "rai_blocklists.list": blocklisted,
        "rai_blocklist_items.list": blocklists,
        "total": 1 + accounts + filtered + blocklisted + blocklists,
    }
    # The bound: listing is O(groups + accounts + regions); filters add ≤ 3 reads per filtered account.
    n_regions = len(regions(manifest))
    listing = counts["resourcegraph.resources"] + counts["deployments.list"]
    assert listing <= groups + accounts + n_regions
    assert counts["total"] - listing <= 3 * filtered
    assert counts["total"] <= groups + accounts + n_regions + 3 * filtered
    # ... far below one request per tenant or per resource read.
    resources = accounts + sum(len(d) for d in observed.deployments.values()) + filtered + blocklists
    assert counts["total"] < len(manifest.tenants) < resources
    assert elapsed < 10
