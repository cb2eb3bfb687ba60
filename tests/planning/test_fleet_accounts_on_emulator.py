"""Fleet-wide observation on the emulator: the accounts of every subscription from one Resource Graph query,
paged and paced by its quota headers, confirmed against ARM where its index lags, and listed per
subscription where Resource Graph is not available (the real adapter over HTTPS, real applies)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.execution.executor import apply_plan
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import PlanOptions, plan_against

from .conftest import manifest_from
from .on_emulator import apply_manifest, arm_requests, register
from .test_pool_placement import A as PROVIDER
from .test_pool_placement import members, pool_manifest

A = "00000000-0000-0000-0000-0000000000a1"
B = "00000000-0000-0000-0000-0000000000b2"


def _settings(emulator: Emulator, **changes: object) -> None:
    emulator.settings = dataclasses.replace(emulator.settings, **changes)  # type: ignore[arg-type]


def _pool(count: int) -> Manifest:
    return manifest_from(pool_manifest([f"t{i}" for i in range(count)], members(A, B)))


def _applied(emulator: Emulator, manifest: Manifest) -> AzureCloud:
    """The pool applied for real (the provider's own subscription hosts none of its accounts)."""
    register(emulator, PROVIDER, A, B)
    cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest, cloud)
    emulator.reset_counts()
    cloud.stats.reset()
    return cloud


def test_accounts_of_every_subscription_come_page_by_page_from_one_query(emulator: Emulator) -> None:
    _settings(emulator, resource_graph_page_size=2)
    manifest = _pool(5)
    cloud = _applied(emulator, manifest)
    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes
    assert len(observed.accounts) == 5
    assert {a.ref.subscription_id for a in observed.accounts.values()} == {A, B}
    counts = arm_requests(emulator)
    assert counts["resourcegraph.resources"] == 3  # 2 + 2 + 1 rows, following $skipToken
    assert "accounts.list_by_resource_group" not in counts
    # The provider's subscription holds no account: Resource Graph cannot tell empty from unreadable, ARM can.
    assert counts["accounts.list"] == 1
    assert counts["deployments.list"] == 5


def test_a_used_up_quota_window_is_waited_out_before_the_next_page(emulator: Emulator) -> None:
    _settings(emulator, resource_graph_page_size=1, resource_graph_quota=2, resource_graph_window=1.0)
    manifest = _pool(4)
    cloud = _applied(emulator, manifest)
    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes
    assert len(observed.accounts) == 4
    # Four pages through a window of two queries a second: paced by x-ms-user-quota-remaining /
    # -resets-after, so no page was refused (a 429 would be a fifth request and a retry).
    assert arm_requests(emulator)["resourcegraph.resources"] == 4
    assert not cloud.stats.retries
    assert cloud.stats.slept >= 0.5


def test_a_429_from_resource_graph_is_retried_after_the_window_it_names(emulator: Emulator) -> None:
    _settings(emulator, resource_graph_quota=1, resource_graph_window=1.0)
    manifest = _pool(2)
    cloud = _applied(emulator, manifest)
    for _ in range(2):  # the second query comes within the first one's window
        _, plan = plan_against(manifest, cloud)
        assert not plan.has_changes
    assert cloud.stats.retries["RateLimiting"] >= 1
    assert not cloud.stats.failures


def test_accounts_not_indexed_yet_are_confirmed_against_arm_and_never_created_twice(emulator: Emulator) -> None:
    _settings(emulator, resource_graph_lag=3600)  # Resource Graph sees none of the accounts just created
    manifest = _pool(4)
    cloud = _applied(emulator, manifest)
    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes, [c.address for c in plan.actionable]
    assert len(observed.accounts) == 4
    counts = arm_requests(emulator)
    assert counts["resourcegraph.resources"] == 1
    assert counts["accounts.list"] == 3  # the provider's, A and B: each expected account is looked for in ARM
    apply_manifest(manifest, cloud)  # nothing to do: no PUT of an account that exists
    assert "accounts.begin_create" not in arm_requests(emulator)


def test_an_account_still_indexed_after_its_delete_does_not_come_back_into_the_plan(emulator: Emulator) -> None:
    _settings(emulator, resource_graph_lag=3600)
    cloud = _applied(emulator, _pool(3))
    smaller = _pool(2)  # t2 offboarded
    _, prune = plan_against(smaller, cloud, PlanOptions(prune=True))
    result = apply_plan(prune, cloud, parallelism=4)
    assert not result.failed
    emulator.reset_counts()
    # Resource Graph still shows t2's account (deleted within its lag); ARM, asked because the manifest no
    # longer accounts for it, does not: the plan is a no-op instead of deleting it again.
    observed, plan = plan_against(smaller, cloud, PlanOptions(prune=True))
    assert not plan.has_changes, [c.address for c in plan.actionable]
    assert sorted(a.ref.name for a in observed.accounts.values()) == ["ctso-t0", "ctso-t1"]
    assert arm_requests(emulator)["accounts.list"] >= 1


def test_without_resource_graph_each_subscription_is_listed_once(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    _settings(emulator, resource_graph=False)  # a cloud without it: 404 InvalidResourceType
    manifest = _pool(4)
    cloud = _applied(emulator, manifest)
    with caplog.at_level(logging.INFO, logger="tenantctl"):
        observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes
    assert len(observed.accounts) == 4
    counts = arm_requests(emulator)
    assert counts["accounts.list"] == 3  # one per subscription, not one per resource group
    assert counts["resourcegraph.resources"] == 1  # the answer that said it is not there
    assert "accounts.list_by_resource_group" not in counts
    assert "Resource Graph is not available" in caplog.text
