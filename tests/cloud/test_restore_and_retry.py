"""Restore, Retry-After and classification edge cases of the adapter (real SDKs against the emulator)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.cloud.azure.errors import classify, retry_after_of
from tenantctl.cloud.azure.retry import RetryPolicy
from tenantctl.emulator import FaultSettings
from tenantctl.errors import RetryableError, TerminalError
from tenantctl.resources import Account, AccountRef

from .conftest import LOCATION


def test_a_restore_brings_the_account_back_with_the_desired_settings_not_the_deleted_ones(
    cloud: AzureCloud, subscription: str, new_account: Callable[..., Account]
) -> None:
    old = new_account()
    cloud.delete_account(old.ref)
    desired = replace(old, tags={"tier": "new", "managed-by": "tenantctl"}, public_network_access=False)

    restored = cloud.put_account(desired, restore=True)

    (live,) = cloud.list_accounts(subscription, old.ref.resource_group)
    for account in (restored, live):
        assert account.tags == desired.tags
        assert account.public_network_access is False
        assert account.custom_subdomain == old.custom_subdomain
        assert account.location == LOCATION
    assert old.ref not in {d.ref for d in cloud.list_deleted_accounts(subscription)}


def test_a_restore_whose_answer_is_lost_is_retried_into_the_same_live_account(
    cloud: AzureCloud, fast_emulator: Any, subscription: str, new_account: Callable[..., Account]
) -> None:
    old = new_account()
    cloud.delete_account(old.ref)
    desired = replace(old, tags={"tier": "restored"})
    fast_emulator.set_faults(FaultSettings(drop_rate=0.5, methods=("PUT",), seed=11))
    try:
        restored = cloud.put_account(desired, restore=True)
    finally:
        fast_emulator.set_faults(FaultSettings())
    assert cloud.stats.retries, "no PUT was dropped: the test proves nothing"
    assert restored.tags == desired.tags
    assert [a.ref for a in cloud.list_accounts(subscription, old.ref.resource_group)] == [old.ref]


# --- Retry-After and classification of what ARM answers (real azure-core error objects) -----------


def _arm_error(status: int, code: str, headers: dict[str, str] | None = None) -> Any:
    """The HttpResponseError azure-core raises for this ARM answer (built as the SDK builds it)."""
    import requests
    from azure.core.exceptions import HttpResponseError
    from azure.core.pipeline.transport import HttpRequest, RequestsTransportResponse
    from azure.mgmt.core.exceptions import ARMErrorFormat

    raw = requests.Response()
    raw.status_code = status
    raw._content = json.dumps({"error": {"code": code, "message": f"{code} happened"}}).encode()
    raw.headers.update({"Content-Type": "application/json", **(headers or {})})
    response = RequestsTransportResponse(HttpRequest("PUT", "https://management.azure.com/x"), raw)
    return HttpResponseError(response=response, error_format=ARMErrorFormat)


def test_retry_after_is_read_in_seconds_milliseconds_and_http_date_forms() -> None:
    future = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    past = format_datetime(datetime.now(timezone.utc) - timedelta(seconds=30), usegmt=True)
    assert retry_after_of(_arm_error(429, "TooManyRequests", {"Retry-After": "7"})) == 7.0
    assert retry_after_of(_arm_error(429, "TooManyRequests", {"retry-after-ms": "1500"})) == 1.5
    assert retry_after_of(_arm_error(429, "TooManyRequests", {"x-ms-retry-after-ms": "250"})) == 0.25
    assert 25 < (retry_after_of(_arm_error(503, "ServiceUnavailable", {"Retry-After": future})) or 0) <= 30
    assert retry_after_of(_arm_error(503, "ServiceUnavailable", {"Retry-After": past})) == 0.0
    assert retry_after_of(_arm_error(503, "ServiceUnavailable", {"Retry-After": "soon"})) is None
    assert retry_after_of(_arm_error(503, "ServiceUnavailable")) is None


def test_a_zero_or_past_retry_after_backs_off_instead_of_re_sending_at_once() -> None:
    policy = RetryPolicy(initial=1.0, cap=30.0)
    for header in ("0", format_datetime(datetime.now(timezone.utc) - timedelta(seconds=5), usegmt=True)):
        error = classify(_arm_error(503, "ServiceUnavailable", {"Retry-After": header}), "put deployment x")
        assert isinstance(error, RetryableError)
        assert error.retry_after == 0.0
        # the 4th attempt's backoff is 4-8 s; "0" must not collapse it to an immediate re-send
        assert policy.wait_seconds(4, error) >= 4.0
    honoured = classify(_arm_error(429, "TooManyRequests", {"Retry-After": "12"}), "put deployment x")
    assert 12.0 <= policy.wait_seconds(1, honoured) < 13.0


def test_an_account_still_provisioning_is_waited_for_while_permanent_400s_are_terminal() -> None:
    busy = classify(_arm_error(400, "AccountProvisioningStateInvalid"), "put deployment x")
    assert isinstance(busy, RetryableError)
    assert busy.code == "AccountProvisioningStateInvalid"
    quota = classify(_arm_error(400, "InsufficientQuota"), "put deployment x")
    assert isinstance(quota, TerminalError)
    restore = classify(_arm_error(409, "FlagMustBeSetForRestore"), "put account x")
    assert isinstance(restore, TerminalError)
    conflict = classify(_arm_error(409, "RequestConflict"), "put deployment x")
    assert isinstance(conflict, RetryableError)


def test_a_cancelled_policy_stops_waiting_and_never_sends_another_attempt() -> None:
    policy = RetryPolicy(max_attempts=8)
    sent = 0

    def throttled() -> None:
        nonlocal sent
        sent += 1
        raise RetryableError("slow down", code="TooManyRequests", retry_after=30)

    threading.Timer(0.3, policy.cancel).start()
    started = time.monotonic()
    with pytest.raises(RetryableError):
        policy.call("put deployment x", throttled)
    assert time.monotonic() - started < 5
    assert sent == 1
    policy.resume()
    with pytest.raises(TerminalError):  # after resume() calls run (and retry) as usual
        policy.call("op", lambda: (_ for _ in ()).throw(TerminalError("no", code="InsufficientQuota")))


def test_a_subscription_that_does_not_exist_is_an_error_not_an_empty_resource_group(cloud: AzureCloud) -> None:
    unknown = "12345678-0000-0000-0000-000000000000"
    with pytest.raises(TerminalError) as caught:
        cloud.list_accounts(unknown, "rg-tenants")
    assert caught.value.code == "SubscriptionNotFound"
    assert "subscription id" in caught.value.hint
    with pytest.raises(TerminalError):
        cloud.delete_account(AccountRef(unknown, "rg-tenants", "aoai-x"))  # not "already gone"


def test_a_resource_group_that_does_not_exist_still_has_no_accounts(cloud: AzureCloud, subscription: str) -> None:
    assert cloud.list_accounts(subscription, "rg-never-made") == []
