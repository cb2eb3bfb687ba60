"""Observation cost on the emulator: O(managed accounts + regions), lazy reads only where the plan needs them.

Every test applies its manifest for real (the Azure adapter over HTTPS against a fresh emulator), then
resets the emulator's request counters and counts the ARM requests ``plan_against`` sends (observation
reads in two steps; the plan itself reads nothing).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.cognitiveservices.models import Account, AccountProperties, Sku

from tenantctl.cloud.azure import AzureCloud
from tenantctl.emulator import Emulator
from tenantctl.observation import ObservedState
from tenantctl.planning import planner
from tenantctl.reconcile import plan_against

from .conftest import HEAD, LOC, SUB, dedicated, manifest_from, on_stamp, stamp_block
from .on_emulator import applied_cloud_for, arm_requests

TEXT = HEAD + stamp_block() + on_stamp("one") + on_stamp("two", extra='content_filter = { blocklist = ["x"] }')
TEXT += dedicated("acme") + dedicated("beta")


def applied_cloud(emulator: Emulator, text: str) -> AzureCloud:
    return applied_cloud_for(emulator, manifest_from(text))


def test_a_no_op_plan_costs_one_resource_graph_query_and_one_deployment_list_per_account(emulator: Emulator) -> None:
    cloud = applied_cloud(emulator, TEXT)
    observed, plan = plan_against(manifest_from(TEXT), cloud)
    assert not plan.has_changes
    # 1 resource group (the stamp shares the provider's); 3 managed accounts (acme, beta, the eu1
    # stamp's); filters only where tenant "two" declares one: its account's policies, and since the
    # policy uses a blocklist, its blocklists plus one item list per blocklist (terms live in items).
    assert len(observed.accounts) == 3
    assert arm_requests(emulator) == {
        "resourcegraph.resources": 1,
        "deployments.list": 3,
        "rai_policies.list": 1,
        "rai_blocklists.list": 1,
        "rai_blocklist_items.list": 1,
        "total": 7,
    }


def test_adding_capacity_reads_usages_and_models_once_per_region_and_creates_check_names(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = applied_cloud(emulator, TEXT)
    bigger = TEXT + dedicated("gamma") + dedicated("delta")
    diffs: list[int] = []
    real_diff = planner.diff_and_orphans
    monkeypatch.setattr(planner, "diff_and_orphans", lambda *a, **k: diffs.append(1) or real_diff(*a, **k))
    _, plan = plan_against(manifest_from(bigger), cloud)
    assert len(diffs) == 1  # the lazy reads are asked of the draft: no second plan to find them
    assert arm_requests(emulator) == {
        # step 1, as for the no-op plan: the new tenants have no account to list yet; the query did not
        # return them, so their subscription is listed from ARM (fresh) before a CREATE is planned
        "resourcegraph.resources": 1,
        "accounts.list": 1,
        "deployments.list": 3,
        "rai_policies.list": 1,
        "rai_blocklists.list": 1,
        "rai_blocklist_items.list": 1,
        # step 2, lazily: one region (SUB, swedencentral) grows, one subscription gets accounts,
        # and only the two created accounts' subdomains are checked
        "usages.list": 1,
        "models.list": 1,
        "deleted_accounts.list": 1,
        "check_domain_availability": 2,
        "total": 13,
    }
    assert {q.usage_name for q in plan.quota} >= {"OpenAI.GlobalStandard.gpt-4o"}
    assert not plan.is_blocked
    assert plan.has_changes


def test_untagged_accounts_are_kept_only_as_name_conflicts(emulator: Emulator, make_cs_client: Any) -> None:
    cloud = applied_cloud(emulator, TEXT)
    # Someone else's account in our resource group, created with the real SDK: no managed-by tag, and the
    # name a new dedicated tenant "gamma" would take.
    stranger = Account(location=LOC, kind="OpenAI", sku=Sku(name="S0"), properties=AccountProperties())
    make_cs_client(subscription_id=SUB).accounts.begin_create("rg-tenants", "ctso-gamma", stranger).result()
    key = f"/subscriptions/{SUB}/resourceGroups/rg-tenants/providers/Microsoft.CognitiveServices/accounts/ctso-gamma"
    emulator.reset_counts()

    # A no-op plan needs no foreign account: Resource Graph returns only tagged ones, nothing else is read.
    observed, plan = plan_against(manifest_from(TEXT), cloud)
    assert not plan.has_changes
    assert not observed.foreign_accounts
    assert "accounts.list" not in arm_requests(emulator)
    emulator.reset_counts()

    # A plan that would create "ctso-gamma" confirms the subscription against ARM first and finds the stranger.
    observed, plan = plan_against(manifest_from(TEXT + dedicated("gamma")), cloud)
    assert key.lower() in observed.foreign_accounts
    assert key.lower() not in observed.accounts
    counts = arm_requests(emulator)
    assert counts["resourcegraph.resources"] == 1
    assert counts["accounts.list"] == 1
    assert counts["deployments.list"] == 3  # never lists what is not ours


def test_a_filter_without_blocklist_costs_one_read_and_a_plain_account_none(emulator: Emulator) -> None:
    text = HEAD + dedicated("acme", extra='content_filter = { severity = "High" }') + dedicated("beta")
    cloud = applied_cloud(emulator, text)
    _, plan = plan_against(manifest_from(text), cloud)
    assert arm_requests(emulator) == {
        "resourcegraph.resources": 1,
        "deployments.list": 2,
        "rai_policies.list": 1,
        "total": 4,
    }
    assert not plan.has_changes


def test_observed_state_from_the_emulator_round_trips_as_json(emulator: Emulator) -> None:
    cloud = applied_cloud(emulator, TEXT)
    observed, _ = plan_against(manifest_from(TEXT), cloud)
    assert ObservedState.from_json(observed.to_json()) == observed
