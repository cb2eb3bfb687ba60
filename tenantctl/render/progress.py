"""Apply progress as hooks: a live rich view on a terminal, one line per event otherwise.

Both implement :class:`tenantctl.execution.hooks.ApplyHooks`; the executor calls them one at a time
from its worker threads. Lines go to stderr so ``-o json`` keeps stdout for the envelope.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tenantctl.addresses import Address
from tenantctl.execution.hooks import NullHooks
from tenantctl.execution.result import ChangeOutcome
from tenantctl.planning.model import Change
from tenantctl.render.console import err_console

__all__ = ["LineProgress", "LiveProgress", "progress_for"]


def _label(change: Change) -> str:
    return f"{change.action.value} {change.address}"


class LineProgress(NullHooks):
    """One plain line per event, for logs and pipelines."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _line(self, text: str) -> None:
        err_console().print(f"[{time.monotonic() - self.started:6.1f}s] {text}", markup=False, highlight=False)

    def on_start(self, change: Change) -> None:
        self._line(f"start   {_label(change)}")

    def on_retry(self, change: Change, attempt: int, error: Exception) -> None:
        self._line(f"retry   {_label(change)} (attempt {attempt}: {getattr(error, 'code', type(error).__name__)})")

    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        self.done += 1
        verdict = "done  " if outcome.ok else "FAILED"
        detail = "" if outcome.ok else f": [{outcome.code}] {outcome.message}"
        self._line(f"{verdict}  {_label(change)} ({self.done}/{self.total}, {outcome.duration:.1f}s){detail}")

    def on_skip(self, change: Change, reason: str) -> None:
        self.done += 1
        self._line(f"skip    {_label(change)}: {reason}")


class LiveProgress(NullHooks):
    """A rich progress bar for the run plus one spinner row per change in flight."""

    def __init__(self, total: int) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console(),
            transient=False,
        )
        self.overall = self.progress.add_task("apply", total=total)
        self.rows: dict[Address, TaskID] = {}

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def on_start(self, change: Change) -> None:
        self.rows[change.address] = self.progress.add_task(escape(_label(change)), total=None)

    def on_retry(self, change: Change, attempt: int, error: Exception) -> None:
        row = self.rows.get(change.address)
        if row is not None:
            code = getattr(error, "code", type(error).__name__)
            self.progress.update(row, description=escape(f"{_label(change)} (retry {attempt}: {code})"))

    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        row = self.rows.pop(change.address, None)
        if row is not None:
            self.progress.remove_task(row)
        mark = "[success]✓[/success]" if outcome.ok else f"[error]✗ [{escape(outcome.code or 'error')}][/error]"
        self.progress.console.print(f"{mark} {escape(_label(change))} ({outcome.duration:.1f}s)")
        self.progress.advance(self.overall)

    def on_skip(self, change: Change, reason: str) -> None:
        self.progress.console.print(f"[muted]- {escape(_label(change))}: {escape(reason)}[/muted]")
        self.progress.advance(self.overall)


def progress_for(total: int, *, interactive: bool) -> LiveProgress | LineProgress:
    return LiveProgress(total) if interactive else LineProgress(total)
