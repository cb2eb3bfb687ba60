"""Field-by-field comparison of a desired record with its observed twin (pure).

Only fields the manifest manages are compared (aesthetics §2.12): read-only fields (endpoint,
provisioning state) and tags tenantctl does not set are ignored, so a portal-added tag or an
Azure-populated property never shows up as drift.  Each compared field says whether Azure can
change it in place or only by delete + create (``forces_replace``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tenantctl.desired import DEFAULT_RAI_POLICY
from tenantctl.planning.model import FieldChange, Resource, ResourceKind
from tenantctl.resources import Account, Blocklist, DeletedAccount, Deployment, RaiPolicy, ResourceGroup

__all__ = ["FIELDS", "field_changes", "kind_of", "merged_tags"]

# (field, forces_replace).  Deployment model/format/sku and account location/subdomain/kind cannot be
# changed in place (research/peers.md §1.1: ForceNew in azurerm); a new version of the same model can.
FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {
    Account: (
        ("location", True),
        ("custom_subdomain", True),
        ("kind", True),
        ("sku", False),
        ("public_network_access", False),
        ("allowed_ips", False),
        ("disable_local_auth", False),
    ),
    Deployment: (
        ("model", True),
        ("format", True),
        ("sku", True),
        ("version", False),
        ("capacity", False),
        ("version_upgrade_option", False),
        ("rai_policy", False),
    ),
    RaiPolicy: (("base_policy", False), ("severity", False), ("blocklists", False)),
    Blocklist: (("terms", False),),
    ResourceGroup: (),
}

# Azure echoes these with its own casing or spacing ("Sweden Central"); compare them case-folded.
_CASELESS = frozenset({"location", "custom_subdomain", "kind", "sku", "model", "format"})
_SETS = frozenset({"allowed_ips", "terms", "blocklists"})

_KINDS: dict[type, ResourceKind] = {
    ResourceGroup: ResourceKind.RESOURCE_GROUP,
    Account: ResourceKind.ACCOUNT,
    DeletedAccount: ResourceKind.ACCOUNT,
    Deployment: ResourceKind.DEPLOYMENT,
    RaiPolicy: ResourceKind.RAI_POLICY,
    Blocklist: ResourceKind.BLOCKLIST,
}


def kind_of(resource: Resource) -> ResourceKind:
    return _KINDS[type(resource)]


def _norm(name: str, value: object) -> object:
    if name in _CASELESS and isinstance(value, str):
        return value.replace(" ", "").lower()
    if name in _SETS and isinstance(value, tuple):
        return tuple(sorted(value))
    if name == "rai_policy" and value is None:
        # A deployment created without raiPolicyName gets Azure's default policy.
        return DEFAULT_RAI_POLICY
    return value


def field_changes(before: Resource, after: Resource) -> tuple[FieldChange, ...]:
    """The managed fields of ``after`` that ``before`` does not match, tags one by one."""
    changes = [
        FieldChange(name, getattr(before, name), getattr(after, name), forces)
        for name, forces in FIELDS[type(after)]
        if _norm(name, getattr(before, name)) != _norm(name, getattr(after, name))
    ]
    before_tags: Mapping[str, str] = before.tags
    for key, value in sorted(after.tags.items()):
        if before_tags.get(key) != value:
            changes.append(FieldChange(f"tags.{key}", before_tags.get(key), value))
    return tuple(changes)


def merged_tags(desired: Resource, observed: Resource) -> Resource:
    """``desired`` with tags tenantctl does not own kept from ``observed`` (a PUT replaces all tags)."""
    tags = {**observed.tags, **desired.tags}
    return dataclasses.replace(desired, tags=tags)  # type: ignore[type-var]  # a union of dataclasses
