"""Shared tenants on a grown stamp (issue 15): which account each lives on, what each account carries.

The stamp grows the way it does in production: dedicated-deployment tenants fill its accounts
(``max_deployments_per_account``) and placement opens the next one.  Shared tenants are pinned by
``tenant add`` (the same calls the CLI makes), and routing, ``quota`` and ``inspect`` must name the
same account for each of them.
"""

from __future__ import annotations

from datetime import date

from tenantctl.addresses import StampAddress
from tenantctl.export.routing import routing_for
from tenantctl.inspection.build import build_report
from tenantctl.inspection.fleet import quota_report
from tenantctl.manifest.edit import add_tenant, remove_tenant
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.manifest.shared_accounts import pin_for_added_tenant, shared_account
from tenantctl.observation import ObservedState, QuotaObservation, TenantObservation
from tenantctl.planning import make_plan
from tenantctl.planning.model import Change, Plan
from tenantctl.planning.placement import placed_desired_state
from tenantctl.resources import Deployment

from .conftest import HEAD, LOC, manifest_from, on_stamp
from .simulate import applied

# Two shared deployments of 100K (120K TPM of budgets with overcommit) per account copy.
STAMP = f"""
[stamps.eu1]
location = "{LOC}"
max_deployments_per_account = 4
max_accounts = 3
overcommit = 1.2
deployments = [
  {{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 100 }},
  {{ name = "big", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", capacity = 100 }},
]
"""
# 2 shared + 2 tenants per account: d1..d6 grow the stamp to three accounts.
GROWN = HEAD + STAMP + "".join(on_stamp(t) for t in ("d1", "d2", "d3", "d4", "d5", "d6"))


def _shared(tenant: str, tpm: int, *, account: int | None = None, only: str | None = None) -> str:
    pin = f"stamp_account = {account}\n" if account is not None else ""
    covers = f'shared_deployments = ["{only}"]\n' if only else ""
    return f'\n[tenants.{tenant}]\nisolation = "shared"\nstamp = "eu1"\ntpm = {tpm}\n{covers}{pin}'


def _add(text: str, tenant: str, tpm: int) -> str:
    """What `tenantctl tenant add <tenant> --isolation shared --stamp eu1 --tpm <tpm>` writes."""
    fields: dict[str, object] = {"isolation": "shared", "stamp": "eu1", "tpm": tpm}
    pin = pin_for_added_tenant(text, tenant, "eu1", tpm)
    assert pin is not None
    fields["stamp_account"] = pin
    result = add_tenant(text, tenant, fields)
    assert result.text is not None, result.diagnostics
    return result.text


def _homes(manifest: Manifest) -> dict[str, str]:
    """Per shared tenant, the account the routing export sends it to."""
    table = routing_for(manifest)
    return {e.tenant: (e.route.account_id or "").rsplit("/", 1)[-1] for e in table.entries if e.isolation == "shared"}


def _stamp_deployments(manifest: Manifest) -> dict[int, set[str]]:
    desired, _ = placed_desired_state(manifest, ObservedState())
    carried: dict[int, set[str]] = {}
    for item in desired.items:
        if isinstance(item.address, StampAddress) and isinstance(item.resource, Deployment):
            carried.setdefault(item.address.index or 0, set()).add(item.resource.name)
    return carried


def test_the_stamp_grows_to_three_accounts_and_grown_ones_carry_no_unused_shared_deployment() -> None:
    manifest = manifest_from(GROWN + _shared("s1", 50_000) + _shared("s2", 30_000))
    desired, placement = placed_desired_state(manifest, ObservedState())
    assert placement.hints.stamp_accounts["eu1"] == 3
    # s1 and s2 live on --01 (unpinned): --02 and --03 carry only their dedicated-deployment tenants.
    assert _stamp_deployments(manifest) == {1: {"mini", "big"}}
    on_02 = {
        i.resource.name
        for i in desired.items
        if isinstance(i.resource, Deployment) and i.resource.account.name == "ctso-eu1--02"
    }
    assert on_02 == {"d3--chat", "d4--chat"}


def test_a_grown_account_carries_only_the_shared_deployments_its_tenants_cover() -> None:
    manifest = manifest_from(GROWN + _shared("s1", 50_000, account=2, only="mini") + _shared("s2", 1000, account=1))
    assert _stamp_deployments(manifest) == {1: {"mini", "big"}, 2: {"mini"}}


def test_new_shared_tenants_spread_across_the_accounts_by_budget() -> None:
    text = GROWN
    for tenant in ("s1", "s2", "s3"):  # 100K each: 120K allowed per account copy, so one per account
        text = _add(text, tenant, 100_000)
    text = _add(text, "s4", 10_000)  # fits on any: the least-loaded account with room
    manifest = manifest_from(text)
    assert {t: shared_account(manifest, t) for t in ("s1", "s2", "s3", "s4")} == {"s1": 1, "s2": 2, "s3": 3, "s4": 1}
    assert _homes(manifest) == {"s1": "ctso-eu1--01", "s2": "ctso-eu1--02", "s3": "ctso-eu1--03", "s4": "ctso-eu1--01"}
    assert _stamp_deployments(manifest) == {1: {"mini", "big"}, 2: {"mini", "big"}, 3: {"mini", "big"}}
    assert not make_plan(manifest, ObservedState()).diagnostics.errors


def test_balancing_prefers_accounts_already_carrying_shared_tenants_over_opening_one() -> None:
    # Opening --02's shared deployments would take 200K TPM of quota for a 10K tenant.
    text = _add(_add(GROWN, "s1", 50_000), "s2", 10_000)
    assert {t: shared_account(manifest_from(text), t) for t in ("s1", "s2")} == {"s1": 1, "s2": 1}


def test_adding_a_tenant_that_sorts_first_moves_no_one() -> None:
    text = GROWN
    for tenant in ("mmm", "nnn", "zzz"):  # 60K each: two fill --01 (120K allowed), zzz opens --02
        text = _add(text, tenant, 60_000)
    before = _homes(manifest_from(text))
    assert before == {"mmm": "ctso-eu1--01", "nnn": "ctso-eu1--01", "zzz": "ctso-eu1--02"}
    after = _homes(manifest_from(_add(text, "aaa", 30_000)))
    assert after == {**before, "aaa": "ctso-eu1--02"}


def test_removing_a_tenant_moves_no_other() -> None:
    text = GROWN
    for tenant in ("s1", "s2", "s3", "s4"):
        text = _add(text, tenant, 60_000)
    before = _homes(manifest_from(text))
    removed = remove_tenant(text, "s1")
    assert removed.text is not None
    after = _homes(manifest_from(removed.text))
    assert after == {t: home for t, home in before.items() if t != "s1"}


def test_adding_the_same_tenant_again_keeps_its_pin_and_is_a_no_op() -> None:
    text = _add(_add(GROWN, "s1", 100_000), "s2", 100_000)
    assert _add(text, "s2", 100_000) == text


def test_routing_quota_and_inspect_name_the_same_account_for_each_shared_tenant() -> None:
    text = GROWN
    for tenant, tpm in (("s1", 100_000), ("s2", 100_000), ("s3", 100_000), ("s4", 5_000)):
        text = _add(text, tenant, tpm)
    manifest = manifest_from(text)
    routed = _homes(manifest)
    quota = quota_report(manifest, QuotaObservation((), {}, {}))
    in_quota = {t: line.account for s in quota.stamps for line in s.shared_accounts for t in line.tenants}
    plan = make_plan(manifest, ObservedState())
    inspected = {}
    for tenant in routed:
        report = build_report(manifest, tenant, TenantObservation(ObservedState(), None), plan, today=date(2026, 12, 4))
        assert report.budget is not None
        assert report.placement.account == report.budget.account
        inspected[tenant] = report.placement.account
    assert routed == in_quota == inspected
    assert set(routed.values()) == {"ctso-eu1--01", "ctso-eu1--02", "ctso-eu1--03"}


def test_quota_counts_only_the_shared_capacity_accounts_carry() -> None:
    manifest = manifest_from(GROWN + _shared("s1", 50_000) + _shared("s2", 60_000, account=3, only="mini"))
    [stamp] = quota_report(manifest, QuotaObservation((), {}, {})).stamps
    capacity = {d.name: d.capacity_tpm for d in stamp.deployments}
    assert capacity == {"mini": 200_000, "big": 100_000}  # mini on --01 and --03, big on --01 only
    assert stamp.accounts == 3


def test_budgets_within_each_accounts_capacity_times_overcommit_are_no_finding() -> None:
    # 110K on --01 and 110K on --02: 220K on one account's 120K allowed would be too much, but each
    # account carries its own copy.
    text = GROWN + "".join(
        _shared(t, tpm, account=a)
        for t, tpm, a in (("s1", 70_000, 1), ("s2", 40_000, 1), ("s3", 70_000, 2), ("s4", 40_000, 2))
    )
    loaded = parse_manifest(text)
    assert not loaded.diagnostics.errors, loaded.diagnostics
    assert loaded.manifest is not None
    plan = make_plan(loaded.manifest, ObservedState())
    assert not {d.code for d in plan.diagnostics} & {"shared-budget-exceeds", "budget-exceeded"}


def test_an_accounts_budget_overflow_names_stamp_account_deployment_sum_and_limit() -> None:
    text = GROWN + _shared("s1", 100_000, account=2) + _shared("s2", 30_000, account=2, only="big")
    loaded = parse_manifest(text)
    [error] = [d for d in loaded.diagnostics.errors if d.code == "budget-exceeded"]
    for part in ("eu1/big of account 2", "130,000", "120,000"):
        assert part in error.summary
    # The plan checks it too (for a manifest built in code, past validation): the same manifest with
    # s2 first valid on --01, then moved to --02.
    valid = manifest_from(GROWN + _shared("s1", 100_000, account=2) + _shared("s2", 30_000, account=1, only="big"))
    moved = valid.tenants["s2"].model_copy(update={"stamp_account": 2})
    manifest = valid.model_copy(update={"tenants": {**valid.tenants, "s2": moved}})
    plan = make_plan(manifest, ObservedState())
    [finding] = [d for d in plan.diagnostics.errors if d.code == "shared-budget-exceeds"]
    for part in ("stamp eu1", "account ctso-eu1--02", "deployment big", "130000", "120000"):
        assert part in finding.summary
    for part in ("s1 100000", "s2 30000"):
        assert part in (finding.detail or "")


def test_a_pin_beyond_max_accounts_is_a_manifest_error() -> None:
    loaded = parse_manifest(GROWN + _shared("s1", 1000, account=4))
    assert [d.path for d in loaded.diagnostics.errors if d.code == "stamp-account-out-of-range"] == [
        "tenants.s1.stamp_account"
    ]


def test_an_applied_grown_stamp_replans_to_nothing() -> None:
    text = GROWN
    for tenant in ("s1", "s2"):
        text = _add(text, tenant, 100_000)
    manifest = manifest_from(text)
    state = applied(ObservedState(), make_plan(manifest, ObservedState()))
    again = make_plan(manifest, state)
    assert not again.has_changes


def test_a_shared_tenants_state_counts_only_changes_on_its_own_account() -> None:
    from tenantctl.inspection.drift import tenant_drift

    def relevant_changes(manifest: Manifest, tenant: str, plan: Plan) -> list[Change]:
        return list(tenant_drift(manifest, plan, tenant).pending)

    four = HEAD + STAMP + "".join(on_stamp(t) for t in ("d1", "d2", "d3", "d4"))  # --01 and --02
    shared = _shared("s1", 1000, account=1) + _shared("s2", 1000, account=2)
    state = applied(ObservedState(), make_plan(manifest_from(four + shared), ObservedState()))
    grown = manifest_from(four + on_stamp("d5") + shared)  # d5 opens --03: nothing there is s1's or s2's
    plan = make_plan(grown, state)
    assert {str(c.address) for c in plan.actionable if c.tenant is None} == {"stamp.eu1.account.03"}
    assert relevant_changes(grown, "s1", plan) == []
    assert relevant_changes(grown, "s2", plan) == []
    moved = manifest_from(four + on_stamp("d5") + _shared("s1", 1000, account=1) + _shared("s2", 1000, account=3))
    plan = make_plan(moved, state)
    assert {c.account.name for c in relevant_changes(moved, "s2", plan) if c.account} == {"ctso-eu1--03"}
    assert relevant_changes(moved, "s1", plan) == []
