"""Failure handling over the real SDK: injected faults converge, terminal errors stop at once,
soft delete is handled, and reads cost one request per list."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import FaultSettings
from tenantctl.errors import RetryableError, TerminalError
from tenantctl.resources import Account

from .conftest import LOCATION, MODEL, SKU, deployment, unique


def test_insufficient_quota_is_terminal_and_not_retried(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, new_account: Callable[..., Account]
) -> None:
    ref = new_account().ref
    fast_emulator.set_quota(subscription, LOCATION, f"OpenAI.{SKU}.{MODEL}", 5)
    cloud.stats.reset()
    with pytest.raises(TerminalError) as caught:
        cloud.put_deployment(deployment(ref, capacity=10))
    error = caught.value
    assert error.code == "InsufficientQuota"
    assert error.status == 400
    assert error.hint
    assert "quota" in error.message.lower()
    assert cloud.stats.attempts == 1
    assert cloud.stats.total_retries == 0


def test_soft_delete_restore_and_purge(
    cloud: AzureCloud, subscription: str, new_account: Callable[..., Account]
) -> None:
    account = new_account()
    cloud.delete_account(account.ref)

    cloud.stats.reset()
    with pytest.raises(TerminalError) as caught:
        cloud.put_account(account)
    assert caught.value.code == "FlagMustBeSetForRestore"
    assert caught.value.status == 409
    assert "purge" in caught.value.hint
    assert cloud.stats.total_retries == 0  # a 409 that is not RequestConflict is never retried

    restored = cloud.put_account(account, restore=True)
    assert restored.provisioning_state == "Succeeded"
    assert [a.ref for a in cloud.list_accounts(subscription, account.ref.resource_group)] == [account.ref]
    assert account.ref not in {d.ref for d in cloud.list_deleted_accounts(subscription)}

    # Delete again, purge, and the same name (and subdomain) can be created from scratch.
    cloud.delete_account(account.ref)
    cloud.purge_deleted_account(account.ref, LOCATION)
    fresh = cloud.put_account(account)
    assert fresh.custom_subdomain == account.custom_subdomain


def test_subdomain_held_by_another_account_is_terminal(cloud: AzureCloud, new_account: Callable[..., Account]) -> None:
    first = new_account()
    with pytest.raises(TerminalError) as caught:
        new_account(custom_subdomain=first.custom_subdomain)
    assert caught.value.code == "CustomDomainInUse"
    assert caught.value.status == 409


def test_request_conflict_from_parallel_writers_is_retried(
    cloud: AzureCloud, fast_emulator: Any, new_account: Callable[..., Account]
) -> None:
    ref = new_account().ref
    fast_emulator.settings.lro_seconds = 0.5  # each write keeps the account busy a while
    cloud.stats.reset()
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def write(name: str) -> None:
        start.wait()
        try:
            cloud.put_deployment(deployment(ref, name=name, capacity=1))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"d{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(d.name for d in cloud.list_deployments(ref)) == ["d0", "d1", "d2"]
    assert cloud.stats.retries["RequestConflict"] >= 1


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(FaultSettings(rate_429=0.5, retry_after=0, seed=7), id="429"),
        pytest.param(FaultSettings(rate_5xx=0.5, retry_after=0, seed=11), id="5xx"),
        pytest.param(FaultSettings(drop_rate=0.4, seed=13), id="dropped-connections"),
        pytest.param(FaultSettings(lro_fail_rate=0.5, seed=17), id="failed-lros"),
        # GETs too: LRO polls fail, and then the whole write is re-issued.
        pytest.param(
            FaultSettings(
                rate_429=0.05, rate_5xx=0.05, drop_rate=0.05, retry_after=0, methods=("GET", "PUT", "DELETE"), seed=19
            ),
            id="mixed-including-polls",
        ),
    ],
)
def test_faults_converge_without_duplicates(
    fast_emulator: Any, new_account: Callable[..., Account], faults: FaultSettings
) -> None:
    account = new_account()
    # Generous attempts: with faults this dense, 8 attempts would fail now and then by chance.
    cloud = connect_emulator(fast_emulator, max_attempts=15, backoff_initial=0.01, backoff_cap=0.2)
    fast_emulator.set_faults(faults)
    for i in range(4):
        cloud.put_deployment(deployment(account.ref, name=f"d{i}", capacity=1))
    cloud.put_account(replace(account, tags={"round": "2"}))
    cloud.delete_deployment(account.ref, "d3")
    fast_emulator.set_faults(FaultSettings())

    assert sorted(d.name for d in cloud.list_deployments(account.ref)) == ["d0", "d1", "d2"]
    (observed,) = cloud.list_accounts(account.ref.subscription_id, account.ref.resource_group)
    assert dict(observed.tags) == {"round": "2"}
    assert cloud.stats.total_retries > 0
    assert not cloud.stats.failures
    cloud.close()


def test_retries_are_bounded(cloud: AzureCloud, fast_emulator: Any, new_account: Callable[..., Account]) -> None:
    ref = new_account().ref
    bounded = connect_emulator(fast_emulator, max_attempts=3, backoff_initial=0.01)
    try:
        fast_emulator.set_faults(FaultSettings(rate_5xx=1.0))
        with pytest.raises(RetryableError) as caught:
            bounded.put_deployment(deployment(ref))
    finally:
        fast_emulator.set_faults(FaultSettings())
        bounded.close()
    assert bounded.stats.attempts == 3
    assert caught.value.code
    assert "Bearer" not in caught.value.message


def test_throttling_with_retry_after_is_honoured(
    cloud: AzureCloud, fast_emulator: Any, new_account: Callable[..., Account]
) -> None:
    ref = new_account().ref
    cloud.stats.reset()
    fast_emulator.set_faults(FaultSettings(rate_429=1.0, retry_after=1, seed=1))
    done = threading.Event()

    def heal() -> None:
        # Let the first throttled attempt through its Retry-After, then stop throttling.
        done.wait(0.3)
        fast_emulator.set_faults(FaultSettings())

    healer = threading.Thread(target=heal)
    healer.start()
    try:
        cloud.put_deployment(deployment(ref))
    finally:
        done.set()
        healer.join()
    assert cloud.stats.retries["TooManyRequests"] >= 1
    assert cloud.stats.slept >= 1.0  # waited at least the Retry-After Azure sent


def test_reads_cost_one_request_per_list(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str, new_account: Callable[..., Account]
) -> None:
    accounts = [new_account() for _ in range(3)]
    for account in accounts:
        for i in range(3):
            cloud.put_deployment(deployment(account.ref, name=f"d{i}", capacity=1))

    fast_emulator.reset_counts()
    observed = cloud.list_accounts(subscription, group)
    for account in observed:
        assert len(cloud.list_deployments(account.ref)) == 3
    cloud.list_usages(subscription, LOCATION)
    cloud.list_models(subscription, LOCATION)
    counts = fast_emulator.request_counts()

    assert len(observed) == 3
    assert counts.get("accounts.list_by_resource_group") == 1
    assert counts.get("deployments.list") == 3
    assert counts.get("usages.list") == 1
    assert counts.get("models.list") == 1
    assert counts.get("accounts.get", 0) == 0
    assert counts.get("deployments.get", 0) == 0
    assert counts.get("total") == 1 + 3 + 1 + 1


def test_wrong_secret_is_terminal_and_never_leaks(fast_emulator: Any, subscription: str) -> None:
    provider = fast_emulator.provider
    secret = "not-the-secret-" + unique("")
    bad = replace(provider, client_secret=secret)

    # Same emulator, same HTTPS trust, but signing in with the wrong secret.
    impostor = SimpleNamespace(
        endpoint=fast_emulator.endpoint,
        ca_path=fast_emulator.ca_path,
        subscription_id=fast_emulator.subscription_id,
        provider=bad,
        settings=fast_emulator.settings,
    )
    cloud = connect_emulator(impostor)  # type: ignore[arg-type]
    try:
        with pytest.raises(TerminalError) as caught:
            cloud.list_accounts(subscription, "any")
    finally:
        cloud.close()
    assert caught.value.code == "AuthenticationFailed"
    assert secret not in str(caught.value)
    assert secret not in repr(cloud)


def test_connection_dropped_inside_an_lro_reissues_the_whole_write(
    fast_emulator: Any, new_account: Callable[..., Account]
) -> None:
    ref = new_account().ref
    cloud = connect_emulator(fast_emulator, max_attempts=60, backoff_initial=0.01, backoff_cap=0.1)
    fast_emulator.reset_counts()
    # Only GETs fail: the PUTs land, then the poller's final GET of the LRO is dropped (the emulator
    # spares operationResults polls). Only those GETs draw from the seeded RNG, so this is deterministic.
    fast_emulator.set_faults(FaultSettings(drop_rate=0.7, methods=("GET",), seed=5))
    try:
        for i in range(3):
            cloud.put_deployment(deployment(ref, name=f"d{i}", capacity=1))
    finally:
        fast_emulator.set_faults(FaultSettings())
        cloud.close()
    puts = fast_emulator.request_counts().get("deployments.begin_create_or_update", 0)
    assert cloud.stats.retries["ConnectionError"] >= 1
    assert puts > 3  # a dropped poll made us send the idempotent PUT again
    assert sorted(d.name for d in cloud.list_deployments(ref)) == ["d0", "d1", "d2"]


def test_arm_subscription_throttling_is_waited_out(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, group: str
) -> None:
    fast_emulator.settings.throttle = True  # ARM token buckets: 250 reads burst, 25/s refill
    cloud.stats.reset()
    # Read until the bucket runs dry (250 + refill; how many depends on this machine's speed).
    for _ in range(3000):
        assert cloud.list_accounts(subscription, group) == []
        if cloud.stats.retries:
            break
    assert cloud.stats.retries["SubscriptionRequestsThrottled"] >= 1
    assert cloud.stats.slept >= 1.0  # Retry-After (whole seconds) was honoured
    assert not cloud.stats.failures
