"""Classify Azure SDK exceptions into tenantctl's RetryableError / TerminalError.

We branch on ARM's ``error.code`` and the HTTP status, never on the exception class: azure-core maps
*every* 409 to ``ResourceExistsError``, whether it is a transient RequestConflict or a permanent
FlagMustBeSetForRestore (research/arm-api.md §3.1).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
)

from tenantctl.errors import RetryableError, TenantctlError, TerminalError

__all__ = [
    "CONNECTION_ERROR",
    "classify",
    "duration_seconds",
    "error_code",
    "is_not_found",
    "redact",
    "retry_after_of",
]

CONNECTION_ERROR = "ConnectionError"

# 409 codes that mean "another write on the same parent is running": waiting fixes them.
_RETRYABLE_409 = frozenset({"requestconflict", "anotheroperationinprogress", "conflictingoperationinprogress"})

# Codes that say "transient" whatever status carries them: a failed LRO's Location monitor may
# answer 400 with code InternalServerError, and that is still worth re-issuing the write for.
# AccountProvisioningStateInvalid is Cognitive Services' 400 for a write that reaches an account still
# "in state Accepted" (or Creating/Updating) just after its own write: waiting is the remedy
# (Azure-Samples/microsoft-foundry-baseline#76, hashicorp/terraform-provider-azurerm#31712).
_RETRYABLE_CODES = frozenset(
    {
        "internalservererror",
        "internalerror",
        "serviceunavailable",
        "gatewaytimeout",
        "toomanyrequests",
        "accountprovisioningstateinvalid",
    }
)

# Codes that never get better by retrying, even when they arrive as a failed LRO (status 200 poll).
_TERMINAL_CODES = frozenset(
    {
        "insufficientquota",
        "flagmustbesetforrestore",
        "customdomaininuse",
        "roleassignmentexists",
        "authorizationfailed",
        "invalidauthenticationtoken",
        "linkedauthorizationfailed",
        "specialfeatureorquotaidrequired",
        "invalidresourcegrouplocation",
        "invalidrequestcontent",
        "badrequest",
        "validationerror",
        "resourcegroupnotfound",
        "resourcenotfound",
        "deploymentnotfound",
    }
)

_HINTS: dict[str, str] = {
    "insufficientquota": ("Lower the capacity, free quota in that region (see `usages`), or request more quota."),
    "flagmustbesetforrestore": (
        "The name belongs to a soft-deleted account: restore it (restore=true) or purge it first."
    ),
    "customdomaininuse": (
        "The subdomain is held by another (possibly soft-deleted) account: purge it or pick another subdomain."
    ),
    "roleassignmentexists": ("The principal already has this role at this scope under another assignment name."),
    "authorizationfailed": "The signed-in principal lacks the Azure RBAC permission for this operation.",
    "authenticationfailed": "Sign in again (az login, managed identity or workload identity federation).",
    "resourcegroupnotfound": ("Create the resource group first (tenantctl apply does this when it manages it)."),
    "specialfeatureorquotaidrequired": "The subscription is not enabled for Azure OpenAI.",
    "subscriptionnotfound": (
        "Check the subscription id in the manifest, and that it belongs to the directory you signed in to."
    ),
}

# Bearer tokens and JWTs must never reach a message, a log line or a repr.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer <redacted>"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "<redacted-jwt>"),
    (
        re.compile(r"(?i)\b(client_secret|client_assertion|access_token|refresh_token|sig)=[^&\s\"']+"),
        r"\1=<redacted>",
    ),
)


def redact(text: str) -> str:
    """Remove anything that looks like a token or secret from ``text``."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _status(exc: HttpResponseError) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None and exc.response is not None:
        status = getattr(exc.response, "status_code", None)
    return int(status) if status is not None else None


_STATUS_CODES = {
    429: "TooManyRequests",
    404: "NotFound",
    403: "AuthorizationFailed",
    401: "AuthenticationFailed",
}


def error_code(exc: BaseException) -> str:
    """ARM's ``error.code`` of an SDK exception, or a code derived from the HTTP status."""
    if not isinstance(exc, HttpResponseError):
        return type(exc).__name__
    err: Any = getattr(exc, "error", None)
    code = getattr(err, "code", None) if err is not None else None
    if code:
        return str(code)
    status = _status(exc)
    if status is None or status < 400:
        return "OperationFailed"
    return _STATUS_CODES.get(status, f"HttpStatus{status}")


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, HttpResponseError) and _status(exc) == 404


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds from Retry-After (or the millisecond variants ARM also sends), if the response had one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                pass
    value = headers.get("Retry-After")
    if not value:
        # Azure Resource Graph's 429 says when its per-user window resets in its own header (hh:mm:ss).
        return duration_seconds(headers.get("x-ms-user-quota-resets-after"))
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # HTTP-date form
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def duration_seconds(value: str | None) -> float | None:
    """Seconds of an ``hh:mm:ss`` duration (Resource Graph's ``x-ms-user-quota-resets-after``); None if absent."""
    if not value:
        return None
    try:
        hours, minutes, seconds = (float(part) for part in value.strip().split(":"))
    except ValueError:
        return None
    return max(0.0, hours * 3600 + minutes * 60 + seconds)


def _message(exc: BaseException) -> str:
    err: Any = getattr(exc, "error", None)
    message = getattr(err, "message", None) if err is not None else None
    if not message:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    # First line only: azure-core appends the raw response and headers after it.
    return redact(str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__)


def _classify_http(exc: HttpResponseError, operation: str) -> TenantctlError:
    code = error_code(exc)
    status = _status(exc)
    lowered = code.lower()
    text = f"{operation}: ({code}) {_message(exc)}"
    retryable = (
        status in (408, 429)
        or (status is not None and status >= 500)
        or (status == 409 and lowered in _RETRYABLE_409)
        or lowered in _RETRYABLE_CODES
        # A failed LRO is reported on a 200 poll; unless its code is a known permanent one,
        # re-issuing the idempotent write is the documented remedy.
        or (status is not None and status < 400 and lowered not in _TERMINAL_CODES)
    )
    if retryable:
        return RetryableError(text, code=code, retry_after=retry_after_of(exc))
    hint = _HINTS.get(lowered, "")
    if not hint and status == 403:
        hint = _HINTS["authorizationfailed"]
    return TerminalError(text, code=code, hint=hint, status=status)


def classify(exc: BaseException, operation: str) -> TenantctlError:
    """Turn an SDK (or transport) exception into a classified tenantctl error.

    ``operation`` names what we were doing ("put deployment sub/rg/acct/dep"); it is part of the message.
    """
    if isinstance(exc, TenantctlError):
        return exc
    if isinstance(exc, (ServiceRequestError, ServiceResponseError, IncompleteReadError)):
        # Connection refused, reset, dropped mid-response: the request may or may not have landed,
        # which is fine because every write we send is an idempotent PUT/DELETE.
        return RetryableError(
            f"{operation}: connection failed ({type(exc).__name__}: {_message(exc)})", code=CONNECTION_ERROR
        )
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "response", None) is None:
        # Raised by azure-identity while getting a token: no HTTP status from ARM.
        return TerminalError(
            f"{operation}: could not get an Azure token: {_message(exc)}",
            code="AuthenticationFailed",
            hint=_HINTS["authenticationfailed"],
            status=401,
        )
    if isinstance(exc, HttpResponseError):
        return _classify_http(exc, operation)
    if isinstance(exc, AzureError):
        return TerminalError(f"{operation}: {_message(exc)}", code=type(exc).__name__)
    return TerminalError(f"{operation}: {type(exc).__name__}: {redact(str(exc))}", code=type(exc).__name__)
