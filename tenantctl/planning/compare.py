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
from tenantctl.resources import (
    Account,
    AccountBaseline,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    PrivateEndpoint,
    RaiPolicy,
    ResourceGroup,
    VaultKeys,
)

__all__ = ["FIELDS", "field_changes", "kind_of", "merged_tags"]

# (field, forces_replace).  Deployment model/format/sku and account location/subdomain/kind cannot be
# changed in place (research/peers.md §1.1: ForceNew in azurerm); a new version of the same model can.
# A deployment's forced replace never reaches the diff: it gets a successor beside it (successors.py).
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
    # An endpoint's subnet, region and target are fixed at creation (Microsoft.Network rejects a change
    # of subnet); its DNS zone group is a child resource, rewritten in place.
    PrivateEndpoint: (("location", True), ("subnet_id", True), ("target_id", True), ("dns_zone_ids", False)),
    DiagnosticSetting: (("workspace_id", False), ("log_categories", False), ("metric_categories", False)),
    VaultKeys: (("vault_id", False),),
}

# Azure echoes these with its own casing or spacing ("Sweden Central"); compare them case-folded.
_CASELESS = frozenset({"location", "custom_subdomain", "kind", "sku", "model", "format"})
_SETS = frozenset({"allowed_ips", "terms", "blocklists", "log_categories", "metric_categories"})
# ARM ids are case-insensitive (Azure may echo ``resourcegroups``); lists of them are sets.
_IDS = frozenset({"subnet_id", "target_id", "workspace_id", "vault_id"})
_ID_SETS = frozenset({"dns_zone_ids"})

_KINDS: dict[type, ResourceKind] = {
    ResourceGroup: ResourceKind.RESOURCE_GROUP,
    Account: ResourceKind.ACCOUNT,
    DeletedAccount: ResourceKind.ACCOUNT,
    Deployment: ResourceKind.DEPLOYMENT,
    RaiPolicy: ResourceKind.RAI_POLICY,
    Blocklist: ResourceKind.BLOCKLIST,
    PrivateEndpoint: ResourceKind.PRIVATE_ENDPOINT,
    DiagnosticSetting: ResourceKind.DIAGNOSTIC_SETTING,
    VaultKeys: ResourceKind.ACCOUNT_KEYS,
}


def kind_of(resource: Resource) -> ResourceKind:
    return _KINDS[type(resource)]


def _norm(name: str, value: object) -> object:
    if name in _CASELESS and isinstance(value, str):
        return value.replace(" ", "").lower()
    if name in _SETS and isinstance(value, tuple):
        return tuple(sorted(value))
    if name in _IDS and isinstance(value, str):
        return value.lower()
    if name in _ID_SETS and isinstance(value, tuple):
        return tuple(sorted(str(v).lower() for v in value))
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
    if isinstance(before, Account) and isinstance(after, Account):
        changes += _baseline_changes(before.baseline, after.baseline)
    if isinstance(after, DiagnosticSetting):
        return tuple(changes)  # its "tags" are its account's, compared there
    before_tags: Mapping[str, str] = before.tags
    for key, value in sorted(after.tags.items()):
        if before_tags.get(key) != value:
            changes.append(FieldChange(f"tags.{key}", before_tags.get(key), value))
    return tuple(changes)


def _baseline_changes(before: AccountBaseline | None, after: AccountBaseline | None) -> list[FieldChange]:
    """The account's network rules and identity, field by field; nothing when either side is unknown
    (a stamp account tenantctl writes as it always did, or an observed state saved without them)."""
    if before is None or after is None:
        return []
    pairs: list[tuple[str, object, object, object, object]] = [
        (
            "network.default_action",
            before.network_default_action,
            after.network_default_action,
            (before.network_default_action or "").lower(),
            (after.network_default_action or "").lower(),
        ),
        (
            "network.virtual_network_rules",
            before.virtual_network_rules,
            after.virtual_network_rules,
            sorted(r.lower() for r in before.virtual_network_rules),
            sorted(r.lower() for r in after.virtual_network_rules),
        ),
        ("identity", before.identity, after.identity, before.identity, after.identity),
    ]
    if after.network_bypass is not None:  # undeclared: Azure's default is left alone
        pairs.append(
            ("network.bypass", before.network_bypass, after.network_bypass, before.network_bypass, after.network_bypass)
        )
    return [FieldChange(name, old, new) for name, old, new, a, b in pairs if a != b]


def merged_tags(desired: Resource, observed: Resource) -> Resource:
    """``desired`` with tags tenantctl does not own kept from ``observed`` (a PUT replaces all tags)."""
    if isinstance(desired, DiagnosticSetting):
        return desired  # Azure keeps no tags on it
    tags = {**observed.tags, **desired.tags}
    return dataclasses.replace(desired, tags=tags)  # type: ignore[type-var]  # a union of dataclasses
