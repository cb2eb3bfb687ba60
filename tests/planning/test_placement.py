"""Placement of dedicated-deployment tenants on stamp accounts: deterministic, sticky, growing."""

from __future__ import annotations

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.placement import place

from .conftest import HEAD, manifest_from, on_stamp, stamp_block
from .simulate import applied


def test_tenants_fill_the_first_account_with_room_in_sorted_order() -> None:
    text = HEAD + stamp_block(per_account=3) + "".join(on_stamp(t) for t in ("delta", "alpha", "charlie", "bravo"))
    placement = place(manifest_from(text), ObservedState())
    # 1 shared deployment + 2 tenants per account; tenants taken in sorted order.
    assert dict(placement.hints.tenant_account) == {"alpha": 1, "bravo": 1, "charlie": 2, "delta": 2}
    assert placement.hints.stamp_accounts["eu1"] == 2
    assert not placement.diagnostics


def test_placement_is_the_same_whatever_the_order_tenants_are_declared_in() -> None:
    tenants = ["t5", "t1", "t4", "t2", "t3"]
    one = place(
        manifest_from(HEAD + stamp_block(per_account=3) + "".join(on_stamp(t) for t in tenants)), ObservedState()
    )
    two = place(
        manifest_from(HEAD + stamp_block(per_account=3) + "".join(on_stamp(t) for t in sorted(tenants))),
        ObservedState(),
    )
    assert one.hints == two.hints


def test_a_placed_tenant_stays_on_its_account_when_others_arrive_before_it() -> None:
    first = manifest_from(HEAD + stamp_block(per_account=3) + on_stamp("mmm") + on_stamp("nnn") + on_stamp("zzz"))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    assert place(first, state).hints.tenant_account["zzz"] == 2
    # New tenants sort before zzz and would take account 01/02 slots; zzz must not move.
    later = manifest_from(
        HEAD + stamp_block(per_account=3) + "".join(on_stamp(t) for t in ("aaa", "bbb", "mmm", "nnn", "zzz"))
    )
    placement = place(later, state)
    assert placement.hints.tenant_account["zzz"] == 2
    assert "zzz" in placement.sticky
    assert placement.hints.tenant_account["aaa"] == 2  # the only free slot left on existing accounts
    assert placement.hints.tenant_account["bbb"] == 3  # the stamp grows


def test_a_full_stamp_is_an_error_naming_the_tenant_and_the_limit() -> None:
    text = HEAD + stamp_block(per_account=2, max_accounts=2) + "".join(on_stamp(t) for t in ("a1", "a2", "a3"))
    placement = place(manifest_from(text), ObservedState())
    assert dict(placement.hints.tenant_account) == {"a1": 1, "a2": 2}
    [error] = placement.diagnostics.errors
    assert error.code == "stamp-full"
    assert error.tenant == "a3"
    assert "max_accounts=2" in error.detail


def test_unmanaged_deployments_on_a_stamp_account_take_up_room() -> None:
    import dataclasses

    from tenantctl.resources import Deployment

    m = manifest_from(HEAD + stamp_block(per_account=3) + on_stamp("one"))
    state = applied(ObservedState(), make_plan(m, ObservedState()))
    key, deps = next(iter(state.deployments.items()))
    ref = deps[0].account
    stranger = Deployment(ref, "hand-made", "gpt-4o", "2024-11-20", "GlobalStandard", 1)
    state = dataclasses.replace(state, deployments={key: (*deps, stranger)})
    m2 = manifest_from(HEAD + stamp_block(per_account=3) + on_stamp("one") + on_stamp("two"))
    assert place(m2, state).hints.tenant_account["two"] == 2
