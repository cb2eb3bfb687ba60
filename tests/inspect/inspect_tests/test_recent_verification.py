"""A plan reuses a recent passing verification of a tenant-provided account: no sign-in, no ARM read."""

from __future__ import annotations

from pathlib import Path

from inspect_tests.conftest import World
from tenantctl.cli.runtime import emulator_session
from tenantctl.diagnostics import Diagnostics
from tenantctl.reconcile import PlanOptions, make_plan_run


def test_a_second_plan_within_the_hour_does_not_verify_again_unless_asked(world: World, tmp_path: Path) -> None:
    session = emulator_session(world.cloud, world.emulator)
    options = PlanOptions(verify_cache=tmp_path / "verified.json")
    first = make_plan_run(world.manifest, session, options, Diagnostics())
    assert first.observed.byo["trey"]["ok"] is True
    world.emulator.reset_counts()
    second = make_plan_run(world.manifest, session, options, Diagnostics())
    counts = world.emulator.request_counts()
    assert second.observed.byo["trey"]["cached"] is True
    assert second.observed.byo["trey"]["ok"] is True
    # The tenant's account lives in its own subscription: no request reached it, nor its directory.
    tenant_reads = {op: n for op, n in counts.items() if op.startswith("entra.")}
    assert not tenant_reads, tenant_reads
    assert second.plan.changes == first.plan.changes
    world.emulator.reset_counts()
    forced = make_plan_run(
        world.manifest, session, PlanOptions(verify_cache=options.verify_cache, reverify=True), Diagnostics()
    )
    assert "cached" not in forced.observed.byo["trey"]
    assert any(op.startswith("entra.") for op in world.emulator.request_counts())
