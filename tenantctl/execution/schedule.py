"""Turns a plan's actionable changes into a schedule of port writes: steps, edges and priorities.

Three kinds of edge, all pointing from earlier to later:

* ``requires``: the later step needs the earlier one to have *succeeded* (``depends_on`` from the plan,
  the delete half of a replace before its create half, an account before what lives in it, a resource
  group before its accounts, a purge before the re-create). When it failed, the later step is skipped.
* the per-account queue: Azure answers 409 RequestConflict to a second write on an account while one is
  running (research/arm-api.md §3.3), so each account's steps form one chain and run strictly one after
  the other. This edge only orders; a failed deployment does not stop its sibling deployments.
* stages: prune DELETEs (planning's phase 2) and migration retirements (phase 3) form later schedules
  that the executor starts only once everything before them finished without failures.

Every step gets a priority: the length of the longest chain of steps still hanging off it (its
"bottom level"). Dispatching the ready step with the highest priority first starts the busiest accounts
first, so the run takes about as long as the busiest account's serial chain (list scheduling).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from tenantctl.addresses import Address
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import AccountRef, ResourceGroup

__all__ = ["Part", "Schedule", "Step", "build_schedules", "queue_key"]


class Part(str, Enum):
    """Which write a step performs for its change: a REPLACE is a delete then a put."""

    WHOLE = "whole"
    DELETE = "delete"
    CREATE = "create"


@dataclass(eq=False)
class Step:
    """One blocking port call on one queue."""

    change: Change
    part: Part
    queue: str
    plan_index: int
    requires: list[Step] = field(default_factory=list)
    predecessors: list[Step] = field(default_factory=list)  # requires + the queue predecessor
    successors: list[Step] = field(default_factory=list)
    order: int = 0  # position in the global topological order
    priority: int = 1

    @property
    def is_last_of_change(self) -> bool:
        return self.part is not Part.DELETE

    @property
    def is_first_of_change(self) -> bool:
        return self.part is not Part.CREATE

    def __repr__(self) -> str:
        return f"Step({self.change.address}, {self.part.value}, prio={self.priority})"


@dataclass
class Schedule:
    """Steps in a dependency-respecting order, and the changes whose dependencies form a cycle."""

    steps: list[Step]
    cyclic: list[Change]
    stage: int = 1  # stages run one after the other; stage 2+ only when nothing failed before


# Creation order inside one account: the account, then blocklists (RAI policies reference them), then
# RAI policies (deployments reference them), then deployments. A purge clears the name for a re-create.
_CREATE_RANK = {
    ResourceKind.RESOURCE_GROUP: 1,
    ResourceKind.ACCOUNT: 2,
    ResourceKind.BLOCKLIST: 3,
    ResourceKind.RAI_POLICY: 4,
    ResourceKind.DEPLOYMENT: 5,
    ResourceKind.PRIVATE_ENDPOINT: 6,
    ResourceKind.DIAGNOSTIC_SETTING: 7,
    ResourceKind.ACCOUNT_KEYS: 8,  # after the account update that turns local auth on
}
# Prune order is the reverse: what lives in an account goes before the account.
_DELETE_RANK = {
    ResourceKind.DIAGNOSTIC_SETTING: 0,
    ResourceKind.ACCOUNT_KEYS: 0,
    ResourceKind.PRIVATE_ENDPOINT: 0,
    ResourceKind.DEPLOYMENT: 1,
    ResourceKind.RAI_POLICY: 2,
    ResourceKind.BLOCKLIST: 3,
    ResourceKind.ACCOUNT: 4,
    ResourceKind.RESOURCE_GROUP: 5,
}


_Rank = Callable[[Change], int]


def queue_key(change: Change) -> str:
    """The write queue a change goes through: its account, or its resource group for a group write."""
    if change.account is not None:
        return change.account.key
    record = change.after or change.before
    if isinstance(record, ResourceGroup):
        return f"/subscriptions/{record.subscription_id}/resourcegroups/{record.name}".lower()
    return f"address:{change.address.folded}"


def _delete_queue(change: Change) -> str:
    """The queue of a replace's delete half: the account the old resource lives in.

    A deployment that moves to another account (a tenant re-placed on another stamp account) is a
    replace whose ``before`` lives on the old account and ``after`` on the new one; its delete is a
    write to the old account and must queue behind that account's other writes, not the new one's.
    """
    ref = getattr(change.before, "account", None)
    return ref.key if isinstance(ref, AccountRef) else queue_key(change)


def build_schedules(changes: tuple[Change, ...]) -> list[Schedule]:
    """One schedule per stage, in the order they run; the first is always stage 1 (maybe empty).

    Stage = the change's ``phase`` (planning puts prune deletes in phase 2 and migration retirements
    in phase 3), except that a phase-1 DELETE nothing depends on also goes to stage 2: deletes run
    last. A phase-1 DELETE that a change depends on (planning moves a delete whose freed quota a
    create needs into phase 1) stays in stage 1, ahead of that create.
    """
    depended = {a for c in changes for a in c.depends_on}

    def stage(change: Change) -> int:
        if change.action is Action.DELETE and change.phase <= 1 and change.address not in depended:
            return 2
        return max(1, change.phase)

    indexed = [(i, c, stage(c)) for i, c in enumerate(changes)]
    stages = sorted({1} | {s for _, _, s in indexed})
    return [_build([(i, c) for i, c, s in indexed if s == n], _main_rank if n == 1 else _prune_rank, n) for n in stages]


def _main_rank(change: Change) -> int:
    if change.action in (Action.PURGE, Action.DELETE):
        return 0  # clears a name or frees quota for a create in this stage
    return _CREATE_RANK[change.kind]


def _prune_rank(change: Change) -> int:
    return _DELETE_RANK[change.kind]


def _build(changes: list[tuple[int, Change]], rank: _Rank, stage: int) -> Schedule:
    steps: list[Step] = []
    last_step: dict[Address, Step] = {}  # address -> the step whose success means the change is done
    for index, change in changes:
        if change.action is Action.REPLACE:
            delete = Step(change, Part.DELETE, _delete_queue(change), index)
            create = Step(change, Part.CREATE, queue_key(change), index, requires=[delete])
            steps += [delete, create]
            last_step[change.address] = create
        else:
            step = Step(change, Part.WHOLE, queue_key(change), index)
            steps.append(step)
            last_step[change.address] = step
    _add_requires(steps, last_step)
    ordered, cyclic = _topological(steps, rank)
    _chain_queues(ordered)
    _prioritise(ordered)
    return Schedule(ordered, cyclic, stage)


@dataclass
class _Anchors:
    """The steps other steps implicitly hang off, by account or resource-group key."""

    accounts: dict[str, Step] = field(default_factory=dict)  # create / restore / replace of an account
    purges: dict[str, Step] = field(default_factory=dict)
    groups: dict[str, Step] = field(default_factory=dict)
    account_deletes: dict[str, Step] = field(default_factory=dict)

    @classmethod
    def of(cls, steps: list[Step]) -> _Anchors:
        anchors = cls()
        for step in steps:
            change = step.change
            if change.kind is ResourceKind.RESOURCE_GROUP and change.action is not Action.DELETE:
                anchors.groups[queue_key(change)] = step
            is_account = change.kind is ResourceKind.ACCOUNT and change.account is not None
            if not is_account or not step.is_last_of_change:
                continue
            assert change.account is not None
            table = {
                Action.PURGE: anchors.purges,
                Action.DELETE: anchors.account_deletes,
                Action.CREATE: anchors.accounts,
                Action.RESTORE: anchors.accounts,
                Action.REPLACE: anchors.accounts,
            }.get(change.action)
            if table is not None:
                table[change.account.key] = step
        return anchors


def _add_requires(steps: list[Step], last_step: dict[Address, Step]) -> None:
    anchors = _Anchors.of(steps)
    for step in steps:
        wanted = [last_step[a] for a in step.change.depends_on if a in last_step]
        wanted += _implicit(step, anchors)
        for other in wanted:
            if other is not step and other not in step.requires:
                step.requires.append(other)


def _implicit(step: Step, anchors: _Anchors) -> list[Step]:
    """Requirements the plan need not spell out: they follow from what the resources are."""
    change = step.change
    if change.account is None:
        return []
    key = change.account.key
    if change.kind is not ResourceKind.ACCOUNT:
        if change.action is Action.DELETE:
            # the account's delete waits for (and needs) the deletes of what lives in it
            parent = anchors.account_deletes.get(key)
            if parent is not None and step not in parent.requires:
                parent.requires.append(step)
            return []
        return [anchors.accounts[key]] if key in anchors.accounts else []
    if change.action in (Action.PURGE, Action.DELETE):
        return []
    found = [anchors.purges[key]] if key in anchors.purges else []
    group = anchors.groups.get(_group_key(change))
    return [*found, group] if group is not None else found


def _group_key(change: Change) -> str:
    ref = change.account
    assert ref is not None
    return f"/subscriptions/{ref.subscription_id}/resourcegroups/{ref.resource_group}".lower()


def _topological(steps: list[Step], rank: _Rank) -> tuple[list[Step], list[Change]]:
    """Kahn's algorithm over ``requires``, ties broken by kind rank then plan order (deterministic)."""
    waiting = {id(s): len(s.requires) for s in steps}
    dependants: dict[int, list[Step]] = defaultdict(list)
    for step in steps:
        for req in step.requires:
            dependants[id(req)].append(step)

    def key(s: Step) -> tuple[int, int, int]:
        return (rank(s.change), s.plan_index, 0 if s.part is Part.DELETE else 1)

    heap = [(key(s), n, s) for n, s in enumerate(steps) if not s.requires]
    heapq.heapify(heap)
    ordered: list[Step] = []
    tiebreak = len(steps)
    while heap:
        _, _, step = heapq.heappop(heap)
        step.order = len(ordered)
        ordered.append(step)
        for dep in dependants[id(step)]:
            waiting[id(dep)] -= 1
            if waiting[id(dep)] == 0:
                tiebreak += 1
                heapq.heappush(heap, (key(dep), tiebreak, dep))
    placed = {id(s) for s in ordered}
    cyclic: dict[int, Change] = {}
    for step in steps:
        if id(step) not in placed:
            cyclic.setdefault(id(step.change), step.change)
    return ordered, list(cyclic.values())


def _chain_queues(ordered: list[Step]) -> None:
    previous: dict[str, Step] = {}
    for step in ordered:
        preds = list(step.requires)
        before = previous.get(step.queue)
        if before is not None and before not in preds:
            preds.append(before)
        step.predecessors = preds
        for pred in preds:
            pred.successors.append(step)
        previous[step.queue] = step


def _prioritise(ordered: list[Step]) -> None:
    for step in reversed(ordered):
        step.priority = 1 + max((s.priority for s in step.successors), default=0)
