"""A step that is usually quick but sometimes is not says what it is doing, on stderr only.

The first ``--emulator`` command of a manifest with tenant-provided tenants plays each tenant's admin
in the emulator (an account and its deployments, at Azure-like write latency): seconds of silence that
look like a hang. A step that outlasts ``after`` seconds shows a spinner on a terminal, or one line in
logs and pipelines; a quick one shows nothing. Never on stdout, which belongs to the result (and to the
``-o json`` envelope).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.markup import escape
from rich.status import Status

from tenantctl.render.console import err_console

__all__ = ["SHOW_AFTER_SECONDS", "slow_step"]

SHOW_AFTER_SECONDS = 1.0  # below this a step feels instant: announcing it would only add noise


@contextmanager
def slow_step(what: str, *, interactive: bool | None = None, after: float = SHOW_AFTER_SECONDS) -> Iterator[None]:
    """Show ``what`` (e.g. "setting up ...") if the ``with`` body takes longer than ``after`` seconds."""
    tty = sys.stderr.isatty() if interactive is None else interactive
    console = err_console()
    guard = threading.Lock()
    done = False
    status: list[Status] = []

    def announce() -> None:
        with guard:
            if done:
                return
            if tty:
                status.append(console.status(escape(what + " ...")))
                status[0].start()
            else:
                console.print(what + " ...", markup=False, highlight=False)

    timer = threading.Timer(after, announce)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with guard:
            done = True
            timer.cancel()
            for shown in status:
                shown.stop()
