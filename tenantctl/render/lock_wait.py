"""The view of an apply waiting for the lock another apply holds: whom it waits for, and how long.

On a terminal a status line refreshed about once a second; in logs and pipelines one line each time the
holder changes (a line per second would bury the log), and one when the lock is finally taken. Always
on stderr: with ``-o json`` stdout carries the envelope and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from rich.markup import escape
from rich.status import Status

from tenantctl.execution.lock import LockInfo, LockWait
from tenantctl.render.console import err_console

__all__ = ["lock_wait_view", "short_duration"]


def short_duration(seconds: float) -> str:
    """``45s``, ``2m05s``, ``1h02m``: how long, at a glance."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02}m"


def _held_by(info: LockInfo | None) -> str:
    if info is None:
        return "another apply (it has not recorded who it is yet)"
    held_for = (datetime.now(timezone.utc) - info.since).total_seconds()
    return f"{info.describe()} (held for {short_duration(held_for)})"


def _where(info: LockInfo | None) -> str:
    return f" {info.location}" if info is not None else ""


@contextmanager
def lock_wait_view(*, interactive: bool) -> Iterator[LockWait]:
    """A :data:`LockWait` that shows the wait; says nothing when the lock was free at once."""
    console = err_console()
    status: Status | None = None
    shown = False
    last_holder: tuple[str, datetime] | None = None
    waited = 0.0

    def on_wait(info: LockInfo | None, seconds: float) -> None:
        nonlocal status, shown, last_holder, waited
        waited = seconds
        text = f"waiting for the apply lock{_where(info)}: held by {_held_by(info)}; waited {short_duration(seconds)}"
        holder = (info.holder, info.since) if info is not None else None
        if interactive:
            if status is None:
                status = console.status(escape(text))
                status.start()
            status.update(escape(text))
        elif not shown or holder != last_holder:
            console.print(text, markup=False, highlight=False)
        shown, last_holder = True, holder

    try:
        yield on_wait
    finally:
        if status is not None:
            status.stop()
    if shown:  # not reached when the wait ended in an error: that error is the last word
        console.print(f"took the apply lock after waiting {short_duration(waited)}", markup=False, highlight=False)
