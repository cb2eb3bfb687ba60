"""The subscription pool against the emulator: Azure's per-subscription limits and unreadable members."""

from __future__ import annotations

import pytest

from tenantctl.cloud.azure import connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.errors import TenantctlError
from tenantctl.planning.pool_placement import observed_homes
from tenantctl.reconcile import PlanOptions, plan_against

from .conftest import manifest_from
from .on_emulator import apply_manifest, register
from .test_pool_placement import LOC, members, pool_manifest
from .test_pool_placement import A as PROVIDER

A = "00000000-0000-0000-0000-0000000000a1"
B = "00000000-0000-0000-0000-0000000000b2"
C = "00000000-0000-0000-0000-0000000000c3"


def test_an_account_limit_azure_reports_spills_tenants_into_the_next_member(emulator: Emulator) -> None:
    register(emulator, PROVIDER, A, B)
    # Azure's own limit in A (a lowered one, as support tickets or other accounts leave it): 2 accounts.
    emulator.set_quota(A, LOC, "OpenAI.S0.AccountCount", 2)
    manifest = manifest_from(pool_manifest([f"t{i}" for i in range(5)], members(A, B)))
    cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest, cloud)
    observed, plan = plan_against(manifest, cloud)
    assert not plan.has_changes
    homes = observed_homes(manifest, observed)
    assert sum(1 for sub, _ in homes.values() if sub == A) == 2
    assert sum(1 for sub, _ in homes.values() if sub == B) == 3


@pytest.mark.parametrize("how", ["missing", "no-role"])
def test_a_pool_subscription_that_cannot_be_read_is_an_error_naming_it(emulator: Emulator, how: str) -> None:
    register(emulator, PROVIDER, A)
    if how == "no-role":  # exists in the directory, but the provider holds no role on it
        emulator.add_subscription(C, emulator.home_directory)
    manifest = manifest_from(pool_manifest(["t1"], members(A, C)))
    cloud = connect_emulator(emulator, polling_interval=0.02)
    with pytest.raises(TenantctlError) as caught:
        plan_against(manifest, cloud)
    assert C in str(caught.value)


def test_pinning_a_tenant_elsewhere_moves_it_make_before_break_on_the_emulator(emulator: Emulator) -> None:
    from tenantctl.execution.executor import apply_plan

    register(emulator, PROVIDER, A, B)
    cloud = connect_emulator(emulator, polling_interval=0.02)
    before = manifest_from(pool_manifest(["t1"], members(A, B)))
    apply_manifest(before, cloud)
    pinned = manifest_from(pool_manifest(["t1"], members(A, B), extra={"t1": f'subscription_id = "{B}"'}))
    apply_manifest(pinned, cloud)  # phase 1: the new account next to the old one
    observed, _ = plan_against(pinned, cloud)
    live = sorted((a.ref.subscription_id, a.custom_subdomain) for a in observed.accounts.values())
    assert live == [(A, "ctso-t1"), (B, "ctso-t1-2")]
    _, retire = plan_against(pinned, cloud, PlanOptions(retire=True))  # phase 3
    result = apply_plan(retire, cloud, parallelism=4)
    assert not result.failed, [(o.address, o.code, o.message) for o in result.failed]
    observed, plan = plan_against(pinned, cloud)
    assert not plan.has_changes
    assert observed_homes(pinned, observed)["t1"][0] == B
