"""The quota ledger: need vs limit - used + frees, per subscription x region x usage name."""

from __future__ import annotations

import dataclasses

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action, Plan
from tenantctl.resources import ModelOffer, QuotaUsage

from .conftest import HEAD, LOC, SUB, dedicated, manifest_from, stamp_block
from .simulate import applied


def _region(observed: ObservedState, *usages: QuotaUsage, offers: tuple[ModelOffer, ...] = ()) -> ObservedState:
    # No offers = catalogue not read (an empty catalogue that was read would mean "nothing offered").
    models = {(SUB, LOC): offers} if offers else {}
    return dataclasses.replace(observed, usages={(SUB, LOC): usages}, models=models)


def _plan(text: str, observed: ObservedState, **options: object) -> Plan:
    return make_plan(manifest_from(text), observed, **options)  # type: ignore[arg-type]


def test_a_line_with_enough_headroom_is_reported_and_not_an_error() -> None:
    observed = _region(ObservedState(), QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 100, 450))
    plan = _plan(HEAD + dedicated("acme", capacity=50), observed)
    [line] = [q for q in plan.quota if q.usage_name == "OpenAI.GlobalStandard.gpt-4o"]
    assert (line.need, line.frees, line.used, line.limit, line.headroom) == (50, 0, 100, 450, 300)
    assert not plan.is_blocked


def test_a_short_line_blocks_the_plan_with_need_limit_used_and_headroom() -> None:
    observed = _region(ObservedState(), QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 430, 450))
    plan = _plan(HEAD + dedicated("acme", capacity=50), observed)
    [error] = [d for d in plan.diagnostics.errors if d.code == "quota-short"]
    assert "short by 30" in error.summary
    assert "need 50, limit 450, used 430" in error.detail
    assert plan.is_blocked


def test_usage_names_come_from_the_catalogue_and_match_case_insensitively() -> None:
    offer = ModelOffer(LOC, "gpt-4o", "2024-11-20", "GlobalStandard", "OpenAI.GlobalStandard.GPT4o")
    observed = _region(ObservedState(), QuotaUsage(SUB, LOC, "openai.globalstandard.gpt4o", 0, 20), offers=(offer,))
    plan = _plan(HEAD + dedicated("acme", capacity=10), observed)
    [line] = [q for q in plan.quota if q.usage_name.lower() == "openai.globalstandard.gpt4o"]
    assert (line.limit, line.need) == (20, 10)


def test_capacity_decreases_and_deletes_free_quota_for_creates_that_then_wait_for_them() -> None:
    text = HEAD + dedicated("old", capacity=40) + dedicated("keep", capacity=30)
    state = applied(ObservedState(), make_plan(manifest_from(text), ObservedState()))
    observed = _region(state, QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 70, 100))
    plan = _plan(HEAD + dedicated("keep", capacity=10) + dedicated("new", capacity=50), observed, prune=True)
    [line] = [q for q in plan.quota if q.usage_name == "OpenAI.GlobalStandard.gpt-4o"]
    assert (line.need, line.frees, line.headroom) == (50, 60, 40)
    create = next(c for c in plan.changes if str(c.address) == "tenant.new.deployment.chat")
    assert set(map(str, create.depends_on)) >= {"tenant.old.deployment.chat", "tenant.keep.deployment.chat"}
    delete = next(c for c in plan.changes if str(c.address) == "tenant.old.deployment.chat")
    assert delete.phase == 1  # moved ahead of the other deletes because a create needs its quota
    order = [str(c.address) for c in plan.changes]
    assert order.index("tenant.old.deployment.chat") < order.index("tenant.new.deployment.chat")


def test_a_sku_change_needs_the_new_line_while_the_old_deployment_still_holds_its_own() -> None:
    """Make-before-break: the successor is created beside the old deployment, so both count meanwhile."""
    state = applied(ObservedState(), make_plan(manifest_from(HEAD + dedicated("acme", capacity=20)), ObservedState()))
    observed = _region(
        state,
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 20, 100),
        QuotaUsage(SUB, LOC, "OpenAI.DataZoneStandard.gpt-4o", 0, 100),
    )
    text = HEAD + dedicated("acme", capacity=20).replace("capacity = 20", 'capacity = 20, sku = "DataZoneStandard"')
    plan = _plan(text, observed)
    lines = {q.usage_name: q for q in plan.quota}
    assert "OpenAI.GlobalStandard.gpt-4o" not in lines  # nothing freed before the old one is retired
    assert lines["OpenAI.DataZoneStandard.gpt-4o"].need == 20
    deployments = [c for c in plan.changes if c.kind.value == "deployment"]
    assert [c.action for c in deployments] == [Action.CREATE, Action.NOOP]


def test_a_model_version_the_region_does_not_offer_is_an_error() -> None:
    offer = ModelOffer(LOC, "gpt-4o", "2024-08-06", "GlobalStandard", "OpenAI.GlobalStandard.gpt-4o")
    observed = _region(ObservedState(), QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 0, 100), offers=(offer,))
    plan = _plan(HEAD + dedicated("acme"), observed)
    [error] = [d for d in plan.diagnostics.errors if d.code == "model-not-offered"]
    assert "2024-08-06/GlobalStandard" in error.detail


def test_new_accounts_beyond_the_region_limit_are_an_error() -> None:
    observed = _region(
        ObservedState(),
        QuotaUsage(SUB, LOC, "OpenAI.S0.AccountCount", 29, 30),
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 0, 100),
    )
    plan = _plan(HEAD + dedicated("a1") + dedicated("a2"), observed)
    assert [d.code for d in plan.diagnostics.errors] == ["account-limit"]


def test_more_than_32_deployments_on_one_account_is_an_error() -> None:
    deployments = ", ".join(f'{{ name = "d{i:02d}", capacity = 1 }}' for i in range(33))
    text = HEAD + f'\n[tenants.big]\nisolation = "dedicated"\ndeployments = [{deployments}]\n'
    result = make_plan(manifest_from(text), ObservedState())
    assert "too-many-deployments" in [d.code for d in result.diagnostics.errors]


def test_a_region_whose_quota_was_not_read_is_a_warning_not_a_guess() -> None:
    plan = _plan(HEAD + dedicated("acme"), ObservedState())
    assert [d.code for d in plan.diagnostics] == ["quota-unknown"]
    assert not plan.is_blocked


def _shared(tenant: str, tpm: int) -> str:
    return f'\n[tenants.{tenant}]\nisolation = "shared"\nstamp = "eu1"\ntpm = {tpm}\n'


def test_shared_budgets_within_capacity_times_overcommit_are_no_finding() -> None:
    # Issue 15: 140K of budgets on 100K of capacity with overcommit 1.5 (150K allowed) is what the stamp
    # declares on purpose; it used to warn `shared-overcommitted` on every plan.
    text = HEAD + stamp_block() + "overcommit = 1.5\n" + _shared("t1", 70_000) + _shared("t2", 70_000)
    plan = _plan(text, ObservedState())
    codes = {d.code for d in plan.diagnostics}
    assert not codes & {"shared-overcommitted", "shared-budget-exceeds"}
