"""The apply lock as an Azure Blob lease: one holder across machines and pipelines.

The lock is a blob; holding it means holding a ``lease_seconds`` lease on it, renewed by a background
thread while the ``with`` body runs. A holder that dies stops renewing and the lease lapses by itself,
so a crashed pipeline blocks others for at most a minute. Who holds it and since when is written into
the blob's metadata (readable without the lease), so a waiter can name the holder.

A lease can be lost while held: someone breaks it (``break_lease``, or on the blob itself), or renewals
keep failing until it expires. Then another apply may already be writing, so the renewer marks the lock
lost (``info.lost``) and apply sends no new write (see ``lock.lost_lock``); only writes in flight finish.

This is the only module of tenantctl.execution that imports the Azure SDK (``azure.storage.blob``,
``azure.identity``), and only inside functions: it is the lock backend, not the cloud adapter, and
importing tenantctl.execution must not load the SDK. The connection string never appears in messages.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tenantctl.errors import LockHeldError, TenantctlError, UsageError
from tenantctl.execution.lock import (
    WAIT_POLL_SECONDS,
    BlobLockSettings,
    LockInfo,
    LockState,
    LockWait,
    ci_run_id,
    now,
)
from tenantctl.manifest.model import LOCK_CONNECTION_STRING_ENV

__all__ = ["hold_blob_lease", "read_blob_holder"]

_log = logging.getLogger(__name__)
_LEASE_TAKEN = "LeaseAlreadyPresent"


@contextlib.contextmanager
def hold_blob_lease(
    settings: BlobLockSettings, *, holder: str, timeout: float, on_wait: LockWait | None = None
) -> Iterator[LockInfo]:
    """Hold a lease on the lock blob for the ``with`` body (see ``lock.acquire_lock``)."""
    from azure.core.exceptions import AzureError

    container, blob = _clients(settings)
    location = f"{settings.container}/{settings.blob}"
    _ensure_blob(container, blob)
    if settings.break_lease:
        _break(blob)
    lease, asked = _acquire(blob, settings, timeout, on_wait)
    info = LockInfo(holder=holder, since=now(), backend="blob", location=location, ci_run=ci_run_id())
    info.state.valid_until(asked + settings.lease_seconds)
    stop = threading.Event()
    every = settings.renew_seconds or settings.lease_seconds / 3
    renewer = threading.Thread(
        target=_renew_until,
        args=(lease, stop, every, float(settings.lease_seconds), info.state),
        name="tenantctl-lock-renew",
        daemon=True,
    )
    try:
        try:
            blob.set_blob_metadata(_metadata(info), lease=lease)
        except AzureError as exc:
            raise _backend_error(exc) from None
        renewer.start()
        yield info
    finally:
        stop.set()
        if renewer.is_alive():
            renewer.join()
        with contextlib.suppress(Exception):  # best effort: an expired lease frees the lock anyway
            blob.set_blob_metadata({}, lease=lease)
        with contextlib.suppress(Exception):
            lease.release()


def read_blob_holder(settings: BlobLockSettings) -> LockInfo | None:
    """Who the blob's metadata says holds the lease; None when nobody recorded it."""
    return _holder_of(_clients(settings)[1], settings)


def _clients(settings: BlobLockSettings) -> tuple[Any, Any]:
    """The lock's container client and blob client."""
    from azure.storage.blob import BlobServiceClient

    conn = os.environ.get(settings.connection_string_env)
    if conn:
        try:
            service = BlobServiceClient.from_connection_string(conn)
        except ValueError:
            # never echo the string: it carries the account key
            raise UsageError(
                f"{settings.connection_string_env} is not a valid storage connection string",
                hint="copy it again from the storage account's Access keys",
            ) from None
    elif settings.account_url and settings.account_url.startswith("http://"):
        # A local emulator (the manifest allows http for loopback only). Azure AD tokens are never sent
        # over http (azure-core refuses), so the emulator's account key has to come from the connection string.
        raise UsageError(
            f"the blob lock at {settings.account_url} is a local emulator (http): "
            f"set {settings.connection_string_env} to its connection string",
            hint=f"for Azurite on its default port: export {settings.connection_string_env}="
            "'UseDevelopmentStorage=true'; see README, Locking",
        )
    elif settings.account_url:
        from azure.identity import DefaultAzureCredential

        service = BlobServiceClient(settings.account_url, credential=DefaultAzureCredential())
    else:
        raise UsageError(
            "the blob lock needs a storage account",
            hint=f"set {settings.connection_string_env} (a storage connection string), or [provider.lock] "
            "account_url (uses az login / managed identity); see README, Locking",
        )
    container = service.get_container_client(settings.container)
    return container, container.get_blob_client(settings.blob)


def _ensure_blob(container: Any, blob: Any) -> None:
    from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError

    try:
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        if not blob.exists():
            # If-None-Match: * - two first-time lockers racing both end up with the same empty blob
            with contextlib.suppress(ResourceExistsError):
                blob.upload_blob(b"", overwrite=False)
    except HttpResponseError as exc:
        if exc.status_code not in (409, 412):
            raise _backend_error(exc) from None
    except AzureError as exc:  # unreachable, DNS, TLS: no HTTP answer at all
        raise _backend_error(exc) from None


def _acquire(blob: Any, settings: BlobLockSettings, timeout: float, on_wait: LockWait | None) -> tuple[Any, float]:
    """The lease, and when (``time.monotonic()``) the request that got it was sent: its period began later."""
    from azure.core.exceptions import AzureError, HttpResponseError

    started = time.monotonic()
    deadline = None if timeout < 0 else started + timeout
    while True:
        asked = time.monotonic()
        try:
            return blob.acquire_lease(lease_duration=settings.lease_seconds), asked
        except HttpResponseError as exc:
            if getattr(exc, "error_code", None) != _LEASE_TAKEN:
                raise _backend_error(exc) from None
        except AzureError as exc:
            raise _backend_error(exc) from None
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise _held(blob, settings, timeout)
        if on_wait is not None:
            on_wait(_holder_of(blob, settings), time.monotonic() - started)
        time.sleep(WAIT_POLL_SECONDS if left is None else min(WAIT_POLL_SECONDS, left))


def _break(blob: Any) -> None:
    from azure.core.exceptions import AzureError, HttpResponseError
    from azure.storage.blob import BlobLeaseClient

    try:
        BlobLeaseClient(blob).break_lease(lease_break_period=0)
    except HttpResponseError as exc:
        if getattr(exc, "error_code", None) != "LeaseNotPresentWithLeaseOperation":  # nothing to break
            raise _backend_error(exc) from None
    except AzureError as exc:
        raise _backend_error(exc) from None


def _renew_until(lease: Any, stop: threading.Event, every: float, lease_seconds: float, state: LockState) -> None:
    """Renew every ``every`` s; mark ``state`` lost when storage says the lease is gone or it expired."""
    from azure.core.exceptions import HttpResponseError

    renewed = time.monotonic()
    while not stop.wait(every):
        asked = time.monotonic()
        try:
            lease.renew()
        except HttpResponseError as exc:
            status = getattr(exc, "status_code", None) or 0
            if 400 <= status < 500 and status not in (408, 429):
                # 409 LeaseIdMismatch / LeaseIsBroken..., 412, 404: a definite "this lease is not yours"
                code = getattr(exc, "error_code", None) or f"HTTP {status}"
                _lost(state, f"the lease could not be renewed ({code}): it was broken or taken over")
                return
            _log.warning("could not renew the apply lock's lease: %s", getattr(exc, "error_code", None) or status)
        except Exception as exc:  # keep trying: one failed renewal still leaves most of the lease
            _log.warning("could not renew the apply lock's lease: %s", type(exc).__name__)
        else:
            renewed = asked
            state.valid_until(asked + lease_seconds)  # the renewal started the new period no earlier
            continue
        if time.monotonic() - renewed >= lease_seconds:
            _lost(state, f"the lease was not renewed for {lease_seconds:g}s and has expired")
            return


def _lost(state: LockState, reason: str) -> None:
    state.mark_lost(reason)
    _log.error("the apply lock is lost (%s): apply sends no new writes", reason)


def _metadata(info: LockInfo) -> dict[str, str]:
    # metadata values travel as HTTP headers: keep them ASCII
    doc = {"holder": info.holder, "since": info.since.isoformat()}
    if info.ci_run:
        doc["ci_run"] = info.ci_run
    return {k: v.encode("ascii", "replace").decode("ascii") for k, v in doc.items()}


def _holder_of(blob: Any, settings: BlobLockSettings) -> LockInfo | None:
    try:
        meta = dict(blob.get_blob_properties().metadata or {})
        return LockInfo(
            holder=meta["holder"],
            since=datetime.fromisoformat(meta["since"]),
            backend="blob",
            location=f"{settings.container}/{settings.blob}",
            ci_run=meta.get("ci_run"),
        )
    except Exception:  # no blob, no metadata yet, or unreadable: the caller says "unknown"
        return None


def _held(blob: Any, settings: BlobLockSettings, timeout: float) -> LockHeldError:
    info = _holder_of(blob, settings)
    who = info.describe() if info else "another process (it has not recorded who it is yet)"
    waited = "did not wait (--lock-timeout 0)" if timeout == 0 else f"waited {timeout:g}s"
    return LockHeldError(
        f"another apply holds the lock blob {settings.container}/{settings.blob}: {who}; {waited}",
        hint="wait for it to finish or raise --lock-timeout; a crashed holder's lease lapses within "
        f"{settings.lease_seconds}s. Only if you are sure it is stale, break it: az storage blob lease break "
        f"--container-name {settings.container} --blob-name {settings.blob} (the holder then stops writing)",
    )


def _backend_error(exc: Any) -> TenantctlError:
    code = getattr(exc, "error_code", None) or type(exc).__name__
    status = getattr(exc, "status_code", None)
    what = f"answered {status} {code}" if status is not None else f"could not be reached ({code})"
    return TenantctlError(
        f"the apply lock's storage {what}",
        code="lock-backend",
        hint="check [provider.lock] account_url / container, and the credential: the connection string in "
        f"{LOCK_CONNECTION_STRING_ENV} when set, else az login / managed identity (needs Storage Blob Data "
        "Contributor on the container)",
    )
