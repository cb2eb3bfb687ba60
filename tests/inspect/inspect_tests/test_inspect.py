"""inspect <tenant>: one screen per isolation model (goldens), cheap observation, and its refusals."""

from __future__ import annotations

import pytest

from inspect_tests.conftest import SUPPORT_PRINCIPAL, TODAY, World, check_golden, render, sdk_client
from tenantctl.cloud.byo_probe import emulator_report_verifier
from tenantctl.errors import UsageError
from tenantctl.inspection import inspect_tenant
from tenantctl.render.inspect import print_inspect
from tenantctl.tenant_provided.verification import json_verifier


@pytest.mark.parametrize("tenant", ["acme", "globex", "initech", "newco"])
def test_the_inspect_screen_of_each_provider_side_tenant_matches_its_golden(
    world: World, tenant: str, update_goldens: bool
) -> None:
    result = inspect_tenant(world.manifest, world.cloud, tenant, today=TODAY)
    check_golden(f"inspect-{tenant}.txt", render(print_inspect, result.report), update_goldens)


def test_the_inspect_screen_of_a_tenant_provided_tenant_shows_the_verifiers_checks(
    world: World, update_goldens: bool
) -> None:
    verifier = json_verifier(emulator_report_verifier(world.emulator, world.manifest))
    result = inspect_tenant(world.manifest, world.cloud, "trey", today=TODAY, verifier=verifier)
    assert result.report.state == "in sync"
    assert result.report.verification is not None
    assert result.report.verification["ok"] is True
    check_golden("inspect-trey.txt", render(print_inspect, result.report), update_goldens)


def test_a_tenant_provided_tenant_without_a_verifier_is_shown_as_unverified(world: World) -> None:
    result = inspect_tenant(world.manifest, world.cloud, "trey", today=TODAY)
    assert result.report.state == "unverified"
    assert result.report.placement.account == "trey-aoai"


def test_inspecting_a_dedicated_tenant_with_a_content_filter_costs_at_most_seven_arm_requests(world: World) -> None:
    # accounts, deployments, RAI policies, blocklists + their items (plan compares terms: so must
    # inspect), models, role assignments.
    world.emulator.reset_counts()
    result = inspect_tenant(world.manifest, world.cloud, "acme", today=TODAY)
    counts = world.emulator.request_counts()
    assert result.report.content_filter is not None
    assert result.report.content_filter.in_azure
    assert counts["total"] <= 7, str(sorted(counts.items()))
    print(f"inspect acme: {counts['total']} ARM requests: {counts}")


def test_a_model_version_retiring_within_ninety_days_is_flagged_with_a_warning(world: World) -> None:
    result = inspect_tenant(world.manifest, world.cloud, "acme", today=TODAY)
    legacy = next(d for d in result.report.deployments if d.name == "legacy")
    assert (legacy.retiring_soon, legacy.days_to_retirement) == (True, 49)
    assert [d.code for d in result.diagnostics.warnings] == ["model-retiring"]
    later = inspect_tenant(world.manifest, world.cloud, "acme", today=TODAY.replace(year=2026, month=9, day=1))
    assert not any(d.retiring_soon for d in later.report.deployments)


def test_role_assignments_at_the_account_are_listed_with_role_names(world: World) -> None:
    result = inspect_tenant(world.manifest, world.cloud, "acme", today=TODAY)
    roles = result.report.role_assignments
    assert roles is not None
    assert [(r.role, r.principal_id) for r in roles] == [("Cognitive Services OpenAI User", SUPPORT_PRINCIPAL)]


def test_a_shared_tenants_share_of_the_stamp_is_its_budget_over_capacity_times_overcommit(world: World) -> None:
    budget = inspect_tenant(world.manifest, world.cloud, "initech", today=TODAY).report.budget
    assert budget is not None
    chat = next(line for line in budget.deployments if line.name == "chat")
    assert chat.capacity_tpm == 100_000
    assert chat.allowed_tpm == 150_000
    assert chat.share == pytest.approx(60_000 / 150_000)
    mini = next(line for line in budget.deployments if line.name == "mini")
    assert mini.stamp_budgets_tpm == 150_000  # initech 60,000 + hooli 90,000 (mini only)
    assert mini.stamp_utilisation == pytest.approx(150_000 / 180_000)


def test_a_never_applied_tenant_is_missing_with_its_drift_listed_as_creates(world: World) -> None:
    report = inspect_tenant(world.manifest, world.cloud, "newco", today=TODAY).report
    assert report.state == "missing"
    assert report.placement.exists is False
    assert {d.action for d in report.drift} == {"create"}
    assert report.soft_deleted == ()


def test_an_unknown_tenant_is_refused_with_close_matches_once_azure_holds_nothing_tagged_for_it(
    world: World,
) -> None:
    # A removed tenant may still live in Azure, so a name not in the manifest is looked for there
    # (plan's first observation step, reads only) before it is refused.
    world.emulator.reset_counts()
    with pytest.raises(UsageError) as caught:
        inspect_tenant(world.manifest, world.cloud, "acmee", today=TODAY)
    assert caught.value.code == "unknown-tenant"
    assert "acme" in caught.value.hint
    ops = set(world.emulator.request_counts()) - {"total"}
    assert ops
    # Resource Graph's query is a POST that only reads.
    reads = {"resourcegraph.resources"}
    assert all(op.startswith("entra.") or op in reads or op.split(".")[-1].startswith("list") for op in ops), ops


def test_inspecting_every_tenant_only_ever_reads(world: World) -> None:
    world.emulator.reset_counts()
    for tenant in world.manifest.tenants:
        inspect_tenant(world.manifest, world.cloud, tenant, today=TODAY)
    ops = set(world.emulator.request_counts()) - {"total"}
    reads = ("list", "get", "check")  # operation names are the SDK's: list_*, get, check_* are reads
    writes = {op for op in ops if not op.split(".")[-1].startswith(reads) and not op.startswith("entra.")}
    assert "deployments.list" in ops
    assert writes == set()


def test_a_dedicated_account_deleted_behind_tenantctls_back_shows_as_a_soft_deleted_leftover(
    private_world: World,
) -> None:
    w = private_world
    p = w.manifest.provider
    sdk_client(w.emulator, p.subscription_id).accounts.begin_delete(p.resource_group, "tc-acme").result()
    report = inspect_tenant(w.manifest, w.cloud, "acme", today=TODAY).report
    assert report.state == "missing"
    assert report.placement.exists is False
    assert report.soft_deleted is not None
    assert [(s.name, s.location) for s in report.soft_deleted] == [("tc-acme", "westeurope")]
    assert report.soft_deleted[0].scheduled_purge_date is not None
    assert "restore" in {d.action for d in report.drift}  # the planner recovers it rather than re-creating
    screen = render(print_inspect, report)
    assert "Soft-deleted accounts held by Azure under the tenant's name" in screen
    # Azure purges it on that date unless someone restores it first: a plan, not something done.
    assert f"purge scheduled for {report.soft_deleted[0].scheduled_purge_date}" in " ".join(screen.split())
    assert "purged" not in screen


def test_a_tenant_provided_tenant_whose_admin_has_not_consented_is_in_error_with_the_next_step(
    private_world: World,
) -> None:
    w = private_world
    verifier = json_verifier(emulator_report_verifier(w.emulator, w.manifest, consent=False))
    report = inspect_tenant(w.manifest, w.cloud, "trey", today=TODAY, verifier=verifier).report
    assert report.state == "error"
    assert report.verification is not None
    token = report.verification["checks"][0]
    assert (token["name"], token["status"], token["code"]) == ("token", "failed", "not-consented")
    assert "next:" in render(print_inspect, report)
