"""The adapter's pure parts: retry policy, naming, redaction, lazy import. No emulator needed."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tenantctl.cloud.azure import names
from tenantctl.cloud.azure.errors import classify, redact
from tenantctl.cloud.azure.retry import RetryPolicy
from tenantctl.errors import RetryableError, TerminalError


def _policy(max_attempts: int = 4) -> tuple[RetryPolicy, list[float]]:
    sleeps: list[float] = []
    return RetryPolicy(max_attempts=max_attempts, initial=1.0, cap=30.0, sleep=sleeps.append), sleeps


def test_retryable_errors_are_retried_until_success_and_counted() -> None:
    policy, sleeps = _policy()
    outcomes: list[Exception | str] = [
        RetryableError("busy", code="RequestConflict"),
        RetryableError("slow down", code="TooManyRequests", retry_after=7),
        "done",
    ]

    def op() -> str:
        nxt = outcomes.pop(0)
        if isinstance(nxt, Exception):
            raise nxt
        return nxt

    assert policy.call("op", op) == "done"
    assert policy.stats.calls == 1
    assert policy.stats.attempts == 3
    assert dict(policy.stats.retries) == {"RequestConflict": 1, "TooManyRequests": 1}
    # First wait is backoff (equal jitter on 1 s), second honours Retry-After (7 s + < 1 s jitter).
    assert 0.5 <= sleeps[0] <= 1.0
    assert 7.0 <= sleeps[1] < 8.0


def test_terminal_errors_are_never_retried() -> None:
    policy, sleeps = _policy()
    calls = 0

    def op() -> None:
        nonlocal calls
        calls += 1
        raise TerminalError("no quota", code="InsufficientQuota", status=400)

    with pytest.raises(TerminalError) as caught:
        policy.call("op", op)
    assert caught.value.code == "InsufficientQuota"
    assert calls == 1
    assert sleeps == []
    assert policy.stats.failures["InsufficientQuota"] == 1


def test_attempts_are_bounded_and_the_last_error_surfaces() -> None:
    policy, sleeps = _policy(max_attempts=5)

    def op() -> None:
        raise RetryableError("down", code="HttpStatus503")

    with pytest.raises(RetryableError):
        policy.call("op", op)
    assert policy.stats.attempts == 5
    assert len(sleeps) == 4
    assert policy.stats.retries["HttpStatus503"] == 4


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(initial=1.0, cap=30.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (12, 30.0)]:
        wait = policy.wait_seconds(attempt, None)
        assert ceiling / 2 <= wait <= ceiling
    assert policy.wait_seconds(1, RetryableError("x", retry_after=1000)) <= policy.max_retry_after + 1


def test_unknown_exceptions_become_terminal_without_chaining() -> None:
    policy, _ = _policy()

    def op() -> None:
        raise ValueError("boom")

    with pytest.raises(TerminalError) as caught:
        policy.call("op", op)
    # No chained SDK exception: its request object would carry the Authorization header.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_connection_errors_classify_as_retryable() -> None:
    from azure.core.exceptions import ServiceResponseError

    error = classify(ServiceResponseError("Connection aborted."), "put deployment x")
    assert isinstance(error, RetryableError)
    assert error.code == "ConnectionError"


def test_redact_removes_tokens_and_secrets() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl"
    text = redact(f"Authorization: Bearer {jwt} and client_secret=hunter2&x=1 and {jwt}")
    assert "hunter2" not in text
    assert jwt not in text
    assert "eyJ" not in text


def test_role_assignment_name_is_deterministic_uuid5() -> None:
    scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
    guid = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
    role = names.role_definition_id(guid, scope)
    assert role == f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    one = names.role_assignment_name(scope, "p1", role)
    assert one == names.role_assignment_name(scope.upper(), "P1", guid)
    assert uuid.UUID(one).version == 5
    assert one != names.role_assignment_name(scope, "p2", role)


def test_blocklist_item_names_are_stable_and_distinct() -> None:
    assert names.blocklist_item_name("foo") == names.blocklist_item_name("foo")
    assert names.blocklist_item_name("foo") != names.blocklist_item_name("Foo")


def test_importing_the_adapter_package_does_not_load_the_sdk() -> None:
    code = (
        "import sys, tenantctl.cloud.azure as a, tenantctl.cloud.azure.names; "
        "assert callable(a.connect_azure) and callable(a.connect_emulator); "
        "loaded = [m for m in sys.modules if m == 'azure' or m.startswith('azure.')]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
