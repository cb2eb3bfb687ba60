"""Re-sent DELETEs are harmless: a DELETE whose answer was lost meets a busy or already-gone resource."""

from __future__ import annotations

from typing import Any

from tenantctl.cloud.azure import AzureCloud
from tenantctl.emulator import FaultSettings
from tenantctl.execution import ApplyStatus, apply_plan

from .plans import delete_change, group_change, plan_of, tenant_changes


def test_a_prune_whose_deletes_are_dropped_and_re_sent_converges_and_a_rerun_finds_nothing_to_fail_on(
    cloud: AzureCloud, emu: Any, subscription: str, group: str
) -> None:
    rg = group_change(subscription, group)
    made = [rg]
    for n in range(4):
        made += tenant_changes(
            subscription, group, f"p{n}", [1, 1], content_filter=n % 2 == 0, group_address=rg.address
        )
    assert apply_plan(plan_of(made), cloud).status is ApplyStatus.SUCCESS
    # planning's prune order: what lives in an account first, then the account (the executor adds
    # the account-after-children edges itself)
    prune = plan_of(delete_change(c) for c in reversed(made[1:]))
    # dropped DELETEs (half of them after Azure accepted them) and failed delete operations: every
    # retried DELETE meets a resource that is busy deleting, or already gone
    emu.set_faults(FaultSettings(drop_rate=0.25, lro_fail_rate=0.2, methods=("DELETE",), retry_after=0, seed=9))
    emu.reset_counts()
    try:
        result = apply_plan(prune, cloud)
    finally:
        emu.set_faults(FaultSettings())

    assert result.status is ApplyStatus.SUCCESS, [(o.address, o.code, o.message) for o in result.failed]
    deletes = sum(n for op, n in emu.request_counts().items() if op.endswith("begin_delete"))
    assert deletes > len(made) - 1, "no DELETE was re-sent: the test proves nothing"
    assert cloud.list_accounts(subscription, group) == []
    deleted = [d.ref.name for d in cloud.list_deleted_accounts(subscription) if d.ref.resource_group == group]
    assert sorted(deleted) == sorted(f"aoai-p{n}" for n in range(4))  # each soft-deleted once
    assert apply_plan(prune, cloud).status is ApplyStatus.SUCCESS  # deleting what is gone is success
