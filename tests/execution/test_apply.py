"""apply_plan through the real adapter against the emulator: scheduling, order, failures, prune."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from tenantctl.addresses import Purge
from tenantctl.cloud.azure import AzureCloud
from tenantctl.errors import ExitCode
from tenantctl.execution import ApplyStatus, OutcomeStatus, apply_plan
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Account, Deployment

from .conftest import RecordingHooks
from .plans import DeploymentSpec, cloud_differences, delete_change, group_change, plan_of, tenant_changes


def _overlaps(intervals: list[tuple[float, float]]) -> bool:
    ordered = sorted(intervals)
    return any(b_start < a_end for (_, a_end), (b_start, _) in itertools.pairwise(ordered))


def test_writes_to_one_account_never_overlap_while_different_accounts_run_in_parallel(
    strict_cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    tenants = [tenant_changes(subscription, group, f"t{n}", [1, 1, 1], group_address=rg.address) for n in range(4)]
    changes = [rg, *[c for t in tenants for c in t]]

    # The strict adapter never retries, so one RequestConflict from the emulator (two writes in flight
    # on one account) would fail a change: success proves the emulator never saw an overlap.
    result = apply_plan(plan_of(changes), strict_cloud, hooks=hooks, parallelism=8, attempts=1)

    assert result.status is ApplyStatus.SUCCESS, [o for o in result.outcomes if not o.ok]
    assert result.exit_code == ExitCode.SUCCESS
    assert not [e for e in hooks.events if e.kind == "retry"]
    spans = hooks.intervals()
    for tenant in tenants:
        assert not _overlaps([spans[c.address] for c in tenant]), f"writes overlapped on {tenant[0].account}"
    all_spans = [spans[c.address] for t in tenants for c in t]
    assert _overlaps(all_spans), "accounts were written one at a time, not in parallel"
    assert cloud_differences(strict_cloud, changes) == []


def test_the_busiest_accounts_queue_starts_first(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    quiet = [tenant_changes(subscription, group, f"q{n}", [], group_address=rg.address) for n in range(3)]
    busy = tenant_changes(subscription, group, "busy", [1, 1, 1, 1], group_address=rg.address)
    changes = [rg, *[c for t in quiet for c in t], *busy]  # the busy tenant comes last in the plan

    result = apply_plan(plan_of(changes), cloud, hooks=hooks, parallelism=1)

    assert result.status is ApplyStatus.SUCCESS
    started = hooks.order("start")
    assert list(map(str, started[:3])) == [str(rg.address), "tenant.busy.account", "tenant.busy.deployment.chat0"]


def test_resource_group_account_blocklist_policy_and_deployment_are_written_in_dependency_order(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "acme", [1, 2], content_filter=True, group_address=rg.address)]

    result = apply_plan(plan_of(list(reversed(changes))), cloud, hooks=hooks)

    assert result.status is ApplyStatus.SUCCESS, result.failed
    kinds = [next(c.kind for c in changes if c.address == a) for a in hooks.order("done")]
    assert kinds == [
        ResourceKind.RESOURCE_GROUP,
        ResourceKind.ACCOUNT,
        ResourceKind.BLOCKLIST,
        ResourceKind.RAI_POLICY,
        ResourceKind.DEPLOYMENT,
        ResourceKind.DEPLOYMENT,
    ]
    assert [o.address for o in result.outcomes] == [c.address for c in reversed(changes)]  # plan order
    account = result.outcome("tenant.acme.account").result
    assert isinstance(account, Account)
    assert account.endpoint
    assert cloud_differences(cloud, changes) == []


def test_a_tenant_short_of_quota_fails_alone_and_the_prune_is_skipped(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    orphan = tenant_changes(subscription, group, "orphan", [1], group_address=rg.address)
    assert apply_plan(plan_of([rg, *orphan]), cloud).status is ApplyStatus.SUCCESS
    gpt41 = {"model": "gpt-4.1", "version": "2025-04-14", "sku": "GlobalStandard"}
    greedy = tenant_changes(
        subscription, group, "greedy", [DeploymentSpec("big", 600, **gpt41), DeploymentSpec("bigger", 600, **gpt41)]
    )
    fine = [tenant_changes(subscription, group, f"ok{n}", [1, 1]) for n in range(2)]
    prune = [delete_change(c) for c in orphan]
    changes = [*greedy, *[c for t in fine for c in t], *prune]

    result = apply_plan(plan_of(changes), cloud, hooks=hooks)

    assert result.status is ApplyStatus.PARTIAL
    assert result.exit_code == ExitCode.PARTIAL
    assert int(result.exit_code) == 3
    failed = result.failed
    assert [str(o.address) for o in failed] == ["tenant.greedy.deployment.bigger"]
    assert failed[0].code == "InsufficientQuota"
    assert "tenantctl quota" in failed[0].hint
    assert failed[0].message
    assert all(result.outcome(c.address).ok for t in fine for c in t)
    assert result.outcome("tenant.greedy.deployment.big").ok  # a sibling failure does not skip it
    assert result.prune_skipped
    assert "failed" in result.prune_skipped
    assert {result.outcome(c.address).status for c in prune} == {OutcomeStatus.SKIPPED}
    assert "aoai-orphan" in {a.ref.name for a in cloud.list_accounts(subscription, group)}  # not pruned
    assert orphan[0].account is not None
    assert [d.name for d in cloud.list_deployments(orphan[0].account)] == ["chat0"]
    assert result.counts == {OutcomeStatus.OK: 8, OutcomeStatus.FAILED: 1, OutcomeStatus.SKIPPED: 2}


def test_changes_that_depend_on_a_failed_change_are_skipped_with_the_reason(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    broken = tenant_changes(subscription, group, "mars", [1, 1], location="marsnorth", group_address=rg.address)
    fine = tenant_changes(subscription, group, "earth", [1], group_address=rg.address)

    result = apply_plan(plan_of([rg, *broken, *fine]), cloud, hooks=hooks)

    assert result.status is ApplyStatus.PARTIAL
    assert result.outcome("tenant.mars.account").status is OutcomeStatus.FAILED
    assert result.outcome("tenant.mars.account").code
    for dep in broken[1:]:
        outcome = result.outcome(dep.address)
        assert outcome.status is OutcomeStatus.SKIPPED
        assert "tenant.mars.account" in outcome.reason
    assert {e.change.address for e in hooks.events if e.kind == "skip"} == {c.address for c in broken[1:]}
    assert all(result.outcome(c.address).ok for c in fine)


def test_when_nothing_fails_the_prune_runs_last_deleting_deployments_before_their_account(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    gone = tenant_changes(subscription, group, "gone", [1, 1], content_filter=True, group_address=rg.address)
    kept = tenant_changes(subscription, group, "kept", [1], group_address=rg.address)
    assert apply_plan(plan_of([rg, *gone, *kept[:1]]), cloud).status is ApplyStatus.SUCCESS
    prune = [delete_change(c) for c in reversed(gone)]

    result = apply_plan(plan_of([*prune, kept[1]]), cloud, hooks=hooks)

    assert result.status is ApplyStatus.SUCCESS, result.failed
    assert result.prune_skipped is None
    done = hooks.order("done")
    assert done[0] == kept[1].address  # deletes last
    assert str(done[-1]) == "tenant.gone.account"
    assert cloud_differences(cloud, kept) == []


def test_a_run_that_may_not_prune_skips_the_deletes_and_still_succeeds(
    cloud: AzureCloud, subscription: str, group: str
) -> None:
    rg = group_change(subscription, group)
    tenant = tenant_changes(subscription, group, "stay", [1], group_address=rg.address)
    assert apply_plan(plan_of([rg, *tenant]), cloud).status is ApplyStatus.SUCCESS

    result = apply_plan(plan_of([delete_change(c) for c in tenant]), cloud, prune_allowed=False)

    assert result.status is ApplyStatus.SUCCESS
    assert result.exit_code == ExitCode.SUCCESS
    assert result.prune_skipped
    assert "not allowed" in result.prune_skipped
    assert cloud_differences(cloud, tenant) == []


def test_a_replace_deletes_then_recreates_the_deployment(cloud: AzureCloud, subscription: str, group: str) -> None:
    rg = group_change(subscription, group)
    account, deployment = tenant_changes(subscription, group, "swap", [5], group_address=rg.address)
    assert apply_plan(plan_of([rg, account, deployment]), cloud).status is ApplyStatus.SUCCESS
    assert isinstance(deployment.after, Deployment)
    new = replace(deployment.after, sku="Standard")
    swap = Change(
        deployment.address,
        ResourceKind.DEPLOYMENT,
        Action.REPLACE,
        deployment.after,
        new,
        tenant="swap",
        account=deployment.account,
    )

    result = apply_plan(plan_of([swap]), cloud)

    assert result.status is ApplyStatus.SUCCESS, result.failed
    assert [d.sku for d in cloud.list_deployments(account.account)] == ["Standard"]  # type: ignore[arg-type]


def test_a_soft_deleted_name_fails_with_a_hint_and_purge_then_create_recovers_it(
    cloud: AzureCloud, subscription: str, group: str, emu: Any
) -> None:
    rg = group_change(subscription, group)
    account = tenant_changes(subscription, group, "phoenix", [], group_address=rg.address)[0]
    assert apply_plan(plan_of([rg, account]), cloud).status is ApplyStatus.SUCCESS
    assert apply_plan(plan_of([delete_change(account)]), cloud).status is ApplyStatus.SUCCESS

    blocked = apply_plan(plan_of([account]), cloud)

    assert blocked.status is ApplyStatus.ERROR
    assert blocked.exit_code == ExitCode.ERROR
    outcome = blocked.outcome(account.address)
    assert outcome.code == "FlagMustBeSetForRestore"
    assert "--purge-deleted" in outcome.hint
    (deleted,) = [d for d in cloud.list_deleted_accounts(subscription) if d.ref.name == "aoai-phoenix"]
    purge = Change(
        Purge(account.address),
        ResourceKind.ACCOUNT,
        Action.PURGE,
        deleted,
        None,
        tenant="phoenix",
        account=account.account,
    )

    result = apply_plan(plan_of([account, purge]), cloud)

    assert result.status is ApplyStatus.SUCCESS, result.failed
    assert cloud_differences(cloud, [account]) == []


def test_a_delete_that_frees_quota_for_a_create_runs_first_even_though_deletes_normally_run_last(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    gpt41 = {"model": "gpt-4.1", "version": "2025-04-14", "sku": "GlobalStandard"}
    old = tenant_changes(subscription, group, "old", [DeploymentSpec("big", 700, **gpt41)], group_address=rg.address)
    assert apply_plan(plan_of([rg, *old]), cloud).status is ApplyStatus.SUCCESS
    new = tenant_changes(subscription, group, "new", [DeploymentSpec("big", 700, **gpt41)])
    free = delete_change(old[1])  # phase 1: planning's quota ledger says the create waits for it
    needs = replace(new[1], depends_on=(*new[1].depends_on, free.address))

    result = apply_plan(plan_of([new[0], needs, free]), cloud, hooks=hooks)

    assert result.status is ApplyStatus.SUCCESS, result.failed
    done = hooks.order("done")
    assert done.index(free.address) < done.index(needs.address)
    assert result.prune_skipped is None


class _BrokenHooks(RecordingHooks):
    def on_start(self, change: Change) -> None:
        raise RuntimeError("the progress bar fell over")


def test_a_hook_that_raises_does_not_stop_the_writes(cloud: AzureCloud, subscription: str, group: str) -> None:
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "robust", [1], group_address=rg.address)]
    hooks = _BrokenHooks()

    result = apply_plan(plan_of(changes), cloud, hooks=hooks)

    assert result.status is ApplyStatus.SUCCESS
    assert len(hooks.order("done")) == len(changes)
    assert cloud_differences(cloud, changes) == []


def test_an_empty_plan_succeeds_without_touching_the_cloud(cloud: AzureCloud, emu: Any) -> None:
    emu.reset_counts()
    result = apply_plan(plan_of([]), cloud)
    assert result.status is ApplyStatus.SUCCESS
    assert result.outcomes == ()
    assert emu.request_counts().get("total", 0) == 0
