"""Fixtures for the executor's tests: the REAL adapter over HTTPS against a real emulator.

Each test gets its own in-memory emulator (fast LROs, no Retry-After on polls), so quota, account
counts and faults never leak between tests or xdist workers.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.execution import ChangeOutcome, NullHooks
from tenantctl.planning.model import Change

FAST = EmulatorSettings(lro_seconds=0.05, retry_after=0)


@pytest.fixture
def emu() -> Iterator[Any]:
    emulator = Emulator(settings=EmulatorSettings(lro_seconds=FAST.lro_seconds, retry_after=0)).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def cloud(emu: Any) -> Iterator[AzureCloud]:
    adapter = connect_emulator(emu, polling_interval=0.02)
    yield adapter
    adapter.close()


@pytest.fixture
def strict_cloud(emu: Any) -> Iterator[AzureCloud]:
    """An adapter that never retries: any RequestConflict from the emulator surfaces as a failure."""
    adapter = connect_emulator(emu, polling_interval=0.02, max_attempts=1)
    yield adapter
    adapter.close()


@pytest.fixture
def subscription(emu: Any) -> str:
    return str(emu.subscription_id)


@pytest.fixture
def group() -> str:
    return f"rg-{uuid.uuid4().hex[:8]}"


@dataclass
class Event:
    kind: str  # start | retry | done | skip
    change: Change
    at: float
    outcome: ChangeOutcome | None = None
    reason: str = ""


@dataclass
class RecordingHooks(NullHooks):
    """Records every hook call with a timestamp, to check order and overlap afterwards."""

    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _add(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def on_start(self, change: Change) -> None:
        self._add(Event("start", change, time.monotonic()))

    def on_retry(self, change: Change, attempt: int, error: Exception) -> None:
        self._add(Event("retry", change, time.monotonic(), reason=str(error)))

    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        self._add(Event("done", change, time.monotonic(), outcome=outcome))

    def on_skip(self, change: Change, reason: str) -> None:
        self._add(Event("skip", change, time.monotonic(), reason=reason))

    def order(self, kind: str) -> list[str]:
        return [e.change.address for e in self.events if e.kind == kind]

    def intervals(self) -> dict[str, tuple[float, float]]:
        """address -> (start, done) for every change that started."""
        starts = {e.change.address: e.at for e in self.events if e.kind == "start"}
        return {
            e.change.address: (starts[e.change.address], e.at)
            for e in self.events
            if e.kind == "done" and e.change.address in starts
        }


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()
