"""status (one row per tenant, state from a no-op plan) and quota (usage lines, stamp budgets)."""

from __future__ import annotations

import pytest

from inspect_tests.conftest import TODAY, World, check_golden, render, sdk_client
from tenantctl.cli.runtime import emulator_session
from tenantctl.cloud.session import CloudSession
from tenantctl.diagnostics import Diagnostics
from tenantctl.inspection import fleet_status, inspect_tenant, observe_quota, quota_report
from tenantctl.inspection.fleet import FleetStatus
from tenantctl.reconcile import PlanOptions, make_plan_run
from tenantctl.render.status import print_quota, print_status


def _status(world: World, *, verify: bool = False, **filters: object) -> FleetStatus:
    """What `tenantctl status` computes; ``verify`` plays the tenant admins in the emulator, as --emulator does."""
    session = emulator_session(world.cloud, world.emulator) if verify else CloudSession(world.cloud)
    run = make_plan_run(world.manifest, session, PlanOptions(), Diagnostics())
    return fleet_status(world.manifest, run.plan, verifications=run.observed.byo, **filters)  # type: ignore[arg-type]


def test_status_shows_one_row_per_tenant_with_its_state(world: World, update_goldens: bool) -> None:
    status = _status(world, verify=True)
    assert {r.tenant: r.state for r in status.rows} == {
        "acme": "in sync",
        "globex": "in sync",
        "hooli": "in sync",
        "initech": "in sync",
        "newco": "missing",
        "trey": "in sync",
    }
    assert [r.tenant for r in status.rows] == sorted(r.tenant for r in status.rows)
    check_golden("status.txt", render(print_status, status), update_goldens)


def test_status_filters_by_isolation_and_by_stamp(world: World) -> None:
    assert [r.tenant for r in _status(world, isolation="shared").rows] == ["hooli", "initech"]
    assert [r.tenant for r in _status(world, stamp="eu1").rows] == ["globex", "hooli", "initech"]
    assert [r.tenant for r in _status(world, isolation="dedicated", stamp="eu1").rows] == []


def test_a_tenant_provided_tenant_is_unverified_when_no_app_credential_is_configured(world: World) -> None:
    [trey] = _status(world, isolation="tenant-provided").rows
    assert (trey.state, trey.detail.split(":")[0]) == ("unverified", "verification unavailable")


def test_drift_only_on_a_clean_fleet_lists_only_the_tenant_never_applied(world: World) -> None:
    status = _status(world, drift_only=True)
    assert [(r.tenant, r.state) for r in status.rows] == [("newco", "missing")]
    assert status.counts["missing"] == 1


def test_a_capacity_changed_behind_tenantctls_back_shows_as_drift_in_status_and_inspect(
    private_world: World,
) -> None:
    w = private_world
    stamp_sub = w.manifest.stamp_subscription("eu1")
    client = sdk_client(w.emulator, stamp_sub)
    deployment = client.deployments.get(w.manifest.stamp_resource_group("eu1"), "tc-eu1--01", "globex--chat")
    deployment.sku.capacity = 45
    client.deployments.begin_create_or_update(
        w.manifest.stamp_resource_group("eu1"), "tc-eu1--01", "globex--chat", deployment
    ).result()

    status = _status(w, drift_only=True)
    assert [(r.tenant, r.state) for r in status.rows] == [("globex", "drift"), ("newco", "missing")]
    assert status.rows[0].detail == "~ deployment.chat capacity 45→30"

    report = inspect_tenant(w.manifest, w.cloud, "globex", today=TODAY).report
    assert report.state == "drift"
    [drift] = report.drift
    assert drift.action == "update"
    assert [(f.name, f.manifest, f.azure) for f in drift.fields] == [("capacity", 30, 45)]
    assert report.deployments[0].capacity == 45  # the screen shows what Azure has


def test_quota_lines_add_up_usage_allocation_and_headroom(world: World, update_goldens: bool) -> None:
    report = quota_report(world.manifest, observe_quota(world.manifest, world.cloud))
    lines = {(q.location, q.usage_name): q for q in report.lines}
    dz = lines[("swedencentral", "OpenAI.DataZoneStandard.gpt-4o")]
    # stamp eu1 chat 100 + globex chat 30, all applied
    assert (dz.limit, dz.used, dz.allocated, dz.headroom, dz.unit) == (1000, 130, 130, 870, "K TPM")
    legacy = lines[("westeurope", "OpenAI.Standard.gpt-35-turbo")]
    assert (legacy.used, legacy.allocated) == (5, 5)
    accounts = lines[("swedencentral", "OpenAI.S0.AccountCount")]
    assert (accounts.used, accounts.allocated, accounts.unit) == (1, 2, "accounts")  # newco not applied yet
    newco = lines[("swedencentral", "OpenAI.GlobalStandard.gpt-4o")]
    assert (newco.used, newco.allocated, newco.headroom) == (0, 10, 990)
    check_golden("quota.txt", render(print_quota, report), update_goldens)


def test_quota_shows_each_stamps_budgets_against_capacity_times_overcommit(world: World) -> None:
    [eu1] = quota_report(world.manifest, observe_quota(world.manifest, world.cloud)).stamps
    chat, mini = eu1.deployments
    assert (eu1.accounts, eu1.overcommit) == (1, 1.5)
    assert (chat.capacity_tpm, chat.budgets_tpm, chat.tenants) == (100_000, 60_000, 1)
    assert chat.utilisation == pytest.approx(60_000 / 150_000)
    assert (mini.capacity_tpm, mini.budgets_tpm, mini.tenants) == (120_000, 150_000, 2)
    assert mini.utilisation == pytest.approx(150_000 / 180_000)


def test_quota_for_one_location_reads_and_shows_only_that_region(world: World) -> None:
    world.emulator.reset_counts()
    report = quota_report(
        world.manifest, observe_quota(world.manifest, world.cloud, locations=["westeurope"]), location="westeurope"
    )
    assert {q.location for q in report.lines} == {"westeurope"}
    assert report.stamps == ()
    counts = world.emulator.request_counts()
    assert (counts["usages.list"], counts["models.list"]) == (1, 1)
