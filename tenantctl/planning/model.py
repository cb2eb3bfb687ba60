"""The plan's vocabulary: what will happen to which resource, why, and in which order.

``plan(desired, observed) -> Plan`` is pure; ``apply`` runs exactly the plan's changes and never
diffs again. Before/after per action:

=========  ==========  ==========  ============================================================
action     before      after       meaning
=========  ==========  ==========  ============================================================
NOOP       resource    resource    in sync (kept in the plan so inspect/status can show it)
CREATE     None        resource    does not exist yet
UPDATE     resource    resource    exists, ``changed_fields`` differ (drift or manifest change)
REPLACE    resource    resource    a field Azure cannot change in place: delete then create;
                                   ``outage`` says what is unavailable in between
DELETE     resource    None        orphan owned by tenantctl, planned only with ``--prune``
PURGE      deleted     None        a soft-deleted account in the way, only with ``--purge-deleted``
RESTORE    deleted     resource    recover a soft-deleted account instead of creating it anew
=========  ==========  ==========  ============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from tenantctl.addresses import Address, ResourceKind
from tenantctl.diagnostics import Diagnostics
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
)

__all__ = [
    "Action",
    "Change",
    "FieldChange",
    "Orphan",
    "OrphanFate",
    "Plan",
    "QuotaLine",
    "Resource",
    "ResourceKind",
]

Resource = (
    ResourceGroup
    | Account
    | Deployment
    | RaiPolicy
    | Blocklist
    | DeletedAccount
    | PrivateEndpoint
    | DiagnosticSetting
    | VaultKeys
)


class Action(str, Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    PURGE = "purge"
    RESTORE = "restore"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def is_destructive(self) -> bool:
        return self in (Action.REPLACE, Action.DELETE, Action.PURGE)

    @property
    def is_change(self) -> bool:
        return self is not Action.NOOP


_SYMBOLS = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.PURGE: "!",
    Action.RESTORE: "^",
}


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; ``forces_replace`` marks a field Azure cannot change in place."""

    name: str
    before: object
    after: object
    forces_replace: bool = False


@dataclass(frozen=True)
class Change:
    """One planned step on one resource.

    ``address`` is the user-facing, stable name (``tenant.acme.deployment.chat``, see
    :mod:`tenantctl.addresses`). ``account`` is the
    account whose one-write-at-a-time queue this change goes through (None for resource groups).
    ``depends_on`` lists addresses that must have succeeded first. ``reason`` is for people only.
    """

    address: Address
    kind: ResourceKind
    action: Action
    before: Resource | None
    after: Resource | None
    reason: str = ""
    tenant: str | None = None
    stamp: str | None = None
    account: AccountRef | None = None
    changed_fields: tuple[FieldChange, ...] = ()
    outage: str | None = None
    depends_on: tuple[Address, ...] = ()
    phase: int = 1


class OrphanFate(str, Enum):
    """What apply does with a resource tagged for this manifest that the manifest no longer names."""

    DELETED = "deleted-by-apply"  # planned: a DELETE change (--prune)
    PRUNING_DISABLED = "kept-pruning-disabled"  # apply --prune would delete it; plain apply keeps it
    PROTECTED = "kept-protected"  # tagged tenantctl-protected=true: never deleted
    HOLDS_FOREIGN = "kept-holds-foreign"  # an account holding what is not ours (or kept): deleting it would take that

    @property
    def describe(self) -> str:
        return _FATES[self]


_FATES = {
    OrphanFate.DELETED: "deleted by apply (--prune)",
    OrphanFate.PRUNING_DISABLED: "kept: pruning disabled (apply --prune deletes it)",
    OrphanFate.PROTECTED: "kept: protected",
    OrphanFate.HOLDS_FOREIGN: "kept: its account holds resources tenantctl does not own",
}


@dataclass(frozen=True)
class Orphan:
    """A resource of ours (tagged for this manifest) that nothing in the manifest claims, and its fate."""

    address: Address
    kind: ResourceKind
    name: str  # the name in Azure
    fate: OrphanFate
    tenant: str | None = None
    stamp: str | None = None
    account: AccountRef | None = None
    isolation: str | None = None  # from its tenantctl-isolation tag (the manifest no longer says)


@dataclass(frozen=True)
class QuotaLine:
    """Demand against one quota line, in the usage's unit (thousands of TPM, or PTUs)."""

    subscription_id: str
    location: str
    usage_name: str
    need: float  # capacity the plan adds
    frees: float  # capacity the plan releases (deletes, decreases, replaced deployments)
    used: float
    limit: float

    @property
    def headroom(self) -> float:
        """What is left after the plan; negative means apply would hit InsufficientQuota."""
        return self.limit - self.used + self.frees - self.need

    @property
    def is_short(self) -> bool:
        return self.headroom < 0


@dataclass(frozen=True)
class Plan:
    """Everything apply will do, the quota it needs, and what blocks it.

    ``fingerprint`` hashes the observed state the plan was made from; a saved plan whose
    fingerprint no longer matches a fresh observation is stale and refused.
    """

    changes: tuple[Change, ...]
    quota: tuple[QuotaLine, ...] = ()
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    fingerprint: str = ""
    manifest_name: str = ""
    # Orphans and their fates, for ``status`` and ``inspect`` (planned deletes are in ``changes``
    # too; the rest are the plan's orphan warnings).  Not part of what apply runs: a saved plan
    # does not carry them, and two plans with the same changes are the same plan.
    orphans: tuple[Orphan, ...] = field(default=(), compare=False)

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action.is_change)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def is_blocked(self) -> bool:
        """Errors (quota short, soft-deleted name in the way ...) mean apply must not start."""
        return self.diagnostics.has_errors

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def for_tenant(self, tenant: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.tenant == tenant)
