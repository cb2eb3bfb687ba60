"""Observation cost: O(managed accounts + regions), and lazy reads only where the plan needs them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenantctl.observed import ObservedState, observe
from tenantctl.planning import make_plan
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    ModelOffer,
    QuotaUsage,
    RaiPolicy,
    SubdomainCheck,
)

from .conftest import HEAD, LOC, SUB, dedicated, manifest_from, on_stamp, stamp_block
from .simulate import applied

TEXT = HEAD + stamp_block() + on_stamp("one") + on_stamp("two", extra='content_filter = { blocklist = ["x"] }')
TEXT += dedicated("acme") + dedicated("beta")


class RecordingPort:
    """Reads answered from an ObservedState; every call counted. Writes are not part of planning."""

    def __init__(self, state: ObservedState, foreign: tuple[Account, ...] = ()) -> None:
        self.state = state
        self.foreign = foreign
        self.calls: Counter[str] = Counter()

    def list_accounts(self, subscription_id: str, resource_group: str) -> list[Account]:
        self.calls["list_accounts"] += 1
        return [*self.state.accounts.values(), *self.foreign]

    def list_deployments(self, account: AccountRef) -> list[Deployment]:
        self.calls["list_deployments"] += 1
        return list(self.state.deployments.get(account.key, ()))

    def list_rai_policies(self, account: AccountRef) -> list[RaiPolicy]:
        self.calls["list_rai_policies"] += 1
        return list(self.state.rai_policies.get(account.key, ()))

    def list_blocklists(self, account: AccountRef) -> list[Blocklist]:
        self.calls["list_blocklists"] += 1
        return list(self.state.blocklists.get(account.key, ()))

    def list_usages(self, subscription_id: str, location: str) -> list[QuotaUsage]:
        self.calls["list_usages"] += 1
        return [QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", 0, 1000)]

    def list_models(self, subscription_id: str, location: str) -> list[ModelOffer]:
        self.calls["list_models"] += 1
        return [ModelOffer(LOC, "gpt-4o", "2024-11-20", "GlobalStandard", "OpenAI.GlobalStandard.gpt-4o")]

    def list_deleted_accounts(self, subscription_id: str) -> list[DeletedAccount]:
        self.calls["list_deleted_accounts"] += 1
        return []

    def check_subdomain(self, subscription_id: str, subdomain: str) -> SubdomainCheck:
        self.calls["check_subdomain"] += 1
        return SubdomainCheck(subdomain, True)

    def __getattr__(self, name: str) -> Any:  # writes: planning must never call them
        raise AssertionError(f"planning called {name}")


def _applied() -> ObservedState:
    return applied(ObservedState(), make_plan(manifest_from(TEXT), ObservedState()))


def test_a_no_op_plan_costs_one_list_per_group_and_one_deployment_list_per_account() -> None:
    port = RecordingPort(_applied())
    observed = observe(manifest_from(TEXT), port)  # type: ignore[arg-type]
    assert not make_plan(manifest_from(TEXT), observed).has_changes
    # 3 managed accounts (acme, beta, eu1-01); filters only where tenant "two" declares one.
    assert port.calls == Counter(list_accounts=1, list_deployments=3, list_rai_policies=1, list_blocklists=1)


def test_adding_capacity_reads_usages_and_models_once_per_region_and_creates_check_names() -> None:
    port = RecordingPort(_applied())
    bigger = TEXT + dedicated("gamma") + dedicated("delta")
    observed = observe(manifest_from(bigger), port)  # type: ignore[arg-type]
    assert port.calls["list_usages"] == 1
    assert port.calls["list_models"] == 1
    assert port.calls["list_deleted_accounts"] == 1
    assert port.calls["check_subdomain"] == 2
    plan = make_plan(manifest_from(bigger), observed)
    assert {q.usage_name for q in plan.quota} >= {"OpenAI.GlobalStandard.gpt-4o"}
    assert not plan.is_blocked


def test_untagged_accounts_are_kept_only_as_name_conflicts() -> None:
    stranger = Account(AccountRef(SUB, "rg-tenants", "legacy"), LOC, "legacy", {})
    port = RecordingPort(_applied(), foreign=(stranger,))
    observed = observe(manifest_from(TEXT), port)  # type: ignore[arg-type]
    assert stranger.ref.key in observed.foreign_accounts
    assert stranger.ref.key not in observed.accounts
    assert port.calls["list_deployments"] == 3  # never lists what is not ours


def test_a_filter_without_blocklist_costs_one_read_and_a_plain_account_none() -> None:
    text = HEAD + dedicated("acme", extra='content_filter = { severity = "High" }') + dedicated("beta")
    port = RecordingPort(applied(ObservedState(), make_plan(manifest_from(text), ObservedState())))
    observed = observe(manifest_from(text), port)  # type: ignore[arg-type]
    assert port.calls == Counter(list_accounts=1, list_deployments=2, list_rai_policies=1)
    assert not make_plan(manifest_from(text), observed).has_changes
