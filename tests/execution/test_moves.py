"""A deployment that moves to another account: its delete is a write to the OLD account, queued there."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tenantctl.cloud.azure import AzureCloud
from tenantctl.execution import ApplyStatus, apply_plan
from tenantctl.execution.schedule import Part, build_schedules
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Deployment

from .plans import cloud_differences, group_change, plan_of, tenant_changes


def _move(deployment: Change, to: Change) -> Change:
    """The REPLACE planning emits when a deployment's address now lives on another account."""
    assert isinstance(deployment.after, Deployment)
    assert to.account is not None
    return Change(
        deployment.address,
        ResourceKind.DEPLOYMENT,
        Action.REPLACE,
        deployment.after,
        replace(deployment.after, account=to.account),
        tenant=deployment.tenant,
        account=to.account,
        reason="moves to another account",
    )


def test_the_delete_half_of_a_move_queues_on_the_old_account_and_the_create_half_on_the_new_one() -> None:
    old_account, deployment = tenant_changes("s", "rg", "old", [1])
    new_account, *_ = tenant_changes("s", "rg", "new", [1])
    move = _move(deployment, new_account)
    (main,) = build_schedules((move,))
    halves = {s.part: s.queue for s in main.steps}
    assert old_account.account is not None
    assert new_account.account is not None
    assert halves == {Part.DELETE: old_account.account.key, Part.CREATE: new_account.account.key}


def test_moving_a_deployment_never_writes_to_the_old_account_while_it_is_busy(
    strict_cloud: AzureCloud, emu: Any, group: str
) -> None:
    subscription = str(emu.subscription_id)
    rg = group_change(subscription, group)
    old = tenant_changes(subscription, group, "old", [1, 1, 1, 1], group_address=rg.address)
    new = tenant_changes(subscription, group, "new", [1], group_address=rg.address)
    assert apply_plan(plan_of([rg, *old[:2], *new]), strict_cloud).status is ApplyStatus.SUCCESS
    move = _move(old[1], new[0])
    # the old account is also busy creating three more deployments; the strict adapter never
    # retries, so a delete sent to it while one of those runs fails with RequestConflict
    result = apply_plan(plan_of([move, *old[2:]]), strict_cloud, parallelism=4, attempts=1)

    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code) for o in result.failed]
    assert cloud_differences(strict_cloud, [old[0], *old[2:], new[0], new[1], move]) == []
