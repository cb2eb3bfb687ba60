"""What changed between a saved plan and the plan made now (pure): why ``apply --plan`` refuses it.

The fingerprint says *that* Azure changed since the plan was reviewed; an operator also needs to know
*what*, to judge whether to re-plan at once or look first. The comparison is by resource address over
the changes apply would make (no-ops aside): a change only the fresh plan has, one only the saved plan
has (someone did it by hand, or it no longer applies), and one both have but with another action,
other fields or another target record.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from tenantctl.addresses import Address
from tenantctl.planning.model import Change, Plan
from tenantctl.resource_codec import record_to_json
from tenantctl.wording import count_of

__all__ = ["PlanDifferences", "plan_differences"]


@dataclass(frozen=True)
class PlanDifferences:
    """Addresses whose planned changes differ, each sorted."""

    added: tuple[Address, ...]  # the fresh plan changes it; the saved plan did not
    removed: tuple[Address, ...]  # the saved plan changes it; the fresh plan no longer does
    different: tuple[Address, ...]  # both change it, differently

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.different)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.removed) + len(self.different)

    def describe(self, limit: int = 5) -> str:
        """One short line: the first ``limit`` addresses by kind of difference, and how many more."""
        labelled = [
            *(f"{a} (new)" for a in self.added),
            *(f"{a} (no longer planned)" for a in self.removed),
            *(f"{a} (planned differently)" for a in self.different),
        ]
        shown = ", ".join(labelled[:limit])
        rest = len(labelled) - limit
        more = f" and {rest} more" if rest > 0 else ""
        return f"{count_of(self.total, 'planned change')} differ now: {shown}{more}"


def _signature(change: Change) -> str:
    """What apply would do to the address, comparable across a save (JSON round trip) and a fresh plan."""
    fields = [(f.name, _plain(f.before), _plain(f.after), f.forces_replace) for f in change.changed_fields]
    after = record_to_json(change.after) if change.after is not None else None
    return json.dumps([change.action.value, fields, after], sort_keys=True, default=str)


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _by_address(plan: Plan) -> dict[Address, list[str]]:
    found: dict[Address, list[str]] = defaultdict(list)
    for change in plan.actionable:
        found[change.address].append(_signature(change))
    return {address: sorted(signatures) for address, signatures in found.items()}


def plan_differences(saved: Plan, fresh: Plan) -> PlanDifferences:
    """The addresses whose changes the saved plan and the fresh plan disagree on."""
    before, now = _by_address(saved), _by_address(fresh)
    return PlanDifferences(
        added=tuple(sorted(now.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - now.keys())),
        different=tuple(sorted(a for a in before.keys() & now.keys() if before[a] != now[a])),
    )
