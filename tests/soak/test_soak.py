"""CI-sized soaks (scripts/soak --short runs the same): faults and SIGKILL converge without duplicates.

The full-size runs (200 tenants, 12 kill points, 10,000 fuzz examples) are ``scripts/soak``; their
results are in docs/benchmarks.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import common
from benchmarks.baselines import sdk_client
from benchmarks.soak import census_problems, fault_soak, kill_campaign


@pytest.mark.slow
def test_apply_of_30_tenants_with_a_fifth_of_writes_failing_converges_with_a_clean_census() -> None:
    soak = fault_soak(30, fault_rate=0.2)

    assert soak.write_requests > soak.writes_planned, "the injected faults never hit a write"
    assert soak.statuses[-1] == "success", soak.statuses
    assert soak.problems == []


@pytest.mark.slow
def test_apply_killed_with_sigkill_at_three_points_converges_and_plan_is_a_no_op(tmp_path: Path) -> None:
    campaign = kill_campaign(30, [0, 2, 5], workdir=tmp_path)

    assert campaign.killed == 3, campaign.outputs  # every kill landed mid-write
    assert campaign.final_exit == 0, campaign.outputs
    assert campaign.plan_exit == 0, campaign.outputs  # --detailed-exitcode: 0 = no changes left
    assert campaign.problems == []


def test_the_census_sees_a_duplicate_account_and_an_orphan(tmp_path: Path) -> None:
    manifest = common.load(common.write_manifest(tmp_path, 8))
    with common.emulator_for(manifest, lro_seconds=0.01) as emu, common.cloud_for(emu) as session:
        _, result, _ = common.apply(manifest, session)
        assert result.status.value == "success"
        assert census_problems(manifest, session) == []
        # A second account for an existing dedicated tenant, tagged as tenantctl would tag it.
        account = next(
            a for a in session.cloud.list_accounts(manifest.provider.subscription_id, manifest.provider.resource_group)
        )
        client = sdk_client(emu, manifest.provider.subscription_id)
        client.accounts.begin_create(
            manifest.provider.resource_group,
            account.ref.name + "-dup",
            {
                "kind": "OpenAI",
                "sku": {"name": "S0"},
                "location": account.location,
                "tags": dict(account.tags),
                "properties": {"customSubDomainName": account.ref.name + "-dup"},
            },
            polling_interval=0.01,
        ).result()
        client.close()

        problems = census_problems(manifest, session)

    assert any("plan --prune not empty: delete" in p for p in problems), problems
    assert any("managed accounts, expected" in p for p in problems), problems
    assert any("has 2 accounts" in p for p in problems), problems
