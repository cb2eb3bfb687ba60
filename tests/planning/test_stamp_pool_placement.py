"""Stamps across a subscription pool: spread, sticky, pinned, spilling, competing with dedicated tenants (pure)."""

from __future__ import annotations

from tenantctl.export.routing import routing_for
from tenantctl.inspection.fleet import fleet_status
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.pool_record import check_removed_subscriptions
from tenantctl.manifest.report import Reporter
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action
from tenantctl.planning.pool_placement import observed_homes, observed_stamp_accounts, place_in_pool
from tenantctl.resources import Account, AccountRef, QuotaUsage

from .conftest import manifest_from
from .simulate import applied
from .test_pool_placement import LOC, A, B, C, members

PROVIDER = "00000000-0000-0000-0000-0000000000ff"  # not a pool member unless a test says so


def stamp_manifest(
    stamps: dict[str, str], pool: str, *, dedicated: tuple[str, ...] = (), shared: dict[str, str] | None = None
) -> str:
    """``stamps``: id -> extra TOML lines; ``shared``: tenant -> its stamp (a shared tenant with a budget)."""
    body = "".join(
        f"""
[stamps.{s}]
location = "{LOC}"
deployments = [{{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 50 }}]
{extra}
"""
        for s, extra in stamps.items()
    )
    body += "".join(f'\n[tenants.{t}]\nisolation = "dedicated"\n' for t in dedicated)
    body += "".join(
        f'\n[tenants.{t}]\nisolation = "shared"\nstamp = "{s}"\ntpm = 1000\n' for t, s in (shared or {}).items()
    )
    return f"""\
schema = 1

[provider]
subscription_id = "{PROVIDER}"
resource_group = "rg-tenants"
location = "{LOC}"
name_prefix = "ctso"
manifest_name = "prod"
{pool}
[defaults]
deployments = [
  {{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }},
]
{body}"""


def stamp_subs(m_text: str, observed: ObservedState | None = None) -> dict[str, str]:
    placed = place_in_pool(manifest_from(m_text), observed or ObservedState())
    return {s: home[0] for s, home in placed.stamp_homes.items()}


def test_new_stamps_spread_across_the_pool_by_weight_in_pool_order() -> None:
    text = stamp_manifest({f"s{i}": "" for i in range(6)}, members(A, B, C, weights={C: 2}))
    # Fewest accounts per unit of weight: C takes two for A's and B's one each.
    assert stamp_subs(text) == {"s0": A, "s1": B, "s2": C, "s3": C, "s4": A, "s5": B}


def test_without_a_pool_stamps_stay_where_they_always_were() -> None:
    text = stamp_manifest({"s1": "", "s2": f'subscription_id = "{B}"'}, "")
    placed = place_in_pool(manifest_from(text), ObservedState())
    assert dict(placed.stamp_homes) == {"s1": (PROVIDER, "rg-tenants"), "s2": (B, "rg-tenants")}


def test_a_stamp_made_before_the_pool_stays_in_the_provider_subscription_and_the_plan_is_a_no_op() -> None:
    before = stamp_manifest({"eu1": "", "eu2": ""}, "", shared={"t1": "eu1", "t2": "eu2"})
    state = applied(ObservedState(), make_plan(manifest_from(before), ObservedState()))
    pooled = stamp_manifest({"eu1": "", "eu2": ""}, members(A, B), shared={"t1": "eu1", "t2": "eu2"})
    assert stamp_subs(pooled, state) == {"eu1": PROVIDER, "eu2": PROVIDER}
    assert not make_plan(manifest_from(pooled), state).has_changes


def test_placed_stamps_are_sticky_when_stamps_and_tenants_come_and_go() -> None:
    first = manifest_from(stamp_manifest({"mmm": "", "ppp": ""}, members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    assert stamp_subs(stamp_manifest({"mmm": "", "ppp": ""}, members(A, B)), state) == {"mmm": A, "ppp": B}
    # Newcomers sort first, and a third member with nothing in it would win every tie on count.
    later_text = stamp_manifest({"aaa": "", "bbb": "", "mmm": "", "ppp": ""}, members(C, A, B), dedicated=("d1", "d2"))
    later = manifest_from(later_text)
    placed = place_in_pool(later, state)
    assert placed.stamp_homes["mmm"][0] == A
    assert placed.stamp_homes["ppp"][0] == B
    plan = make_plan(later, state)
    assert not [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    assert not make_plan(later, applied(state, plan)).has_changes


def test_a_pin_places_the_stamp_in_its_member() -> None:
    text = stamp_manifest({"s0": f'subscription_id = "{C}"', "s1": ""}, members(A, B, C))
    assert stamp_subs(text) == {"s0": C, "s1": A}
    # A pin is not a way around the member's room: a full pin is an error, never a silent spill.
    full = {(C, LOC): (QuotaUsage(C, LOC, "OpenAI.S0.AccountCount", 30, 30),)}
    placed = place_in_pool(manifest_from(text), ObservedState(usages=full))
    assert "s0" not in placed.stamp_homes
    [error] = placed.diagnostics.errors
    assert (error.code, error.path) == ("pool-full", "stamps.s0")


def test_validate_refuses_a_stamp_pinned_outside_the_pool_naming_the_stamp() -> None:
    text = stamp_manifest(
        {"eu1": f'subscription_id = "{C}"', "eu2": f'subscription_id = "{B}"'},
        members(A) + f'\n[[provider.pool]]\nsubscription_id = "{B}"\nregions = ["eastus"]\n',
    )
    errors = {(d.code, d.path): d.summary for d in parse_manifest(text).diagnostics.errors}
    assert "'eu1'" in errors[("unknown-subscription", "stamps.eu1.subscription_id")]
    assert "eastus" not in errors[("invalid-value", "stamps.eu2.subscription_id")]
    assert LOC in errors[("invalid-value", "stamps.eu2.subscription_id")]


def test_a_stamp_needing_more_accounts_than_a_member_has_left_goes_to_one_that_has_them() -> None:
    # s1's shared tenant is pinned to its second account: the stamp needs 2 accounts in one subscription.
    text = stamp_manifest({"s1": ""}, members(A, B, caps={A: 1}), shared={"t1": "s1", "t2": "s1"}).replace(
        'stamp = "s1"\ntpm = 1000\n', 'stamp = "s1"\ntpm = 1000\nstamp_account = 2\n', 1
    )
    placed = place_in_pool(manifest_from(text), ObservedState(), {"s1": 2})
    assert placed.stamp_homes["s1"][0] == B
    assert not placed.diagnostics


def test_a_full_member_spills_stamps_into_the_next() -> None:
    text = stamp_manifest({f"s{i}": "" for i in range(4)}, members(A, B, caps={A: 1}))
    assert stamp_subs(text) == {"s0": A, "s1": B, "s2": B, "s3": B}


def test_quota_headroom_for_the_stamps_shared_deployments_decides_between_members() -> None:
    usages = {
        (A, LOC): (QuotaUsage(A, LOC, "OpenAI.GlobalStandard.gpt-4o", 960, 1000),),  # 40 left, 50 needed
        (B, LOC): (QuotaUsage(B, LOC, "OpenAI.GlobalStandard.gpt-4o", 0, 1000),),
    }
    text = stamp_manifest({"s1": ""}, members(A, B))
    assert stamp_subs(text, ObservedState(usages=usages)) == {"s1": B}


def test_stamps_take_their_slots_first_then_dedicated_tenants_spread_over_the_rest() -> None:
    text = stamp_manifest({"s1": "", "s2": ""}, members(A, B, caps={A: 2, B: 3}), dedicated=("d1", "d2", "d3"))
    placed = place_in_pool(manifest_from(text), ObservedState())
    assert not placed.diagnostics
    assert {s: h[0] for s, h in placed.stamp_homes.items()} == {"s1": A, "s2": B}
    assert {t: h[0] for t, h in placed.homes.items()} == {"d1": A, "d2": B, "d3": B}
    # One more dedicated tenant: the stamps keep their slots, the tenant is the one refused.
    crowded = stamp_manifest({"s1": "", "s2": ""}, members(A, B, caps={A: 2, B: 3}), dedicated=("d1", "d2", "d3", "d4"))
    placed = place_in_pool(manifest_from(crowded), ObservedState())
    assert {s: h[0] for s, h in placed.stamp_homes.items()} == {"s1": A, "s2": B}
    [error] = placed.diagnostics.errors
    assert error.code == "pool-full"
    assert LOC in error.summary
    assert "d4" in error.detail


def test_a_pool_too_small_for_a_stamp_is_a_plan_error_naming_stamp_region_need_and_room() -> None:
    usages = {(A, LOC): (QuotaUsage(A, LOC, "OpenAI.S0.AccountCount", 30, 30),)}  # A is full (other accounts)
    text = stamp_manifest({"eu1": ""}, members(A, B, caps={B: 1}), dedicated=("d1",), shared={"t2": "eu1"})
    m = manifest_from(text.replace("tpm = 1000\n", "tpm = 1000\nstamp_account = 2\n"))  # 2 accounts needed
    placed = place_in_pool(m, ObservedState(usages=usages), {"eu1": 2})
    errors = {d.path: d for d in placed.diagnostics.errors}
    stamp_error = errors["stamps.eu1"]
    assert stamp_error.code == "pool-full"
    assert "'eu1'" in stamp_error.summary
    assert LOC in stamp_error.summary
    assert "2 account(s) needed" in stamp_error.summary
    assert "room left for 1" in stamp_error.summary
    assert "eu1" not in placed.stamp_homes
    assert placed.homes["d1"][0] == B  # the stamp's failure leaves its room to the tenant
    plan = make_plan(m, ObservedState(usages=usages))
    assert plan.is_blocked
    assert not [c for c in plan.changes if isinstance(c.after, Account) and "eu1" in c.after.ref.name]


def test_a_pinned_stamp_living_elsewhere_is_recreated_in_its_pin_with_a_warning() -> None:
    first = manifest_from(stamp_manifest({"s1": ""}, members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    pinned = manifest_from(stamp_manifest({"s1": f'subscription_id = "{B}"'}, members(A, B)))
    plan = make_plan(pinned, state)
    assert any(d.code == "stamp-move" and d.path == "stamps.s1.subscription_id" for d in plan.diagnostics)
    created = [c.after.ref.subscription_id for c in plan.changes if isinstance(c.after, Account)]
    assert created == [B]


def test_every_surface_names_the_stamps_placed_home() -> None:
    text = stamp_manifest({"s0": "", "s1": ""}, members(A, B), shared={"t0": "s0", "t1": "s1"})
    m = manifest_from(text)
    plan = make_plan(m, ObservedState())
    accounts = {c.after.ref.name: c.after.ref.subscription_id for c in plan.changes if isinstance(c.after, Account)}
    assert accounts == {"ctso-s0--01": A, "ctso-s1--01": B}
    routes = routing_for(m, applied(ObservedState(), plan)).by_tenant()
    assert routes["t0"].route.account_id == AccountRef(A, "rg-tenants", "ctso-s0--01").id
    assert routes["t1"].route.account_id == AccountRef(B, "rg-tenants", "ctso-s1--01").id
    assert routes["t1"].route.endpoint == "https://ctso-s1--01.openai.azure.com/"


def test_the_pool_record_keeps_a_subscription_hosting_a_stamp_in_the_pool() -> None:
    first = manifest_from(stamp_manifest({"s0": "", "s1": ""}, members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    assert {s: a[1].ref.subscription_id for s, a in observed_stamp_accounts(first, state.accounts).items()} == {
        "s0": A,
        "s1": B,
    }
    assert observed_homes(first, state) == {}
    without_b = manifest_from(stamp_manifest({"s0": "", "s1": ""}, members(A)))
    report = Reporter("", None)
    check_removed_subscriptions(without_b, {"prod": {B.lower(): ["stamp:s1"]}}, report)
    [error] = report.diagnostics.errors
    assert error.code == "pool-subscription-in-use"
    assert B.lower() in error.summary
    assert "1 stamp(s)" in error.summary
    assert "s1" in error.summary


def test_status_shows_every_tenant_of_a_stamp_the_pool_cannot_hold_as_an_error() -> None:
    full = {
        (sub, LOC): (QuotaUsage(sub, LOC, "OpenAI.S0.AccountCount", 30, 30),) for sub in (A, B)
    }  # both members already hold Azure's 30 accounts in the region
    text = stamp_manifest({"eu1": ""}, members(A, B), shared={"t2": "eu1"})
    text += '\n[tenants.dd]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
    text += 'deployments = [{ name = "chat", capacity = 5 }]\n'
    m = manifest_from(text)
    rows = {r.tenant: r for r in fleet_status(m, make_plan(m, ObservedState(usages=full))).rows}
    for tenant in ("dd", "t2"):
        assert rows[tenant].state == "error"
        assert "'eu1'" in rows[tenant].detail
        assert "room left for 0" in rows[tenant].detail
