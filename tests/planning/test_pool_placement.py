"""Placement of dedicated tenants across a subscription pool: sticky, spilling, quota-aware (pure)."""

from __future__ import annotations

from tenantctl.export.routing import routing_for
from tenantctl.manifest.load import parse_manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action
from tenantctl.planning.pool_placement import observed_homes, place_in_pool
from tenantctl.resources import Account, AccountRef, QuotaUsage

from .conftest import manifest_from
from .simulate import applied

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
C = "00000000-0000-0000-0000-00000000000c"
LOC = "swedencentral"


def pool_manifest(tenants: list[str], pool: str, *, extra: dict[str, str] | None = None) -> str:
    body = "".join(f'\n[tenants.{t}]\nisolation = "dedicated"\n{(extra or {}).get(t, "")}\n' for t in tenants)
    return f"""\
schema = 1

[provider]
subscription_id = "{A}"
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


def members(*subs: str, caps: dict[str, int] | None = None, weights: dict[str, int] | None = None) -> str:
    out = []
    for sub in subs:
        cap = f"\nmax_accounts = {caps[sub]}" if caps and sub in caps else ""
        weight = f"\nweight = {weights[sub]}" if weights and sub in weights else ""
        out.append(f'[[provider.pool]]\nsubscription_id = "{sub}"{cap}{weight}\n')
    return "\n".join(out)


def subs_of(homes: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {t: home[0] for t, home in homes.items()}


def test_equal_weights_spread_new_tenants_evenly_in_pool_order() -> None:
    m = manifest_from(pool_manifest([f"t{i}" for i in range(6)], members(A, B, C)))
    placed = place_in_pool(m, ObservedState())
    assert not placed.diagnostics
    assert subs_of(dict(placed.homes)) == {"t0": A, "t1": B, "t2": C, "t3": A, "t4": B, "t5": C}


def test_weights_take_shares_in_proportion() -> None:
    m = manifest_from(pool_manifest([f"t{i}" for i in range(9)], members(A, B, weights={B: 2})))
    counts = {A: 0, B: 0}
    for sub in subs_of(dict(place_in_pool(m, ObservedState()).homes)).values():
        counts[sub] += 1
    assert counts == {A: 3, B: 6}


def test_placement_is_sticky_when_tenants_are_added_and_removed() -> None:
    first = manifest_from(pool_manifest(["mmm", "nnn", "ppp", "zzz"], members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    before = observed_homes(first, state)
    assert {s for s, _ in before.values()} == {A, B}
    # Newcomers sort first and would take A's and B's turns; a removal frees room on one side.
    later = manifest_from(pool_manifest(["aaa", "bbb", "ccc", "mmm", "ppp", "zzz"], members(A, B, C)))
    placed = place_in_pool(later, state)
    for tenant in ("mmm", "ppp", "zzz"):
        assert placed.homes[tenant] == before[tenant]
        assert tenant in placed.sticky
    plan = make_plan(later, state)
    moved = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    assert moved == []  # nothing of an existing tenant is deleted or replaced
    # A second plan after applying is a no-op.
    again = applied(state, plan)
    assert not make_plan(later, again).has_changes


def test_a_member_at_its_account_cap_spills_into_the_next() -> None:
    m = manifest_from(pool_manifest([f"t{i}" for i in range(5)], members(A, B, caps={A: 2})))
    placed = place_in_pool(m, ObservedState())
    assert sorted(t for t, s in subs_of(dict(placed.homes)).items() if s == A) == ["t0", "t2"]
    assert sorted(t for t, s in subs_of(dict(placed.homes)).items() if s == B) == ["t1", "t3", "t4"]


def test_azures_30_accounts_per_region_count_accounts_tenantctl_did_not_make() -> None:
    # A already holds 29 accounts (other resource groups, other tools): only one more fits there.
    usages = {(A, LOC): (QuotaUsage(A, LOC, "OpenAI.S0.AccountCount", 29, 30),)}
    m = manifest_from(pool_manifest(["t1", "t2"], members(A, B, caps={B: 1})))
    placed = place_in_pool(m, ObservedState(usages=usages))
    assert subs_of(dict(placed.homes)) == {"t1": B, "t2": A}
    assert not placed.diagnostics
    m3 = manifest_from(pool_manifest(["t1", "t2", "t3"], members(A, B, caps={B: 1})))
    [error] = place_in_pool(m3, ObservedState(usages=usages)).diagnostics.errors
    assert error.code == "pool-full"
    assert "room left for 2" in error.summary


def test_quota_headroom_decides_between_members() -> None:
    m = manifest_from(pool_manifest(["t1", "t2"], members(A, B)))
    usages = {
        (A, LOC): (QuotaUsage(A, LOC, "OpenAI.GlobalStandard.gpt-4o", 95, 100),),  # 5 left, 10 needed
        (B, LOC): (QuotaUsage(B, LOC, "OpenAI.GlobalStandard.gpt-4o", 0, 100),),
    }
    placed = place_in_pool(m, ObservedState(usages=usages))
    assert subs_of(dict(placed.homes)) == {"t1": B, "t2": B}


def test_a_pool_too_small_is_one_plan_error_naming_region_need_and_room() -> None:
    m = manifest_from(pool_manifest([f"t{i}" for i in range(5)], members(A, B, caps={A: 3, B: 2})))
    # B already has one foreign account in the region: room is 3 + 1 (validate saw 3 + 2 and let it pass).
    stranger = Account(AccountRef(B, "rg-tenants", "hand-made"), LOC, "hand-made")
    placed = place_in_pool(m, ObservedState(foreign_accounts={stranger.ref.key: stranger}))
    [error] = placed.diagnostics.errors
    assert error.code == "pool-full"
    assert LOC in error.summary
    assert "5 new account(s) needed" in error.summary
    assert "room left for 4" in error.summary
    assert "t4" in error.detail
    plan = make_plan(m, ObservedState(foreign_accounts={stranger.ref.key: stranger}))
    assert plan.is_blocked


def test_a_subscription_left_out_of_the_pool_while_hosting_tenants_is_refused() -> None:
    first = manifest_from(pool_manifest(["t1", "t2", "t3"], members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    on_b = sorted(t for t, (s, _) in observed_homes(first, state).items() if s == B)
    # Still observed (e.g. B also hosts a stamp), but no longer a member.
    without_b = manifest_from(pool_manifest(["t1", "t2", "t3"], members(A, C)))
    placed = place_in_pool(without_b, state)
    [error] = placed.diagnostics.errors
    assert error.code == "pool-subscription-in-use"
    assert B in error.summary
    assert all(t in error.summary for t in on_b)
    assert all(t not in placed.homes for t in on_b)  # never recreated elsewhere


def test_pinning_a_tenant_to_another_member_migrates_make_before_break() -> None:
    first = manifest_from(pool_manifest(["t1"], members(A, B)))
    state = applied(ObservedState(), make_plan(first, ObservedState()))
    assert observed_homes(first, state)["t1"][0] == A
    pinned = manifest_from(pool_manifest(["t1"], members(A, B), extra={"t1": f'subscription_id = "{B}"'}))
    plan = make_plan(pinned, state)
    assert not plan.is_blocked, [d.summary for d in plan.diagnostics.errors]
    creates = [c for c in plan.changes if c.action is Action.CREATE and isinstance(c.after, Account)]
    [new] = creates
    assert new.after is not None
    assert isinstance(new.after, Account)
    assert new.after.ref.subscription_id == B
    assert new.after.custom_subdomain == "ctso-t1-2"  # the old account still holds ctso-t1
    assert not [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    assert any(d.code == "retire-pending" for d in plan.diagnostics)
    # Phase 2: the gateway keeps the old account until the new one is live, then switches.
    entry = routing_for(pinned, state).by_tenant()["t1"]
    assert entry.live == "previous"
    assert entry.route.endpoint == "https://ctso-t1.openai.azure.com/"
    assert entry.migration is not None
    assert entry.migration["target"]["endpoint"] == "https://ctso-t1-2.openai.azure.com/"
    # Phase 3: once the new account is live, --retire deletes the old one, and the tenant stays in B.
    moved = applied(state, plan)
    switched = routing_for(pinned, moved).by_tenant()["t1"]
    assert switched.live == "target"
    assert switched.route.account_id is not None
    assert B in switched.route.account_id
    retire = make_plan(pinned, moved, retire=True)
    deleted = [c for c in retire.changes if c.action is Action.DELETE and isinstance(c.before, Account)]
    assert [c.before.ref.subscription_id for c in deleted if isinstance(c.before, Account)] == [A]
    done = applied(moved, retire)
    assert observed_homes(pinned, done)["t1"][0] == B
    assert not make_plan(pinned, done).has_changes
    # Unpinning afterwards moves nothing: placement is sticky.
    assert not make_plan(first, done).has_changes


def test_validate_refuses_pins_outside_the_pool_and_regions_nobody_allows() -> None:
    text = pool_manifest(
        ["t1", "t2"],
        members(A) + f'\n[[provider.pool]]\nsubscription_id = "{B}"\nregions = ["eastus"]\n',
        extra={"t1": f'subscription_id = "{C}"', "t2": f'subscription_id = "{B}"'},
    )
    codes = {(d.code, d.path) for d in parse_manifest(text).diagnostics.errors}
    assert ("unknown-subscription", "tenants.t1.subscription_id") in codes
    assert ("invalid-value", "tenants.t2.subscription_id") in codes


def test_validate_refuses_a_pool_too_small_even_when_empty() -> None:
    text = pool_manifest([f"t{i}" for i in range(3)], members(A, B, caps={A: 1, B: 1}))
    [error] = parse_manifest(text).diagnostics.errors
    assert error.code == "pool-full"
    assert LOC in error.summary
    assert "3 accounts needed" in error.summary


def test_without_a_pool_everything_stays_in_the_provider_subscription() -> None:
    m = manifest_from(pool_manifest([f"t{i}" for i in range(3)], ""))
    assert {s for s, _ in place_in_pool(m, ObservedState()).homes.values()} == {A}
