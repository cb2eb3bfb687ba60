"""The apply lock: one apply at a time per manifest, so two pipelines never write at once.

Two backends behind one context manager, :func:`acquire_lock`:

* :class:`FileLockSettings` - an OS file lock (filelock) next to the manifest, for one machine. The OS
  drops it when the holder dies, even by SIGKILL, so a crash never leaves a stale lock behind. A JSON
  sidecar records who holds it and since when, so a waiter can say whom it is waiting for.
* :class:`BlobLockSettings` - an Azure Blob lease (see :mod:`tenantctl.execution.blob_lock`), for
  pipelines on different machines. A lease expires on its own 60 s after its holder stops renewing.

Either way, a lock that cannot be had within ``timeout`` seconds raises :class:`LockHeldError` naming
the holder and since when. ``timeout=0`` fails at once; a negative timeout waits forever. While it
waits, ``on_wait`` (a :data:`LockWait`) is told about once a second who holds the lock, so a waiting
apply can say whom it waits for instead of sitting silent.

A lease can be lost while it is held (someone breaks it on the blob, or renewals fail until
it expires); then another apply may take it and write at the same time. The holder's
:class:`LockInfo` records that (``info.lost``), and :func:`lost_lock` answers for every lock this
process holds, which ``apply_plan`` checks before each write so it sends nothing new once the lock
is gone.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from tenantctl.errors import LockHeldError, TenantctlError
from tenantctl.manifest.model import LOCK_CONNECTION_STRING_ENV

__all__ = [
    "WAIT_POLL_SECONDS",
    "BlobLockSettings",
    "FileLockSettings",
    "LockInfo",
    "LockSettings",
    "LockWait",
    "acquire_lock",
    "ci_run_id",
    "default_holder",
    "file_lock_for_manifest",
    "lost_lock",
    "read_file_holder",
]

# CI systems whose run id makes "who holds the lock" actionable: GitHub Actions, Azure Pipelines.
_CI_RUN_VARS = ("GITHUB_RUN_ID", "BUILD_BUILDID")


class LockState:
    """Whether a held lock is still ours; set by the lease renewer, read by apply (thread-safe).

    A lease also counts as lost once the time it was last known valid until has passed, without
    waiting for the renewer to say so: a renewal stuck in the storage SDK's own retries must not
    keep apply writing on a lease that has already expired.
    """

    def __init__(self) -> None:
        self._lost: str | None = None
        self._valid_until: float | None = None  # time.monotonic(); None = no expiry (a file lock)
        self._lock = threading.Lock()

    def mark_lost(self, reason: str) -> None:
        with self._lock:
            if self._lost is None:
                self._lost = reason

    def valid_until(self, deadline: float) -> None:
        """The lease was (re)newed: it is ours at least until ``deadline`` (``time.monotonic()``)."""
        with self._lock:
            self._valid_until = deadline

    @property
    def lost(self) -> str | None:
        with self._lock:
            if self._lost is None and self._valid_until is not None and time.monotonic() >= self._valid_until:
                self._lost = "the lease was not renewed in time and has expired"
            return self._lost


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or held) the lock, since when, and where the lock lives."""

    holder: str
    since: datetime
    backend: str  # "file" | "blob"
    location: str  # the lock file's path, or container/blob
    ci_run: str | None = None
    state: LockState = field(default_factory=LockState, compare=False, repr=False)

    @property
    def lost(self) -> str | None:
        """Why this process no longer holds the lock, or None while it does."""
        return self.state.lost

    def describe(self) -> str:
        run = f" (CI run {self.ci_run})" if self.ci_run and self.ci_run not in self.holder else ""
        return f"{self.holder}{run} since {self.since.isoformat(timespec='seconds')}"


@dataclass(frozen=True)
class FileLockSettings:
    """A local lock file; the sidecar ``<path>.json`` says who holds it."""

    path: Path

    @property
    def sidecar(self) -> Path:
        return self.path.with_name(self.path.name + ".json")


@dataclass(frozen=True)
class BlobLockSettings:
    """An Azure Blob lease lock.

    Auth: the connection string in env ``TENANTCTL_LOCK_CONNECTION_STRING`` when set, else
    ``account_url`` with DefaultAzureCredential. ``break_lease`` breaks someone else's lease first; only
    on explicit request (a crashed holder's lease also expires by itself after ``lease_seconds``).
    """

    container: str
    blob: str = "tenantctl/apply.lock"
    account_url: str | None = None
    lease_seconds: int = 60  # Azure allows 15-60 (or infinite; never, so a crash cannot wedge CI)
    break_lease: bool = False
    renew_seconds: float | None = None  # how often the lease is renewed; None = a third of lease_seconds
    connection_string_env: str = LOCK_CONNECTION_STRING_ENV


LockSettings = FileLockSettings | BlobLockSettings

# Called while waiting for a held lock: who holds it (None until it has recorded itself) and how many
# seconds this process has waited so far. Called from the waiting thread, about once a second.
LockWait = Callable[[LockInfo | None, float], None]

# How often a waiter looks again: a released lock is taken within this, and the holder it names is fresh.
WAIT_POLL_SECONDS = 1.0


def file_lock_for_manifest(manifest: Path) -> FileLockSettings:
    """The conventional lock file of a manifest: ``.tenantctl/apply.lock`` beside it."""
    return FileLockSettings(manifest.resolve().parent / ".tenantctl" / "apply.lock")


def ci_run_id() -> str | None:
    for var in _CI_RUN_VARS:
        value = os.environ.get(var)
        if value:
            return value
    return None


def default_holder() -> str:
    """``user@host pid N``, plus the CI run id when running in CI."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a bare container
        user = "unknown"
    holder = f"{user}@{socket.gethostname()} pid {os.getpid()}"
    run = ci_run_id()
    return f"{holder} (CI run {run})" if run else holder


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# The locks this process holds right now (normally at most one): what ``lost_lock`` looks at.
_HELD: list[LockInfo] = []
_HELD_LOCK = threading.Lock()


def lost_lock() -> str | None:
    """Why a lock this process holds has been lost, or None (also when it holds none)."""
    with _HELD_LOCK:
        held = list(_HELD)
    for info in held:
        reason = info.lost
        if reason is not None:
            return f"the apply lock {info.location} was lost: {reason}"
    return None


@contextlib.contextmanager
def _registered(info: LockInfo) -> Iterator[LockInfo]:
    with _HELD_LOCK:
        _HELD.append(info)
    try:
        yield info
    finally:
        with _HELD_LOCK:
            _HELD[:] = [held for held in _HELD if held is not info]


@contextlib.contextmanager
def acquire_lock(
    settings: LockSettings, *, holder: str, timeout: float, on_wait: LockWait | None = None
) -> Iterator[LockInfo]:
    """Hold the apply lock for the ``with`` body; raise LockHeldError if it is not free in ``timeout`` s.

    ``on_wait`` hears who holds the lock while this waits for it (never when the lock is free at once).
    """
    if isinstance(settings, BlobLockSettings):
        # deferred: blob_lock imports this module; it loads the storage SDK only inside its functions
        from tenantctl.execution.blob_lock import hold_blob_lease

        with hold_blob_lease(settings, holder=holder, timeout=timeout, on_wait=on_wait) as info, _registered(info):
            yield info
        return
    with _hold_file_lock(settings, holder=holder, timeout=timeout, on_wait=on_wait) as info, _registered(info):
        yield info


def _take_file_lock(lock: FileLock, settings: FileLockSettings, timeout: float, on_wait: LockWait | None) -> None:
    """Take ``lock``, polling so that ``on_wait`` hears who holds it while it is held."""
    started = time.monotonic()
    deadline = None if timeout < 0 else started + timeout
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        try:
            lock.acquire(timeout=WAIT_POLL_SECONDS if left is None else max(0.0, min(WAIT_POLL_SECONDS, left)))
            return
        except Timeout:
            if deadline is not None and time.monotonic() >= deadline:
                raise _held(settings, timeout) from None
        if on_wait is not None:
            on_wait(read_file_holder(settings), time.monotonic() - started)


@contextlib.contextmanager
def _hold_file_lock(
    settings: FileLockSettings, *, holder: str, timeout: float, on_wait: LockWait | None
) -> Iterator[LockInfo]:
    # thread_local=False: the executor's worker threads run inside the with-body of the main thread.
    lock = FileLock(str(settings.path), thread_local=False)
    try:
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        _take_file_lock(lock, settings, timeout, on_wait)
    except OSError as exc:  # not "held by someone": the lock file cannot be made at all
        raise _unusable(settings, exc) from None
    try:
        info = LockInfo(holder=holder, since=now(), backend="file", location=str(settings.path), ci_run=ci_run_id())
        try:
            _write_sidecar(settings.sidecar, info)
        except OSError as exc:
            raise _unusable(settings, exc) from None
        yield info
    finally:
        with contextlib.suppress(OSError):
            settings.sidecar.unlink()
        lock.release()


def _write_sidecar(path: Path, info: LockInfo) -> None:
    doc = {"holder": info.holder, "since": info.since.isoformat(), "ci_run": info.ci_run, "pid": os.getpid()}
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a waiter never reads half a sidecar


def read_file_holder(settings: FileLockSettings) -> LockInfo | None:
    """Who the sidecar says holds the file lock; None when there is no (readable) sidecar."""
    try:
        doc = json.loads(settings.sidecar.read_text(encoding="utf-8"))
        return LockInfo(
            holder=str(doc["holder"]),
            since=datetime.fromisoformat(doc["since"]),
            backend="file",
            location=str(settings.path),
            ci_run=doc.get("ci_run"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _unusable(settings: FileLockSettings, exc: OSError) -> TenantctlError:
    return TenantctlError(
        f"cannot take the apply lock {settings.path}: {exc.strerror or type(exc).__name__}",
        code="lock-file",
        hint="the directory beside the manifest (.tenantctl/) must be a writable directory",
    )


def _held(settings: FileLockSettings, timeout: float) -> LockHeldError:
    info = read_file_holder(settings)
    who = info.describe() if info else "another process (it has not recorded who it is yet)"
    waited = "did not wait (--lock-timeout 0)" if timeout == 0 else f"waited {timeout:g}s"
    return LockHeldError(
        f"another apply holds the lock {settings.path}: {who}; {waited}",
        hint="wait for it to finish, or raise --lock-timeout; the lock frees itself if that process dies",
    )
