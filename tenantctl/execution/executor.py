"""``apply_plan``: run exactly a plan's changes against the cloud port, as fast as Azure allows.

* One write at a time per account (else Azure answers 409 RequestConflict), accounts in parallel up to
  ``parallelism`` threads (the port is blocking); by default as many as the plan has busy accounts,
  within ARM's write budget per subscription (see :mod:`tenantctl.execution.parallelism`).
* Busiest accounts first (see :mod:`tenantctl.execution.schedule`), so the run lasts about as long as
  the busiest account's serial chain.
* A failure skips only what depends on it; other tenants carry on and the result is ``partial``.
* Prune deletes run last, and only when nothing failed: deleting on a half-applied state is how
  outages happen (kubectl/pipx: prune only if no failures).
* Ctrl-C, or losing the apply lock (a broken or expired blob lease: another apply may be writing now),
  stops it: the writes in flight finish, nothing new is sent (not even a retry), the rest is skipped.
* Nothing here prints; progress goes to :class:`tenantctl.execution.hooks.ApplyHooks`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from tenantctl.addresses import Address
from tenantctl.cloud.port import CloudPort
from tenantctl.errors import RetryableError, TenantctlError, TerminalError
from tenantctl.execution.calls import INVALID_PLAN_HINT, perform
from tenantctl.execution.hints import hint_for
from tenantctl.execution.hooks import ApplyHooks, NullHooks
from tenantctl.execution.lock import lost_lock
from tenantctl.execution.parallelism import WRITES_IN_FLIGHT_PER_SUBSCRIPTION, adaptive_parallelism, subscription_of
from tenantctl.execution.result import ApplyResult, ChangeOutcome, OutcomeStatus
from tenantctl.execution.schedule import Part, Schedule, Step, build_schedules
from tenantctl.planning.model import Change, Plan
from tenantctl.wording import count_of

__all__ = ["apply_plan"]

_log = logging.getLogger(__name__)

# The adapter already retried each HTTP request; a second try of the whole change re-drives what its
# policy cannot: a long-running operation that ended Failed, or a 409 that outlived the retry budget.
_DEFAULT_ATTEMPTS = 2
_BACKOFF = 2.0  # seconds times the attempt number, when Azure sent no Retry-After
_MAX_BACKOFF = 30.0
_HALT_POLL = 0.5  # seconds between checks of ``stop`` while writes are in flight


def apply_plan(
    plan: Plan,
    cloud: CloudPort,
    *,
    hooks: ApplyHooks | None = None,
    parallelism: int | None = None,
    prune_allowed: bool = True,
    attempts: int = _DEFAULT_ATTEMPTS,
    stop: Callable[[], str | None] | None = None,
) -> ApplyResult:
    """Apply ``plan.actionable`` (never re-diffs) and return one outcome per change, in plan order.

    Stage 1 is the plan's phase 1; prune DELETEs (phase 2, or any DELETE nothing depends on) and
    migration retirements (phase 3) follow, each only if nothing failed so far and ``prune_allowed``
    (otherwise they are skipped and ``ApplyResult.prune_skipped`` says why).
    ``attempts`` bounds how often one change is sent when it keeps failing with a RetryableError.
    ``stop`` is asked before every write (and every re-send); once it returns a reason, nothing new is
    sent and the rest is skipped with that reason (``ApplyResult.stopped``). By default it is
    :func:`tenantctl.execution.lock.lost_lock`: apply stops when the apply lock this process holds is lost.
    ``parallelism`` None means :func:`~tenantctl.execution.parallelism.adaptive_parallelism` of the plan;
    the figure used is ``ApplyResult.parallelism``.
    Hooks are called from worker threads, one call at a time.
    """
    changes = plan.actionable
    # Adaptive: each subscription also stays within ARM's write budget. An explicit figure is the
    # operator's call and is used as given.
    subscription_cap = WRITES_IN_FLIGHT_PER_SUBSCRIPTION if parallelism is None else None
    if parallelism is None:
        parallelism = adaptive_parallelism(changes)
    if parallelism < 1:
        raise ValueError("parallelism must be at least 1")
    started = time.monotonic()
    run = _Run(
        cloud, _SafeHooks(hooks or NullHooks()), parallelism, max(1, attempts), stop or lost_lock, subscription_cap
    )
    prune_skipped: str | None = None
    try:
        for schedule in build_schedules(changes):
            if schedule.stage > 1 and (schedule.steps or schedule.cyclic):
                verdict = _prune_verdict(run, prune_allowed)
                if verdict is not None:
                    prune_skipped = prune_skipped or verdict
                    run.skip_all(schedule, verdict)
                    continue
            run.reject_cycles(schedule)
            run.execute(schedule)
    except KeyboardInterrupt:  # between stages: no write is in flight; the rest is skipped below
        run.interrupted = True
    if run.retries_cancelled:  # the port outlives this run (tests, benchmarks): retry as usual again
        run.cloud.resume_retries()
    for change in changes:  # insurance: every change gets an outcome, whatever happened above
        if change.address in run.outcomes:
            continue
        if run.interrupted:
            run.outcomes[change.address] = ChangeOutcome(
                change.address, OutcomeStatus.SKIPPED, reason="apply was interrupted", tenant=change.tenant
            )
        else:
            run.outcomes[change.address] = ChangeOutcome(
                change.address,
                OutcomeStatus.FAILED,
                code="InternalError",
                tenant=change.tenant,
                message="apply lost track of this change",
                hint="this is a tenantctl bug; re-run with -v",
            )
    outcomes = tuple(run.outcomes[c.address] for c in changes)
    return ApplyResult(
        outcomes, time.monotonic() - started, prune_skipped, run.interrupted, run.stopped, parallelism=parallelism
    )


def _prune_verdict(run: _Run, prune_allowed: bool) -> str | None:
    halted = run.halted()
    if halted is not None:
        return f"prune skipped: {halted}"
    if not prune_allowed:
        return "prune skipped: pruning was not allowed for this run"
    failures = sum(1 for o in run.outcomes.values() if o.status is not OutcomeStatus.OK)
    if failures:
        return f"prune skipped: {count_of(failures, 'change')} failed or {'was' if failures == 1 else 'were'} skipped"
    return None


class _SafeHooks:
    """Serialises hook calls and keeps a broken hook from aborting writes."""

    def __init__(self, hooks: ApplyHooks) -> None:
        self._hooks = hooks
        self._lock = threading.Lock()

    def call(self, fn: Callable[[ApplyHooks], None]) -> None:
        with self._lock:
            try:
                fn(self._hooks)
            except Exception:
                _log.exception("an apply hook raised; ignoring it")


@dataclass
class _Progress:
    """Per-change bookkeeping: a REPLACE's two steps share one outcome."""

    started: float = 0.0
    attempts: int = 0
    finished: bool = False


@dataclass
class _Run:
    cloud: CloudPort
    hooks: _SafeHooks
    parallelism: int
    attempts: int
    stop: Callable[[], str | None]
    subscription_cap: int | None = None  # writes in flight per subscription; None = only ``parallelism``
    outcomes: dict[Address, ChangeOutcome] = field(default_factory=dict)
    progress: dict[Address, _Progress] = field(default_factory=dict)
    interrupted: bool = False
    stopped: str | None = None  # why ``stop`` ended the run (e.g. the apply lock was lost)
    retries_cancelled: bool = False
    _halt: threading.Event = field(default_factory=threading.Event)  # wakes workers waiting to re-send
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel_retries_if_halted(self) -> None:
        """Once halted, writes in flight may finish, but none may re-send (the adapter's retries
        included: a long Retry-After would otherwise keep Ctrl-C or a lost lock waiting for minutes)."""
        if self.retries_cancelled or self.halted() is None:
            return
        self.retries_cancelled = True
        self._halt.set()
        try:
            self.cloud.cancel_retries()
        except Exception:
            _log.exception("could not cancel the adapter's retries")

    def halted(self) -> str | None:
        """Why no new write may be sent (Ctrl-C, or ``stop`` said so), or None. Any thread."""
        if self.interrupted:
            return "apply was interrupted"
        if self.stopped is None:
            try:
                reason = self.stop()
            except Exception:
                _log.exception("apply's stop check raised; carrying on")
                reason = None
            if reason:
                self.stopped = reason
        return self.stopped

    # --- scheduling (main thread) -----------------------------------------------------------------
    def execute(self, schedule: Schedule) -> None:
        """Dispatch ready steps, highest priority first, until all have run or been skipped."""
        waiting = {id(s): len(s.predecessors) for s in schedule.steps}
        ready = [s for s in schedule.steps if not s.predecessors]
        inflight: dict[Future[bool], Step] = {}
        busy: Counter[str] = Counter()  # writes in flight per subscription
        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="apply") as pool:
            try:
                while ready or inflight:
                    while ready and len(inflight) < self.parallelism:
                        step = self._next_ready(ready, busy)
                        if step is None:  # every ready step's subscription is at its cap
                            break
                        if (halted := self.halted()) is not None:
                            self._skip(step, halted)
                            ready += self._release(step, waiting)
                        elif (reason := self._blocked(step)) is not None:
                            self._skip(step, reason)
                            ready += self._release(step, waiting)
                        else:
                            busy[subscription_of(step.change)] += 1
                            inflight[pool.submit(self._run_step, step)] = step
                    if inflight:
                        done, _ = wait(inflight, timeout=_HALT_POLL, return_when=FIRST_COMPLETED)
                        self.cancel_retries_if_halted()
                        for future in done:
                            step = inflight.pop(future)
                            busy[subscription_of(step.change)] -= 1
                            self._check_crash(step, future)
                            ready += self._release(step, waiting)
            except KeyboardInterrupt:
                # Writes already sent cannot be recalled; let them finish, start nothing new.
                self.interrupted = True
                self.cancel_retries_if_halted()
                wait(inflight)
                for future, step in inflight.items():
                    self._check_crash(step, future)
                for step in schedule.steps:
                    if step.change.address not in self.outcomes:
                        self._skip(step, "apply was interrupted")

    def _next_ready(self, ready: list[Step], busy: Counter[str]) -> Step | None:
        """Take the highest-priority ready step whose subscription has room (all have, without a cap)."""
        ready.sort(key=lambda s: (s.priority, -s.order))
        for index in range(len(ready) - 1, -1, -1):
            if self.subscription_cap is None or busy[subscription_of(ready[index].change)] < self.subscription_cap:
                return ready.pop(index)
        return None

    def _check_crash(self, step: Step, future: Future[bool]) -> None:
        """A step that died of a BaseException (only those escape ``_run_step``) failed: record it, so
        that what depends on it is skipped instead of written on top of a half-done write."""
        exc = future.exception()
        if exc is None:
            return
        _log.error("apply step %s crashed: %r", step, exc)
        with self._lock:
            progress = self.progress.setdefault(step.change.address, _Progress(started=time.monotonic()))
        error = TerminalError(
            f"{step.change.address}: apply stopped while sending this write ({type(exc).__name__})",
            code="InternalError",
            hint="re-run apply; if it happens again, re-run with -v and report it",
        )
        self._done(step.change, OutcomeStatus.FAILED, progress, error=error)

    def _release(self, step: Step, waiting: dict[int, int]) -> list[Step]:
        newly = []
        for succ in step.successors:
            waiting[id(succ)] -= 1
            if waiting[id(succ)] == 0:
                newly.append(succ)
        return newly

    def _blocked(self, step: Step) -> str | None:
        if step.change.address in self.outcomes:  # the delete half of this replace failed
            return ""
        for req in step.requires:
            outcome = self.outcomes.get(req.change.address)
            if outcome is not None and not outcome.ok:
                return f"depends on {req.change.address}, which {outcome.status.value}"
        return None

    def reject_cycles(self, schedule: Schedule) -> None:
        for change in schedule.cyclic:
            self._finish(
                change,
                ChangeOutcome(
                    change.address,
                    OutcomeStatus.FAILED,
                    code="InvalidPlan",
                    tenant=change.tenant,
                    message="the change's dependencies form a cycle",
                    hint=INVALID_PLAN_HINT,
                ),
            )

    def skip_all(self, schedule: Schedule, reason: str) -> None:
        for step in schedule.steps:
            self._skip(step, reason)
        for change in schedule.cyclic:
            self._skip_change(change, reason)

    def _skip(self, step: Step, reason: str) -> None:
        if not reason or step.change.address in self.outcomes:
            return
        progress = self.progress.get(step.change.address)
        if step.part is Part.CREATE and progress is not None:
            # The delete half of this replace already ran: the resource is gone, not untouched.
            error = TerminalError(
                f"{step.change.address}: deleted, but not created again: {reason}",
                code="ReplaceIncomplete",
                hint="re-run apply to create it again",
            )
            self._done(step.change, OutcomeStatus.FAILED, progress, error=error)
            return
        self._skip_change(step.change, reason)

    def _skip_change(self, change: Change, reason: str) -> None:
        outcome = ChangeOutcome(change.address, OutcomeStatus.SKIPPED, reason=reason, tenant=change.tenant)
        if self._finish(change, outcome):
            self.hooks.call(lambda h: h.on_skip(change, reason))

    def _finish(self, change: Change, outcome: ChangeOutcome) -> bool:
        with self._lock:
            if change.address in self.outcomes:
                return False
            self.outcomes[change.address] = outcome
            return True

    # --- one write (worker threads) ---------------------------------------------------------------
    def _run_step(self, step: Step) -> bool:
        change = step.change
        with self._lock:
            progress = self.progress.setdefault(change.address, _Progress(started=time.monotonic()))
        if step.is_first_of_change:
            self.hooks.call(lambda h: h.on_start(change))
        error: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            progress.attempts += 1
            try:
                result = perform(self.cloud, step)
            except RetryableError as exc:
                error = exc
                # A re-send is a new write: none once apply was interrupted or lost its lock.
                if attempt < self.attempts and self.halted() is None:
                    self.hooks.call(_retry_hook(change, attempt + 1, exc))
                    self._halt.wait(min(exc.retry_after or _BACKOFF * attempt, _MAX_BACKOFF))
                    if self.halted() is None:
                        continue
            except Exception as exc:  # TerminalError, or a bug: either way this change is done
                error = exc
            else:
                if step.is_last_of_change:
                    self._done(change, OutcomeStatus.OK, progress, result=result)
                return True
            break
        assert error is not None
        # The create half of a replace failed: its delete half already removed the resource.
        gone = "the old one is already deleted; " if step.part is Part.CREATE else ""
        self._done(change, OutcomeStatus.FAILED, progress, error=error, prefix=gone)
        return False

    def _done(
        self,
        change: Change,
        status: OutcomeStatus,
        progress: _Progress,
        *,
        result: object | None = None,
        error: Exception | None = None,
        prefix: str = "",
    ) -> None:
        code, message, hint = _describe(error) if error is not None else (None, "", "")
        message = prefix + message
        outcome = ChangeOutcome(
            change.address,
            status,
            code=code,
            message=message,
            hint=hint,
            tenant=change.tenant,
            duration=time.monotonic() - progress.started,
            attempts=progress.attempts,
            result=result,
        )
        if self._finish(change, outcome):
            self.hooks.call(lambda h: h.on_done(change, outcome))


def _retry_hook(change: Change, attempt: int, error: Exception) -> Callable[[ApplyHooks], None]:
    def call(hooks: ApplyHooks) -> None:
        hooks.on_retry(change, attempt, error)

    return call


def _describe(error: Exception) -> tuple[str, str, str]:
    """Azure's error code, the message and an operator hint for a failed write."""
    if isinstance(error, TenantctlError):
        code = error.code
        if isinstance(error, RetryableError | TerminalError) and code in ("retryable", "terminal"):
            code = "RetryableError" if isinstance(error, RetryableError) else "TerminalError"
        return code, error.message, hint_for(code, error.hint)
    # Not a classified failure: an adapter bug or a malformed record. Report it; do not crash the run.
    name = type(error).__name__
    return name, str(error) or name, "this looks like a tenantctl bug; re-run with -v"
