"""The schedule: which write waits for which, and who goes first (pure, no cloud)."""

from __future__ import annotations

from dataclasses import replace

from tenantctl.execution.schedule import Part, Step, build_schedules
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Deployment

from .plans import delete_change, group_change, tenant_changes

SUB = "00000000-0000-0000-0000-000000000001"


def _addresses(steps: list[Step]) -> list[tuple[str, str]]:
    return [(s.change.address, s.part.value) for s in steps]


def test_an_accounts_writes_form_one_chain_in_creation_order() -> None:
    changes = tenant_changes(SUB, "rg", "acme", [1, 2], content_filter=True)
    main, *later = build_schedules(tuple(reversed(changes)))  # plan order must not matter
    assert later == []
    assert [s.change.kind for s in main.steps] == [
        ResourceKind.ACCOUNT,
        ResourceKind.BLOCKLIST,
        ResourceKind.RAI_POLICY,
        ResourceKind.DEPLOYMENT,
        ResourceKind.DEPLOYMENT,
    ]
    for before, after in zip(main.steps, main.steps[1:], strict=False):
        assert before in after.predecessors  # the queue edge: strictly one after the other


def test_sibling_deployments_only_queue_behind_each_other_they_do_not_require_each_other() -> None:
    changes = tenant_changes(SUB, "rg", "acme", [1, 2])
    main, *_ = build_schedules(tuple(changes))
    second = main.steps[2]
    assert main.steps[1] in second.predecessors
    assert main.steps[1] not in second.requires
    assert main.steps[0] in second.requires


def test_the_busiest_account_gets_the_highest_priority() -> None:
    busy = tenant_changes(SUB, "rg", "busy", [1] * 6)
    quiet = tenant_changes(SUB, "rg", "quiet", [1])
    main, *_ = build_schedules(tuple(quiet + busy))
    first = {s.change.tenant: s.priority for s in main.steps if s.change.kind is ResourceKind.ACCOUNT}
    assert first == {"busy": 7, "quiet": 2}


def test_a_resource_group_is_required_by_its_accounts_and_inherits_their_priority() -> None:
    rg = group_change(SUB, "rg")
    changes = [rg, *tenant_changes(SUB, "rg", "a", [1, 1, 1]), *tenant_changes(SUB, "rg", "b", [1])]
    main, *_ = build_schedules(tuple(changes))
    group_step = next(s for s in main.steps if s.change is rg)
    accounts = [s for s in main.steps if s.change.kind is ResourceKind.ACCOUNT]
    assert all(group_step in s.requires for s in accounts)  # implicit: the plan did not say so
    assert group_step.priority == 5


def test_a_replace_is_a_delete_then_a_create_on_the_same_queue() -> None:
    create = tenant_changes(SUB, "rg", "acme", [1, 1])
    old = create[1]
    assert isinstance(old.after, Deployment)
    new_record = replace(old.after, sku="Standard")
    swap = Change(
        old.address,
        old.kind,
        Action.REPLACE,
        old.after,
        new_record,
        tenant="acme",
        account=old.account,
        depends_on=old.depends_on,
    )
    main, *_ = build_schedules((create[0], swap, create[2]))
    parts = _addresses(main.steps)
    assert parts.index((old.address, "delete")) + 1 == parts.index((old.address, "create"))
    delete = next(s for s in main.steps if s.part is Part.DELETE)
    recreate = next(s for s in main.steps if s.part is Part.CREATE)
    assert delete in recreate.requires
    assert delete.queue == recreate.queue


def test_deletes_form_their_own_schedule_with_an_accounts_children_before_the_account() -> None:
    changes = tenant_changes(SUB, "rg", "gone", [1, 1], content_filter=True)
    deletes = [delete_change(c) for c in changes]
    main, prune = build_schedules(tuple(deletes))
    assert prune.stage == 2
    assert not main.steps
    kinds = [s.change.kind for s in prune.steps]
    assert kinds == [
        ResourceKind.DEPLOYMENT,
        ResourceKind.DEPLOYMENT,
        ResourceKind.RAI_POLICY,
        ResourceKind.BLOCKLIST,
        ResourceKind.ACCOUNT,
    ]
    account_delete = prune.steps[-1]
    assert {s.change.address for s in account_delete.requires} == {c.address for c in changes[1:]}


def test_a_dependency_cycle_is_reported_instead_of_hanging() -> None:
    a, b = tenant_changes(SUB, "rg", "x", [1])
    a = replace(a, depends_on=(b.address,))
    main, *_ = build_schedules((a, b))
    assert {c.address for c in main.cyclic} == {a.address, b.address}
    assert not main.steps


def test_a_dependency_outside_the_plan_counts_as_already_done() -> None:
    _account, deployment = tenant_changes(SUB, "rg", "x", [1])
    main, *_ = build_schedules((deployment,))  # the account is in sync: a NOOP, not in the schedule
    assert main.steps[0].requires == []


def test_a_delete_a_create_waits_for_stays_in_the_first_stage_ahead_of_that_create() -> None:
    old = tenant_changes(SUB, "rg", "old", [600])
    new = tenant_changes(SUB, "rg", "new", [600])
    free = delete_change(old[1])  # frees the quota the new deployment needs
    needs = replace(new[1], depends_on=(*new[1].depends_on, free.address))
    main, *later = build_schedules((new[0], needs, free))
    assert later == []
    order = [s.change.address for s in main.steps]
    assert order.index(free.address) < order.index(needs.address)
    assert next(s for s in main.steps if s.change is free) in next(s for s in main.steps if s.change is needs).requires


def test_planning_phases_become_stages_that_run_one_after_the_other() -> None:
    tenant = tenant_changes(SUB, "rg", "t", [1, 1])
    prune = replace(delete_change(tenant[1]), phase=2)
    retire = replace(delete_change(tenant[2]), phase=3)
    stages = build_schedules((tenant[0], retire, prune))
    assert [(s.stage, [x.change.address for x in s.steps]) for s in stages] == [
        (1, [tenant[0].address]),
        (2, [prune.address]),
        (3, [retire.address]),
    ]
