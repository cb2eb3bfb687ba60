"""Progress hooks: how apply tells the outside world what it is doing, without printing.

The executor calls hooks from its worker threads but never two at a time (it holds one lock around
every call), so an implementation needs no locking of its own. A hook that raises is logged and
ignored: a broken progress bar must not abort writes to Azure halfway.
"""

from __future__ import annotations

from typing import Protocol

from tenantctl.execution.result import ChangeOutcome
from tenantctl.planning.model import Change

__all__ = ["ApplyHooks", "NullHooks"]


class ApplyHooks(Protocol):
    """Receives apply's progress; the rich progress view in render/ is one implementation."""

    def on_start(self, change: Change) -> None:
        """The change's first write is about to be sent."""

    def on_retry(self, change: Change, attempt: int, error: Exception) -> None:
        """The change failed with a transient error and is tried again; ``attempt`` is the next try (2+)."""

    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        """The change succeeded or failed (``outcome.status``)."""

    def on_skip(self, change: Change, reason: str) -> None:
        """The change will not run: a dependency failed, or prune was skipped."""


class NullHooks:
    """Hooks that do nothing; subclass it and override only what you need."""

    def on_start(self, change: Change) -> None:
        return None

    def on_retry(self, change: Change, attempt: int, error: Exception) -> None:
        return None

    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        return None

    def on_skip(self, change: Change, reason: str) -> None:
        return None
