"""Order and dependencies: parents before children on create, children before parents on delete."""

from __future__ import annotations

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action

from .conftest import HEAD, dedicated, manifest_from, on_stamp, stamp_block
from .simulate import applied

FILTER = 'content_filter = { blocklist = ["secret"] }'


def test_creates_run_group_then_account_then_blocklist_then_policy_then_deployment() -> None:
    plan = make_plan(manifest_from(HEAD + dedicated("acme", extra=FILTER)), ObservedState())
    assert [c.kind.value for c in plan.changes] == [
        "resource-group",
        "account",
        "blocklist",
        "rai-policy",
        "deployment",
    ]
    deps = {str(c.address): set(map(str, c.depends_on)) for c in plan.changes}
    assert deps["tenant.acme.deployment.chat"] == {"tenant.acme.account", "tenant.acme.rai-policy"}
    assert deps["tenant.acme.rai-policy"] == {"tenant.acme.account", "tenant.acme.blocklist"}


def test_every_dependency_comes_earlier_in_the_plan() -> None:
    text = (
        HEAD
        + stamp_block(per_account=2)
        + "".join(on_stamp(t, extra=FILTER) for t in ("aa", "bb", "cc"))
        + dedicated("zz")
    )
    plan = make_plan(manifest_from(text), ObservedState())
    seen: set[str] = set()
    for change in plan.changes:
        assert set(change.depends_on) <= seen, change.address
        seen.add(change.address)


def test_deletes_run_last_and_children_before_their_account_and_policy() -> None:
    before = HEAD + stamp_block() + dedicated("gone", extra=FILTER) + on_stamp("also", extra=FILTER)
    state = applied(ObservedState(), make_plan(manifest_from(before), ObservedState()))
    plan = make_plan(manifest_from(HEAD + stamp_block() + dedicated("new")), state, prune=True)
    actions = [c.action for c in plan.changes if c.action.is_change]
    first_delete = actions.index(Action.DELETE)
    assert all(a is Action.DELETE for a in actions[first_delete:])
    order = [str(c.address) for c in plan.changes]
    assert order.index("tenant.gone.deployment.chat") < order.index("tenant.gone.rai-policy")
    assert order.index("tenant.gone.rai-policy") < order.index("tenant.gone.blocklist")
    assert order.index("tenant.gone.blocklist") < order.index("tenant.gone.account")
    assert order.index("tenant.also.deployment.chat") < order.index("tenant.also.rai-policy")
    account = next(c for c in plan.changes if str(c.address) == "tenant.gone.account")
    assert set(map(str, account.depends_on)) == {
        "tenant.gone.deployment.chat",
        "tenant.gone.rai-policy",
        "tenant.gone.blocklist",
    }
    assert account.phase == 2
