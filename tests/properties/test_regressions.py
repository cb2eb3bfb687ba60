"""Focused regressions for what the properties found (each names the property that found it)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tenantctl import naming
from tenantctl.desired import TAG_PROTECTED
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observed import ObservedState
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
