"""A tenant's health in one word, derived from a plan (pure): the same rule for ``status`` and ``inspect``.

=============  ================================================================================
state          meaning
=============  ================================================================================
error          the plan has an error for the tenant (or its stamp): apply could not fix it alone
missing        nothing of the tenant exists in Azure yet: every relevant change is a create
drift          some of it exists, and the plan would change something (field, missing part)
in sync        Azure matches the manifest for this tenant
unverified     tenant-provided, and the verifier could not run (no app credential): nothing
               else of ours to compare.  Verified: in sync; a failed check: error
not in         a tenant the manifest no longer names whose resources (tagged for it) Azure
manifest       still holds: deleted by ``apply --prune`` unless protected
=============  ================================================================================

A resource tagged for the tenant that the manifest does not name (an orphan) is drift too.

A ``shared`` tenant owns nothing in Azure, so its state is the state of its stamp's accounts and
shared deployments.  Deletes count through the orphans they delete (with or without ``--prune``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from tenantctl.diagnostics import Diagnostic
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.planning.model import Action, Change, Plan

__all__ = ["State", "relevant_errors", "tenant_state"]


class State(str, Enum):
    IN_SYNC = "in sync"
    DRIFT = "drift"
    MISSING = "missing"
    ERROR = "error"
    UNVERIFIED = "unverified"
    NOT_IN_MANIFEST = "not in manifest"


def relevant_errors(manifest: Manifest, tenant_id: str, diagnostics: Plan | list[Diagnostic]) -> list[Diagnostic]:
    """Error diagnostics about the tenant, or about the stamp a shared tenant rides on."""
    items = diagnostics.diagnostics.errors if isinstance(diagnostics, Plan) else [d for d in diagnostics if d.is_error]
    tenant = manifest.tenants[tenant_id]
    stamp_path = f"stamps.{tenant.stamp}" if tenant.isolation is Isolation.SHARED and tenant.stamp else None
    # A stamp the pool has no room for leaves every tenant on it without a home, whatever its isolation.
    unplaced_stamp = f"stamps.{tenant.stamp}" if tenant.stamp else None
    return [
        d
        for d in items
        if d.tenant == tenant_id
        or (d.code == "pool-full" and d.path == unplaced_stamp)
        or (
            stamp_path is not None
            and d.tenant is None
            and (d.path == stamp_path or d.path.startswith(stamp_path + "."))
        )
        or d.path == f"tenants.{tenant_id}"
        or d.path.startswith(f"tenants.{tenant_id}.")
    ]


def _verified_state(errors: list[Diagnostic], verification: Mapping[str, Any] | None) -> State:
    if errors:
        return State.ERROR
    if verification is None or not verification.get("available"):
        return State.UNVERIFIED
    return State.IN_SYNC if verification.get("ok") else State.ERROR


def tenant_state(
    manifest: Manifest,
    tenant_id: str,
    changes: list[Change],
    errors: list[Diagnostic],
    verification: Mapping[str, Any] | None = None,
    *,
    orphans: int = 0,
) -> State:
    """Apply the table in the module docstring to the relevant changes and errors.

    ``verification`` is the tenant-provided verifier's JSON (``"available"``, ``"ok"``): a tenant
    it verified is in sync, one it could not verify is in error.
    """
    if manifest.tenants[tenant_id].isolation is Isolation.TENANT_PROVIDED:
        return _verified_state(errors, verification)
    if errors:
        return State.ERROR
    actionable = [c for c in changes if c.action.is_change and c.action is not Action.DELETE]
    if not actionable:
        return State.DRIFT if orphans else State.IN_SYNC
    if (
        not orphans
        and len(actionable) == len(changes)
        and all(c.action in (Action.CREATE, Action.RESTORE) for c in actionable)
    ):
        return State.MISSING
    return State.DRIFT
