"""Stamps across a subscription pool on the emulator: applied in several members, routed to their real
endpoints, shown where they are by quota and inspect, and a second plan is a no-op."""

from __future__ import annotations

from datetime import date

from tenantctl.cloud.azure import connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.export.routing import routing_for
from tenantctl.inspection.build import build_report
from tenantctl.inspection.fleet import quota_report
from tenantctl.manifest.model import Isolation
from tenantctl.observation import observe_quota
from tenantctl.observation.scoped import observe_tenant
from tenantctl.planning.pool_placement import observed_stamp_accounts
from tenantctl.reconcile import plan_against

from .conftest import manifest_from
from .on_emulator import apply_manifest, register
from .test_pool_placement import LOC

PROVIDER = "00000000-0000-0000-0000-0000000000f1"
A = "00000000-0000-0000-0000-0000000000a1"
B = "00000000-0000-0000-0000-0000000000b2"
C = "00000000-0000-0000-0000-0000000000c3"
STAMPS = ("eu1", "eu2", "eu3")


def pooled_stamps_manifest() -> str:
    stamps = "".join(
        f"""
[stamps.{s}]
location = "{LOC}"
deployments = [{{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 50 }}]
"""
        for s in STAMPS
    )
    tenants = "".join(
        f"""
[tenants.shared-{s}]
isolation = "shared"
stamp = "{s}"
tpm = 10000

[tenants.own-{s}]
isolation = "dedicated-deployment"
stamp = "{s}"
deployments = [{{ name = "chat", capacity = 5 }}]
"""
        for s in STAMPS
    )
    return f"""\
schema = 1

[provider]
subscription_id = "{PROVIDER}"
resource_group = "rg-tenants"
location = "{LOC}"
name_prefix = "ctso"
manifest_name = "stamppool"

[[provider.pool]]
subscription_id = "{A}"

[[provider.pool]]
subscription_id = "{B}"
resource_group = "rg-tenants-b"

[[provider.pool]]
subscription_id = "{C}"

[defaults]
deployments = [
  {{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }},
]
{stamps}
[tenants.solo]
isolation = "dedicated"
{tenants}"""


def test_unpinned_stamps_apply_across_the_pool_route_to_their_real_endpoints_and_replan_no_op(
    emulator: Emulator,
) -> None:
    register(emulator, PROVIDER, A, B, C)
    manifest = manifest_from(pooled_stamps_manifest())
    cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest, cloud)

    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes, [(c.address, c.action) for c in plan.changes]
    stamps = observed_stamp_accounts(manifest, observed.accounts)
    homes = {s: accounts[1].ref for s, accounts in stamps.items()}
    assert sorted(homes) == list(STAMPS)
    assert len({ref.subscription_id for ref in homes.values()}) >= 2
    assert all(ref.subscription_id in (A, B, C) for ref in homes.values())
    assert homes["eu2"].resource_group == "rg-tenants-b"  # the member's group, not the provider's

    routes = routing_for(manifest, observed).by_tenant()
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is Isolation.DEDICATED:
            continue
        assert tenant.stamp is not None
        account = next(a for a in stamps[tenant.stamp].values())
        entry = routes[tenant_id]
        assert entry.live == "target", tenant_id
        assert entry.route.account_id == account.ref.id
        assert account.endpoint
        assert entry.route.endpoint == account.endpoint

    # quota allocates each stamp's capacity in the subscription it lives in
    report = quota_report(manifest, observe_quota(manifest, cloud))
    allocated = {
        line.subscription_id.lower(): line.allocated
        for line in report.lines
        if line.usage_name.lower() == "openai.globalstandard.gpt-4o"
    }
    for stamp_id, ref in homes.items():
        on_it = [s for s, r in homes.items() if r.subscription_id == ref.subscription_id]
        # 50 per stamp + 5 per dedicated-deployment tenant (+10 for the dedicated tenant where it lives)
        assert allocated[ref.subscription_id.lower()] >= 55 * len(on_it), stamp_id

    # inspect finds each tenant's stamp account in its member
    for stamp_id, ref in homes.items():
        for tenant_id in (f"shared-{stamp_id}", f"own-{stamp_id}"):
            inspected = build_report(
                manifest, tenant_id, observe_tenant(manifest, cloud, tenant_id), plan, today=date(2026, 12, 4)
            )
            assert inspected.placement.subscription_id == ref.subscription_id
            assert inspected.placement.exists


def test_adding_a_pool_to_a_manifest_with_stamps_moves_nothing(emulator: Emulator) -> None:
    text = pooled_stamps_manifest()
    without_pool = text[: text.index("[[provider.pool]]")] + text[text.index("[defaults]") :]
    register(emulator, PROVIDER, A, B, C)
    cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest_from(without_pool), cloud)
    pool_with_provider = text.replace(
        "[[provider.pool]]", f'[[provider.pool]]\nsubscription_id = "{PROVIDER}"\n\n[[provider.pool]]', 1
    )
    manifest = manifest_from(pool_with_provider)
    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes, [(c.address, c.action) for c in plan.changes]
    assert {a.ref.subscription_id for a in observed.accounts.values()} == {PROVIDER}


def test_stamps_placed_in_the_pool_and_not_indexed_yet_are_found_in_arm_not_created_again(
    emulator: Emulator,
) -> None:
    """Resource Graph lags ARM: a stamp account just created in a pool member whose other accounts are
    indexed must be confirmed there (a stamp's first account is expected in every group placement may
    have put it in), never placed anew."""
    import dataclasses
    import time

    register(emulator, PROVIDER, A, B, C)
    cloud = connect_emulator(emulator, polling_interval=0.02)
    dedicated = "".join(f'\n[tenants.d{i}]\nisolation = "dedicated"\n' for i in range(3))
    full = pooled_stamps_manifest().replace('[tenants.solo]\nisolation = "dedicated"\n', dedicated)
    before_stamps = full[: full.index("\n[stamps.")] + dedicated
    apply_manifest(manifest_from(before_stamps), cloud)  # d0..d2, one per member
    indexed_until = time.time()
    time.sleep(2.0)  # the stamps are created at least 2 s later
    manifest = manifest_from(full)
    apply_manifest(manifest, cloud)
    # Resource Graph is as of just after the first apply: it has d0..d2 and none of the stamps' accounts.
    lag = time.time() - indexed_until
    emulator.settings = dataclasses.replace(emulator.settings, resource_graph_lag=lag)
    emulator.reset_counts()

    observed, plan = plan_against(manifest, cloud)

    assert not plan.has_changes, [(c.address, c.action) for c in plan.actionable]
    homes = {s: a[1].ref.subscription_id for s, a in observed_stamp_accounts(manifest, observed.accounts).items()}
    assert sorted(homes) == list(STAMPS)
    assert set(homes.values()) <= {A, B, C}
    assert "accounts.begin_create" not in emulator.request_counts()
