"""The emulated tenant admins act only where their onboarding is missing (issue 13: every
`plan --emulator` used to replay 100 admins' onboarding, ~2 s and 400 ARM requests at 1,000 tenants)."""

from __future__ import annotations

from collections.abc import Callable

from tenantctl.emulator.tenant_admin import onboard_tenant_admins
from tests.byo.conftest import ByoWorld, make_manifest

World = Callable[..., ByoWorld]


def test_an_onboarding_in_place_is_not_replayed(byo_world: World) -> None:
    world = byo_world()
    world.emulator.reset_counts()

    again = onboard_tenant_admins(world.emulator, world.manifest)

    assert sum(world.emulator.request_counts().values()) == 0
    assert again.tenants == world.prepared.tenants
    assert world.verify().ok


def test_what_is_missing_is_done_again_consent_role_and_a_new_expected_deployment(byo_world: World) -> None:
    world = byo_world(consent=False)
    assert not world.verify().ok
    wider = make_manifest(expect_deployments=["gpt-4o", "text-embedding-3-small"])
    world.emulator.reset_counts()

    again = onboard_tenant_admins(world.emulator, wider)

    assert sum(world.emulator.request_counts().values()) > 0  # the admin worked through ARM again
    assert again.tenants["trey"]["consented"]
    assert again.tenants["trey"]["role_assigned"]
    assert again.tenants["trey"]["deployments"] == ["gpt-4o", "text-embedding-3-small"]
    assert world.verify(wider).ok


def test_a_role_removed_since_is_assigned_again(byo_world: World) -> None:
    world = byo_world(assign_role=False)
    assert not world.verify().ok

    onboard_tenant_admins(world.emulator, world.manifest)

    assert world.verify().ok
