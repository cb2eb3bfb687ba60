"""Offboarding and quota on the emulator (issue 16): a soft-deleted account keeps holding its deployments'
quota until purged, so the pre-flight must count it, and tenantctl deletes deployments before their account
so that what it offboards never holds quota (or, for provisioned deployments, charges) while soft-deleted."""

from __future__ import annotations

from tenantctl.addresses import Address
from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator
from tenantctl.execution.executor import apply_plan
from tenantctl.planning.model import Action, Plan
from tenantctl.reconcile import PlanOptions, plan_against
from tenantctl.resources import AccountRef

from .conftest import HEAD, LOC, SUB, dedicated, manifest_from
from .on_emulator import apply_manifest, register

LINE = "OpenAI.GlobalStandard.gpt-4o"


def _cloud(emulator: Emulator) -> AzureCloud:
    register(emulator, SUB)
    emulator.set_quota(SUB, LOC, LINE, 30)
    return connect_emulator(emulator, polling_interval=0.02)


def _used(cloud: AzureCloud) -> float:
    return next(u.current for u in cloud.list_usages(SUB, LOC) if u.usage_name == LINE)


def _plan(cloud: AzureCloud, text: str, **options: bool) -> Plan:
    return plan_against(manifest_from(text), cloud, PlanOptions(**options))[1]


def test_quota_preflight_counts_what_a_soft_deleted_account_still_holds(emulator: Emulator) -> None:
    cloud = _cloud(emulator)
    apply_manifest(manifest_from(HEAD + dedicated("gone", capacity=20)), cloud)
    # Deleted outside tenantctl, deployments and all (the portal's "Delete"): the account is soft-deleted.
    cloud.delete_account(AccountRef(SUB, "rg-tenants", "ctso-gone"))
    assert _used(cloud) == 20

    plan = _plan(cloud, HEAD + dedicated("new", capacity=20))
    [line] = [q for q in plan.quota if q.usage_name == LINE]
    assert (line.used, line.limit, line.need) == (20, 30, 20)
    [short] = [d for d in plan.diagnostics.errors if d.code == "quota-short"]
    assert "short by 10" in short.summary
    assert plan.is_blocked  # Azure would answer InsufficientQuota half-way through the apply


def test_prune_deletes_deployments_before_the_account_so_nothing_is_held_after(emulator: Emulator) -> None:
    cloud = _cloud(emulator)
    apply_manifest(manifest_from(HEAD + dedicated("gone", capacity=20) + dedicated("kept", capacity=5)), cloud)
    plan = _plan(cloud, HEAD + dedicated("kept", capacity=5), prune=True)
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    assert [str(c.address) for c in deletes] == ["tenant.gone.deployment.chat", "tenant.gone.account"]
    assert deletes[1].depends_on == (Address.parse("tenant.gone.deployment.chat"),)

    result = apply_plan(plan, cloud, parallelism=10)
    assert not result.failed
    assert [d.ref.name for d in cloud.list_deleted_accounts(SUB)] == ["ctso-gone"]
    assert _used(cloud) == 5  # the soft-deleted account holds nothing: only kept's deployment counts
    assert not _plan(cloud, HEAD + dedicated("kept", capacity=5) + dedicated("new", capacity=25)).is_blocked
