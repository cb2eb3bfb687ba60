"""The one retry policy (tenacity) every Azure call goes through.

The SDK clients are built with ``retry_total=0`` so that this policy sees every 429 / 409
RequestConflict / 5xx / dropped connection exactly once per attempt, and so that Retry-After is
honoured in one place. A retried unit is a whole idempotent operation (``begin_*`` *and* its
``.result()``), so a connection dropped while polling an LRO re-issues the full PUT/DELETE.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_when_event_set

from tenantctl.cloud.azure.errors import classify
from tenantctl.errors import RetryableError

__all__ = ["RetryPolicy", "RetryStats"]

T = TypeVar("T")


@dataclass
class RetryStats:
    """Counters for tests and benchmarks; updated under a lock (calls run on many threads)."""

    calls: int = 0  # logical operations started
    attempts: int = 0  # HTTP-level attempts of those operations (calls + retries)
    retries: Counter[str] = field(default_factory=Counter)  # error code -> retries it caused
    failures: Counter[str] = field(default_factory=Counter)  # error code -> operations that failed with it
    slept: float = 0.0  # seconds spent waiting between attempts
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "calls": self.calls,
                "attempts": self.attempts,
                "retries": dict(self.retries),
                "failures": dict(self.failures),
                "slept": round(self.slept, 3),
            }

    def reset(self) -> None:
        with self._lock:
            self.calls = 0
            self.attempts = 0
            self.retries.clear()
            self.failures.clear()
            self.slept = 0.0


@dataclass
class RetryPolicy:
    """Bounded attempts, exponential backoff with jitter, Retry-After honoured.

    Wait before attempt n+1 = Retry-After (plus up to a second of jitter) when Azure sent a positive
    one, else backoff: "equal jitter" on ``initial * 2**(n-1)`` capped at ``cap``, half fixed, half
    random, so many threads throttled at once do not come back in lockstep. A Retry-After of 0 (or an
    HTTP-date already past) counts as none, as azure-core counts it: it must not turn the bounded
    backoff into a burst of immediate re-sends. A Retry-After longer than ``max_retry_after`` is
    clipped, so a single RP-level throttle ("try again after 372 seconds") cannot stall a run forever.
    """

    max_attempts: int = 8
    initial: float = 1.0
    cap: float = 30.0
    max_retry_after: float = 120.0
    stats: RetryStats = field(default_factory=RetryStats)
    sleep: Callable[[float], None] | None = None  # injectable for tests of the policy itself
    # Set by cancel(): waits end at once and nothing is re-sent; each call fails with its last error.
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def cancel(self) -> None:
        """Stop retrying (Ctrl-C, or apply lost its lock): no new attempt is sent by any call.

        A call waiting to retry wakes up and raises the error it last got; first attempts still run.
        """
        self._cancelled.set()

    def resume(self) -> None:
        """Retry again as usual (after :meth:`cancel`)."""
        self._cancelled.clear()

    def _wait_unless_cancelled(self, seconds: float) -> None:
        self._cancelled.wait(seconds)  # ends early on cancel()

    def wait_seconds(self, attempt: int, error: RetryableError | None) -> float:
        exp: float = min(self.cap, self.initial * 2.0 ** max(0, attempt - 1))
        backoff = exp / 2 + random.uniform(0, exp / 2)  # noqa: S311 - jitter, not cryptography
        retry_after = error.retry_after if error is not None else None
        if retry_after is not None and retry_after > 0:
            # Azure told us when; add a little jitter on top so throttled threads spread out.
            jitter = random.uniform(0, min(1.0, self.initial))  # noqa: S311
            return min(self.max_retry_after, float(retry_after)) + jitter
        return backoff

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        error = exc if isinstance(exc, RetryableError) else None
        return self.wait_seconds(state.attempt_number, error)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        code = getattr(exc, "code", "unknown")
        with self.stats._lock:
            self.stats.retries[str(code)] += 1
            if state.next_action is not None:
                self.stats.slept += state.next_action.sleep

    def pause(self, seconds: float) -> None:
        """Wait as a service asked (e.g. a used-up Resource Graph window) before the next call; ends on cancel()."""
        with self.stats._lock:
            self.stats.slept += seconds
        (self.sleep or self._wait_unless_cancelled)(seconds)

    def call(self, operation: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` under the policy; SDK exceptions come out classified (Retryable/TerminalError)."""
        with self.stats._lock:
            self.stats.calls += 1
        last: list[Exception] = []

        def attempt() -> T:
            if last and self._cancelled.is_set():
                raise last[-1]  # cancelled while waiting: a re-send would be a new write
            with self.stats._lock:
                self.stats.attempts += 1
            try:
                return fn()
            except Exception as exc:  # every failure is classified; unknown ones become terminal
                classified = classify(exc, operation)
            last[:] = [classified]
            # Raised outside the ``except`` block on purpose: a chained SDK exception keeps the
            # request object, whose Authorization header holds the bearer token.
            raise classified

        retrying = Retrying(
            retry=retry_if_exception_type(RetryableError),
            stop=stop_after_attempt(self.max_attempts) | stop_when_event_set(self._cancelled),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        retrying.sleep = self.sleep if self.sleep is not None else self._wait_unless_cancelled
        try:
            return retrying(attempt)
        except Exception as exc:
            with self.stats._lock:
                self.stats.failures[str(getattr(exc, "code", type(exc).__name__))] += 1
            raise
