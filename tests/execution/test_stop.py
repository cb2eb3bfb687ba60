"""apply stops sending writes when told to (the apply lock was lost), and never re-sends after that.

The real adapter over HTTPS against the emulator; ``stop`` is apply's own hook for "the lock is gone"
(the blob-lease side of it, against Azurite, is in test_lock.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from tenantctl.cloud.azure import AzureCloud
from tenantctl.emulator import FaultSettings
from tenantctl.errors import ExitCode
from tenantctl.execution import ApplyStatus, OutcomeStatus, apply_plan
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Deployment

from .conftest import RecordingHooks
from .plans import cloud_differences, delete_change, group_change, plan_of, tenant_changes

LOST = "the apply lock test/apply.lock was lost: broken by someone else"


def test_once_stop_gives_a_reason_no_new_write_is_sent_and_the_run_is_partial(
    cloud: AzureCloud, subscription: str, group: str, hooks: RecordingHooks
) -> None:
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "halt", [1, 1, 1, 1], group_address=rg.address)]
    orphan = tenant_changes(subscription, group, "gone", [1], group_address=rg.address)
    assert apply_plan(plan_of([rg, *orphan]), cloud).status is ApplyStatus.SUCCESS
    first = changes[2].address

    def stop() -> str | None:  # the lock is lost as soon as the first deployment is done
        return LOST if first in hooks.order("done") else None

    plan = plan_of([*changes, delete_change(orphan[1])])
    result = apply_plan(plan, cloud, hooks=hooks, stop=stop)

    assert result.stopped == LOST
    assert result.status is ApplyStatus.PARTIAL
    assert result.exit_code == ExitCode.PARTIAL
    assert result.outcome(first).ok
    later = [result.outcome(c.address) for c in changes[3:]]
    assert [o.status for o in later] == [OutcomeStatus.SKIPPED] * 3
    assert all(o.reason == LOST for o in later)
    assert result.prune_skipped == f"prune skipped: {LOST}"
    # nothing was sent after the stop: only the first deployment exists, the orphan is still there
    assert [d.name for d in cloud.list_deployments(changes[1].account)] == ["chat0"]  # type: ignore[arg-type]
    assert [d.name for d in cloud.list_deployments(orphan[0].account)] == ["chat0"]  # type: ignore[arg-type]


def test_a_change_that_failed_is_not_sent_again_once_the_run_is_stopped(
    strict_cloud: AzureCloud, emu: Any, group: str, hooks: RecordingHooks
) -> None:
    subscription = str(emu.subscription_id)
    rg = group_change(subscription, group)
    rg_account_dep = [rg, *tenant_changes(subscription, group, "once", [1], group_address=rg.address)]
    assert apply_plan(plan_of(rg_account_dep[:2]), strict_cloud).status is ApplyStatus.SUCCESS
    emu.set_faults(FaultSettings(rate_5xx=1.0, methods=("PUT",), retry_after=0))
    emu.reset_counts()

    def stop() -> str | None:  # the lock is lost while the executor waits to re-send
        return LOST if hooks.order("retry") else None

    result = apply_plan(plan_of(rg_account_dep[2:]), strict_cloud, hooks=hooks, attempts=5, stop=stop)

    emu.set_faults(FaultSettings())
    outcome = result.outcome(rg_account_dep[2].address)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.attempts == 1
    assert emu.request_counts().get("deployments.begin_create_or_update") == 1
    assert result.stopped == LOST
    assert result.status is ApplyStatus.ERROR


def test_a_replace_stopped_between_its_delete_and_its_create_is_reported_failed_not_skipped(
    cloud: AzureCloud, subscription: str, group: str
) -> None:
    account, swap = _applied_then_replaced(cloud, subscription, group, "swap", sku="Standard")
    asked = 0

    def stop() -> str | None:  # asked before the delete (carry on), then before the create (stop)
        nonlocal asked
        asked += 1
        return LOST if asked > 1 else None

    result = apply_plan(plan_of([swap]), cloud, stop=stop)

    outcome = result.outcome(swap.address)
    # the deployment is gone: "skipped" would tell the operator nothing happened
    assert cloud.list_deployments(account.account) == []  # type: ignore[arg-type]
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.code == "ReplaceIncomplete"
    assert LOST in outcome.message
    assert result.status is ApplyStatus.ERROR
    # and a re-run converges
    assert apply_plan(plan_of([swap]), cloud).status is ApplyStatus.SUCCESS
    assert cloud_differences(cloud, [account, replace(swap, action=Action.CREATE)]) == []


def test_a_replace_whose_create_fails_says_the_old_resource_is_already_deleted(
    cloud: AzureCloud, subscription: str, group: str
) -> None:
    # Azure refuses this capacity, so the create half fails
    account, swap = _applied_then_replaced(cloud, subscription, group, "swap2", sku="Standard", capacity=10**9)

    outcome = apply_plan(plan_of([swap]), cloud).outcome(swap.address)

    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.message.startswith("the old one is already deleted; ")
    assert cloud.list_deployments(account.account) == []  # type: ignore[arg-type]


def test_a_stop_cuts_short_the_adapters_wait_out_a_long_retry_after_and_nothing_is_re_sent(
    cloud: AzureCloud, emu: Any, subscription: str, group: str
) -> None:
    rg = group_change(subscription, group)
    made = [rg, *tenant_changes(subscription, group, "slow", [1], group_address=rg.address)]
    assert apply_plan(plan_of(made[:2]), cloud).status is ApplyStatus.SUCCESS
    # every PUT is throttled with "come back in 30 s": the adapter would wait minutes before giving up
    emu.set_faults(FaultSettings(rate_429=1.0, methods=("PUT",), retry_after=30))
    emu.reset_counts()
    started = time.monotonic()

    def stop() -> str | None:  # the lock is lost a second into the apply
        return LOST if time.monotonic() - started > 1.0 else None

    finished: list[Any] = []
    worker = threading.Thread(target=lambda: finished.append(apply_plan(plan_of(made[2:]), cloud, stop=stop)))
    worker.start()
    worker.join(15)
    emu.set_faults(FaultSettings())

    assert finished, "apply kept waiting out Retry-After after it was stopped"
    result = finished[0]
    assert time.monotonic() - started < 10
    outcome = result.outcome(made[2].address)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.code == "TooManyRequests"
    assert emu.request_counts().get("deployments.begin_create_or_update") == 1  # never re-sent
    assert result.stopped == LOST
    # the adapter retries as usual again afterwards
    assert apply_plan(plan_of(made[2:]), cloud).status is ApplyStatus.SUCCESS


def test_a_step_that_dies_of_a_base_exception_fails_and_what_depends_on_it_is_skipped_not_written(
    cloud: AzureCloud, emu: Any, subscription: str, group: str
) -> None:
    rg = group_change(subscription, group)
    changes = [rg, *tenant_changes(subscription, group, "boom", [1], group_address=rg.address)]
    account = changes[1]

    class Dying(RecordingHooks):
        def on_start(self, change: Change) -> None:  # not an Exception: _SafeHooks lets it through
            if change.address == account.address:
                raise SystemExit("hook died")

    emu.reset_counts()
    result = apply_plan(plan_of(changes), cloud, hooks=Dying())

    assert result.outcome(account.address).status is OutcomeStatus.FAILED
    assert result.outcome(account.address).code == "InternalError"
    dependant = result.outcome(changes[2].address)
    assert dependant.status is OutcomeStatus.SKIPPED
    assert str(account.address) in dependant.reason
    assert "deployments.begin_create_or_update" not in emu.request_counts()
    assert result.status is ApplyStatus.PARTIAL  # the group was made


def test_a_stop_also_cuts_short_the_executors_own_wait_before_re_sending_a_change(
    strict_cloud: AzureCloud, emu: Any, group: str
) -> None:
    subscription = str(emu.subscription_id)
    rg = group_change(subscription, group)
    made = [rg, *tenant_changes(subscription, group, "wait", [1], group_address=rg.address)]
    assert apply_plan(plan_of(made[:2]), strict_cloud).status is ApplyStatus.SUCCESS
    # the strict adapter gives up at once; the executor would wait Retry-After (30 s) to re-send
    emu.set_faults(FaultSettings(rate_429=1.0, methods=("PUT",), retry_after=30))
    emu.reset_counts()
    started = time.monotonic()

    def stop() -> str | None:
        return LOST if time.monotonic() - started > 1.0 else None

    finished: list[Any] = []
    worker = threading.Thread(
        target=lambda: finished.append(apply_plan(plan_of(made[2:]), strict_cloud, attempts=3, stop=stop))
    )
    worker.start()
    worker.join(15)
    emu.set_faults(FaultSettings())

    assert finished, "apply kept waiting to re-send after it was stopped"
    assert time.monotonic() - started < 10
    assert finished[0].outcome(made[2].address).attempts == 1
    assert emu.request_counts().get("deployments.begin_create_or_update") == 1


def _applied_then_replaced(
    cloud: AzureCloud, subscription: str, group: str, tenant: str, **after: object
) -> tuple[Change, Change]:
    """Apply a tenant with one deployment; return its account change and a REPLACE of that deployment."""
    rg = group_change(subscription, group)
    account, deployment = tenant_changes(subscription, group, tenant, [5], group_address=rg.address)
    assert apply_plan(plan_of([rg, account, deployment]), cloud).status is ApplyStatus.SUCCESS
    assert isinstance(deployment.after, Deployment)
    swap = Change(
        deployment.address,
        ResourceKind.DEPLOYMENT,
        Action.REPLACE,
        deployment.after,
        replace(deployment.after, **after),  # type: ignore[arg-type]
        tenant=tenant,
        account=deployment.account,
    )
    return account, swap
