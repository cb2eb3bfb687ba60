"""What apply did: one outcome per planned change, and the run's verdict and exit code.

``ApplyResult`` is a value: the CLI renders it (human or JSON) and turns ``exit_code`` into the process
exit status; nothing in here prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from tenantctl.addresses import Address
from tenantctl.errors import ExitCode

__all__ = ["ApplyResult", "ApplyStatus", "ChangeOutcome", "OutcomeStatus"]


class OutcomeStatus(str, Enum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApplyStatus(str, Enum):
    """The run's verdict; the values are the JSON envelope's ``status``."""

    SUCCESS = "success"
    PARTIAL = "partial"
    ERROR = "error"


@dataclass(frozen=True)
class ChangeOutcome:
    """How one planned change ended.

    ``code`` is Azure's ``error.code`` (``InsufficientQuota``, ``RequestConflict`` ...) for a failure,
    ``hint`` what the operator should do next; ``reason`` says why a change was skipped. ``result``
    is the record the port returned for a PUT (e.g. an account with its endpoint), when it returned one.
    """

    address: Address
    status: OutcomeStatus
    code: str | None = None
    message: str = ""
    hint: str = ""
    reason: str = ""
    duration: float = 0.0
    attempts: int = 0
    tenant: str | None = None
    result: object | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status is OutcomeStatus.OK


@dataclass(frozen=True)
class ApplyResult:
    """Per-change outcomes in plan order, with the verdict.

    ``status`` is ``success`` when nothing failed, ``partial`` when some changes succeeded and others
    failed, ``error`` when changes failed and none succeeded. A prune (DELETE) skipped because something
    failed, or because pruning was not allowed, is noted in ``prune_skipped`` and does not by itself
    make the run partial: the failure that caused it already does. A run cut short by Ctrl-C
    (``interrupted``) or stopped because it lost the apply lock (``stopped`` says why) is never
    ``success``: what it skipped is still to do. ``parallelism`` is how many accounts were written at
    once (0 when unknown: a result built by hand).
    """

    outcomes: tuple[ChangeOutcome, ...]
    duration: float
    prune_skipped: str | None = None
    interrupted: bool = False
    stopped: str | None = None
    parallelism: int = 0

    @property
    def counts(self) -> Mapping[OutcomeStatus, int]:
        tally = dict.fromkeys(OutcomeStatus, 0)
        for outcome in self.outcomes:
            tally[outcome.status] += 1
        return tally

    @property
    def succeeded(self) -> tuple[ChangeOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is OutcomeStatus.OK)

    @property
    def failed(self) -> tuple[ChangeOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is OutcomeStatus.FAILED)

    @property
    def skipped(self) -> tuple[ChangeOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is OutcomeStatus.SKIPPED)

    @property
    def status(self) -> ApplyStatus:
        failed = bool(self.failed) or self.interrupted or self.stopped is not None
        if not failed:
            return ApplyStatus.SUCCESS
        return ApplyStatus.PARTIAL if self.succeeded else ApplyStatus.ERROR

    @property
    def exit_code(self) -> ExitCode:
        return {
            ApplyStatus.SUCCESS: ExitCode.SUCCESS,
            ApplyStatus.PARTIAL: ExitCode.PARTIAL,
            ApplyStatus.ERROR: ExitCode.ERROR,
        }[self.status]

    def outcome(self, address: Address | str) -> ChangeOutcome:
        """The outcome of ``address`` or its text (a REPLACE has one outcome for its delete-then-create)."""
        if isinstance(address, str):
            address = Address.parse(address)
        for outcome in self.outcomes:
            if outcome.address == address:
                return outcome
        raise KeyError(address)
