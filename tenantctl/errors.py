"""Classified operational failures and the process exit codes they map to.

Bad *input* is reported as :class:`tenantctl.diagnostics.Diagnostic` values. Exceptions are for
operations that fail, and they are classified so that exactly one retry policy can decide:

* :class:`UsageError`     - the user asked for something impossible; shown without a traceback.
* :class:`RetryableError` - transient (429, 409 RequestConflict, 5xx, dropped connection).
* :class:`TerminalError`  - Azure said no for good (InsufficientQuota, 403, 404 ...); never retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantctl.diagnostics import Diagnostic

__all__ = [
    "ExitCode",
    "InvalidManifestError",
    "LockHeldError",
    "RetryableError",
    "StalePlanError",
    "TenantctlError",
    "TerminalError",
    "UsageError",
]


class ExitCode(IntEnum):
    """Process exit codes: part of tenantctl's API, documented in the README."""

    SUCCESS = 0
    ERROR = 1
    CHANGES_PRESENT = 2  # plan --detailed-exitcode found changes
    PARTIAL = 3  # apply finished some changes and failed others


class TenantctlError(Exception):
    """Base of every error tenantctl raises on purpose.

    ``code`` is stable and machine-readable; ``hint`` tells the operator what to do next.
    """

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint


class UsageError(TenantctlError):
    """The command line, the manifest or a saved plan cannot be used as given."""

    code = "usage"


class InvalidManifestError(UsageError):
    """The manifest has errors; ``diagnostics`` lists every one of them (never just the first)."""

    code = "invalid-manifest"

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic]) -> None:
        super().__init__(message, hint="Run `tenantctl validate` for the full report.")
        self.diagnostics = tuple(diagnostics)


class StalePlanError(UsageError):
    """A saved plan was made against a cloud that has changed since."""

    code = "stale-plan"


class LockHeldError(TenantctlError):
    """Another apply holds the lock; the message names the holder and since when."""

    code = "lock-held"


class RetryableError(TenantctlError):
    """A transient failure; retrying the same idempotent request may succeed.

    ``retry_after`` carries Azure's Retry-After (seconds) when it sent one.
    """

    code = "retryable"

    def __init__(
        self, message: str, *, code: str | None = None, hint: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.retry_after = retry_after


class TerminalError(TenantctlError):
    """A failure that retrying will not fix (quota, permissions, bad request)."""

    code = "terminal"

    def __init__(self, message: str, *, code: str | None = None, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, code=code, hint=hint)
        self.status = status
