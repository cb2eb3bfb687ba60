"""Focused regressions for what the properties found (each names the property that found it)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tenantctl import naming
from tenantctl.desired import TAG_PROTECTED
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action
from tenantctl.resources import AccountRef, DeletedAccount

SUB = "00000000-0000-0000-0000-000000000001"
HEAD = f"""\
schema = 1
[provider]
subscription_id = "{SUB}"
resource_group = "rg-tenants"
location = "swedencentral"
name_prefix = "ctso"
manifest_name = "prod"
[defaults]
deployments = [{{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1 }}]
"""


def _manifest(text: str) -> Manifest:
    result = parse_manifest(HEAD + text)
    assert result.manifest is not None, result.diagnostics
    return result.manifest


def _deleted(name: str, tags: dict[str, str], location: str = "swedencentral") -> ObservedState:
    when = datetime(2026, 11, 21, tzinfo=timezone.utc)
    d = DeletedAccount(AccountRef(SUB, "rg-tenants", name), location, when, when, name, tags)
    return ObservedState(deleted_accounts={SUB: (d,)})


OURS = {naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE, naming.TAG_MANIFEST: "prod"}


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param({"owner": "someone-else"}, id="untagged"),
        pytest.param({naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE, naming.TAG_MANIFEST: "staging"}, id="other"),
        pytest.param({**OURS, TAG_PROTECTED: "true"}, id="protected"),
    ],
)
def test_purge_deleted_never_purges_a_soft_deleted_account_in_the_way_that_is_not_ours_to_purge(
    tags: dict[str, str],
) -> None:
    # Found by test_safety: --purge-deleted purged *any* soft-deleted account holding a wanted name,
    # an untagged one, another manifest's or a protected one included.
    manifest = _manifest('[tenants.acme]\nisolation = "dedicated"\n')
    # In another region, so a restore is not possible either: the plan must be blocked, not purge.
    plan = make_plan(manifest, _deleted("ctso-acme", tags, "eastus"), prune=True, purge_deleted=True)
    assert plan.count(Action.PURGE) == 0
    assert plan.is_blocked
    assert "soft-deleted-in-the-way" in {d.code for d in plan.diagnostics.errors}


def test_a_protected_soft_deleted_account_of_ours_in_the_way_is_restored_even_with_purge_deleted() -> None:
    manifest = _manifest('[tenants.acme]\nisolation = "dedicated"\nprotected = true\n')
    plan = make_plan(manifest, _deleted("ctso-acme", {**OURS, TAG_PROTECTED: "true"}), purge_deleted=True)
    assert plan.count(Action.PURGE) == 0
    assert plan.count(Action.RESTORE) == 1


def test_another_manifests_soft_deleted_account_is_not_restored_as_ours() -> None:
    manifest = _manifest('[tenants.acme]\nisolation = "dedicated"\n')
    other = {naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE, naming.TAG_MANIFEST: "staging"}
    plan = make_plan(manifest, _deleted("ctso-acme", other))
    assert plan.count(Action.RESTORE) == 0
    assert plan.is_blocked


def test_our_own_unprotected_soft_deleted_account_is_still_purged_when_asked() -> None:
    manifest = _manifest('[tenants.acme]\nisolation = "dedicated"\n')
    plan = make_plan(manifest, _deleted("ctso-acme", OURS, "eastus"), purge_deleted=True)
    assert plan.count(Action.PURGE) == 1
    assert not plan.is_blocked


def _applied_from(text: str, *, state: ObservedState | None = None) -> ObservedState:
    from tests.planning.simulate import applied

    before = state or ObservedState()
    plan = make_plan(_manifest(text), before, prune=True)
    assert not plan.is_blocked, plan.diagnostics
    return applied(before, plan)


STAMP = """
[stamps.eu1]
location = "swedencentral"
deployments = [{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "GlobalStandard", capacity = 1 }]
"""
ON_STAMP = '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "eu1"\ndeployments = [{ name = "chat" }]\n'


def _deleted_accounts(plan: object) -> set[str]:
    return {c.account.name for c in plan.changes if c.action is Action.DELETE and c.kind.value == "account"}  # type: ignore[attr-defined]


def test_prune_keeps_an_orphan_stamp_account_that_holds_a_protected_tenants_deployment() -> None:
    # Found by test_safety: the stamp and the protected tenant both leave the manifest; the tenant's
    # deployment was kept (protected) but its stamp account was deleted, taking it along: accounts were
    # judged before the protected children on them were seen.
    state = _applied_from(STAMP + ON_STAMP + "protected = true\n")
    plan = make_plan(_manifest(""), state, prune=True)
    assert "ctso-eu1--01" not in _deleted_accounts(plan)
    assert {d.code for d in plan.diagnostics} >= {"protected-orphan", "orphan-account-kept"}


def test_prune_keeps_a_stamp_account_that_hosts_a_migrating_tenants_old_generation() -> None:
    # Found by test_safety: acme moves back from its stamp to a dedicated account and the stamp leaves
    # the manifest; the old deployment (hidden from the diff, "retire pending") went with the pruned
    # stamp account before routing had switched.
    state = _applied_from(STAMP + ON_STAMP)
    back = '[tenants.acme]\nisolation = "dedicated"\n'
    plan = make_plan(_manifest(back), state, prune=True)
    assert "ctso-eu1--01" not in _deleted_accounts(plan)
    pending = [c for c in plan.changes if str(c.address) == "tenant.acme.deployment.chat@ctso-eu1--01"]
    assert [c.action for c in pending] == [Action.NOOP]


def test_retire_keeps_an_old_dedicated_account_that_holds_something_not_ours() -> None:
    # Found by test_safety: retiring a migrated tenant's old dedicated account deleted it whole,
    # with an untagged deployment someone had added to it.
    import dataclasses

    from tenantctl.resources import Deployment

    state = _applied_from('[tenants.acme]\nisolation = "dedicated"\n')
    ref = AccountRef(SUB, "rg-tenants", "ctso-acme")
    stranger = Deployment(ref, "hand-made", "gpt-4o", "2024-11-20", "GlobalStandard", 1, tags={"owner": "ops"})
    deployments = {**state.deployments, ref.key: (*state.deployments[ref.key], stranger)}
    state = dataclasses.replace(state, deployments=deployments)
    state = _applied_from(STAMP + ON_STAMP, state=state)  # phase 1: the new deployment is live
    plan = make_plan(_manifest(STAMP + ON_STAMP), state, prune=True, retire=True)
    assert "ctso-acme" not in _deleted_accounts(plan)
    retired = {str(c.address) for c in plan.changes if c.action is Action.DELETE}
    assert retired == {"tenant.acme.deployment.chat@ctso-acme"}
    assert "retired-account-kept" in {d.code for d in plan.diagnostics}


def test_a_stamp_deployment_tagged_protected_in_azure_is_not_replaced_by_surprise() -> None:
    # Found by test_safety (with drift): someone tagged a stamp's shared deployment
    # tenantctl-protected=true in the portal, then the stamp moved resource group; the plan replaced
    # (deleted) it and deleted its account, unblocked: only tenants' protection was checked.
    import dataclasses

    state = _applied_from(STAMP)
    key = next(iter(state.deployments))
    (mini,) = state.deployments[key]
    guarded = dataclasses.replace(mini, tags={**mini.tags, TAG_PROTECTED: "true"})
    state = dataclasses.replace(state, deployments={key: (guarded,)})
    moved = STAMP.replace('location = "swedencentral"\n', 'location = "swedencentral"\nresource_group = "rg-eu1"\n')
    plan = make_plan(_manifest(moved), state, prune=True)
    assert plan.is_blocked
    assert "protected-replace" in {d.code for d in plan.diagnostics.errors}


def test_a_tenant_unprotected_in_the_manifest_may_still_be_replaced_in_the_same_apply() -> None:
    # The manifest governs a tenant's protection ("set protected = false for this apply").
    state = _applied_from('[tenants.acme]\nisolation = "dedicated"\nprotected = true\n')
    changed = '[tenants.acme]\nisolation = "dedicated"\nprotected = false\nlocation = "westeurope"\n'
    plan = make_plan(_manifest(changed), state)
    assert plan.count(Action.REPLACE) >= 1
    assert "protected-replace" not in {d.code for d in plan.diagnostics.errors}


def _squatted_migration() -> tuple[Manifest, ObservedState]:
    """acme moves from its dedicated account to stamp eu1, where someone made an untagged 'acme--chat'."""
    import dataclasses

    from tenantctl.resources import Deployment

    state = _applied_from('[tenants.acme]\nisolation = "dedicated"\n' + STAMP)
    ref = AccountRef(SUB, "rg-tenants", "ctso-eu1--01")
    squatter = Deployment(ref, "acme--chat", "gpt-4o", "2024-11-20", "GlobalStandard", 1, tags={"owner": "ops"})
    deployments = {**state.deployments, ref.key: (*state.deployments[ref.key], squatter)}
    return _manifest(STAMP + ON_STAMP), dataclasses.replace(state, deployments=deployments)


def test_routing_never_calls_a_same_named_deployment_that_is_not_ours_the_tenants_new_home() -> None:
    # Found by test_routing: readiness was "exists and Succeeded", by name only, so the gateway was
    # told to send acme to someone else's deployment that happened to be called acme--chat.
    from tenantctl.export import routing_for

    manifest, state = _squatted_migration()
    entry = routing_for(manifest, state).by_tenant()["acme"]
    assert entry.live == "previous"
    assert entry.route.account_id is not None
    assert entry.route.account_id.endswith("/ctso-acme")


def test_retire_does_not_delete_the_old_generation_when_the_new_home_is_someone_elses() -> None:
    manifest, state = _squatted_migration()
    plan = make_plan(manifest, state, prune=True, retire=True)
    assert plan.count(Action.DELETE) == 0
    assert "not-ours" in {d.code for d in plan.diagnostics.errors}


def test_two_replaces_on_a_tight_quota_line_do_not_wait_for_each_other() -> None:
    # Found by test_safety (with quota): a tenant moves stamps (same region) with two deployments on
    # one quota line that only fits thanks to what the plan frees; each replace was made to wait for
    # the other's delete, a dependency cycle apply could never run.
    import dataclasses

    from tenantctl.resources import QuotaUsage

    stamps = STAMP + STAMP.replace("eu1", "eu2")
    tenant = (
        '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "%s"\n'
        'deployments = [{ name = "chat", capacity = 5 }, { name = "chat2", capacity = 5 }]\n'
    )
    state = _applied_from(stamps + tenant % "eu1")
    loc = "swedencentral"
    usages = (QuotaUsage(SUB, loc, "OpenAI.GlobalStandard.gpt-4o", 10, 12),)
    state = dataclasses.replace(state, usages={(SUB, loc): usages})
    plan = make_plan(_manifest(stamps + tenant % "eu2"), state, prune=True)
    replaces = {str(c.address): c for c in plan.changes if c.action is Action.REPLACE}
    assert set(replaces) == {"tenant.acme.deployment.chat", "tenant.acme.deployment.chat2"}
    assert all(not c.depends_on for c in replaces.values())
    assert not plan.is_blocked


def test_placement_is_not_sticky_to_another_manifests_same_named_tenant_and_counts_its_deployments() -> None:
    # Found while reading what test_safety's foreign resources exercise: placement took any
    # managed-by=tenantctl deployment tagged tenantctl-tenant=acme for ours (sticky), and left it out
    # of the account's load, so the account could be filled past max_deployments_per_account.
    import dataclasses

    from tenantctl.planning.placement import place
    from tenantctl.resources import Deployment

    stamp = STAMP + "max_deployments_per_account = 2\nmax_accounts = 2\n"
    state = _applied_from(stamp)
    ref = AccountRef(SUB, "rg-tenants", "ctso-eu1--01")
    staging = {
        naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE,
        naming.TAG_MANIFEST: "staging",
        naming.TAG_TENANT: "acme",
    }
    theirs = Deployment(ref, "acme--chat", "gpt-4o", "2024-11-20", "GlobalStandard", 1, tags=staging)
    state = dataclasses.replace(state, deployments={ref.key: (*state.deployments[ref.key], theirs)})
    manifest = _manifest(stamp + ON_STAMP.replace('name = "chat"', 'name = "embed"'))
    placement = place(manifest, state)
    assert placement.hints.tenant_account["acme"] == 2
    assert "acme" not in placement.sticky


def test_a_removed_tenants_account_is_never_adopted_by_a_stamp_that_wants_the_same_name() -> None:
    # Found by test_safety once tenant and stamp ids could overlap: tenant eu-2-01 (dedicated, account
    # ctso-eu-2-01) left the manifest and stamp eu-2 arrived, whose first account was also ctso-eu-2-01,
    # and the diff re-tagged the tenant's (protected) account as the stamp's. Stamp accounts are now
    # named {prefix}-{stamp}--{nn}, a name space no tenant id can reach: the stamp gets its own account
    # and the tenant's protected one is left alone.
    state = _applied_from('[tenants.eu-2-01]\nisolation = "dedicated"\nprotected = true\n')
    plan = make_plan(_manifest(STAMP.replace("eu1", "eu-2")), state, prune=True)
    created = {c.after.ref.name for c in plan.changes if c.kind.value == "account" and c.action is Action.CREATE}
    assert created == {"ctso-eu-2--01"}
    touched = [c for c in plan.changes if c.action is not Action.NOOP and "ctso-eu-2-01" in repr(c.before)]
    assert not touched


def test_a_removed_stamps_account_is_never_adopted_by_a_dedicated_tenant_of_the_same_name() -> None:
    state = _applied_from(STAMP + ON_STAMP)
    plan = make_plan(_manifest('[tenants.eu1-01]\nisolation = "dedicated"\n'), state, prune=True)
    created = {c.after.ref.name for c in plan.changes if c.kind.value == "account" and c.action is Action.CREATE}
    assert created == {"ctso-eu1-01"}
    assert not [c for c in plan.changes if c.action is Action.UPDATE and c.kind.value == "account"]


def test_a_protected_soft_deleted_account_in_the_way_is_never_offered_to_purge() -> None:
    # The generic message suggested --purge-deleted, which never purges a protected account.
    manifest = _manifest('[tenants.acme]\nisolation = "dedicated"\n')
    plan = make_plan(manifest, _deleted("ctso-acme", {**OURS, TAG_PROTECTED: "true"}, "eastus"))
    (error,) = [d for d in plan.diagnostics.errors if d.code == "soft-deleted-in-the-way"]
    assert "never purges a protected account" in error.summary
