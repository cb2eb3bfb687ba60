"""Deterministic names the adapter derives (pure: no Azure SDK import, cheap for the core to use).

Desired-state code may call these to predict what Azure will report, e.g. a role assignment's name.
"""

from __future__ import annotations

import hashlib
import re
import uuid

__all__ = ["blocklist_item_name", "role_assignment_name", "role_definition_id", "subscription_of"]

# Role-assignment names are uuid5 in this namespace, so the same (scope, principal, role) always
# yields the same name and a re-run PUT is a no-op instead of a 409 RoleAssignmentExists.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6f1b7e0a-5c1d-4b59-9a53-2f0c1e7d4a10")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


def blocklist_item_name(term: str) -> str:
    """Deterministic item name for a term: re-runs address the same item, never a duplicate."""
    return "t-" + hashlib.sha256(term.encode("utf-8")).hexdigest()[:20]


def subscription_of(scope: str) -> str | None:
    found = _SUBSCRIPTION.match(scope)
    return found.group(1) if found else None


def role_definition_id(role: str, scope: str) -> str:
    """Accept a bare role GUID and expand it to the full id ARM stores, so reads compare equal."""
    if _GUID.match(role):
        subscription = subscription_of(scope)
        prefix = f"/subscriptions/{subscription}" if subscription else ""
        return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    return role


def role_assignment_name(scope: str, principal_id: str, role: str) -> str:
    """uuid5 of scope + principal + role (case-insensitive, like ARM ids), as Bicep's guid() does."""
    role_guid = role.rstrip("/").rsplit("/", 1)[-1]
    key = f"{scope.rstrip('/').lower()}|{principal_id.lower()}|{role_guid.lower()}"
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, key))
