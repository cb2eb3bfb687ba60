"""The records ``inspect`` shows and their JSON form (``tenantctl inspect <tenant> -o json``).

``data`` schema of the envelope (stable; new keys may be added, none removed without bumping the
envelope version)::

    {
      "tenant": str, "display_name": str|null, "isolation": "dedicated"|"dedicated-deployment"|
                  "shared"|"tenant-provided",
      "protected": bool, "residency": str|null,
      "state": "in sync"|"drift"|"missing"|"error"|"unverified",
      "placement": {"subscription_id": str|null, "resource_group": str|null, "account": str|null,
                    "region": str|null, "stamp": str|null, "resource_id": str|null,
                    "exists": bool},
      "endpoint": str|null,
      "deployments": [{"name": str, "azure_name": str, "model": str, "version": str, "sku": str,
                       "capacity": int, "unit": "TPM"|"PTU", "tpm": int|null, "ptu": int|null,
                       "rai_policy": str|null, "provisioning_state": str|null (null = not in Azure),
                       "version_upgrade_option": str, "deprecation": "YYYY-MM-DD"|null,
                       "days_to_retirement": int|null, "retiring_soon": bool,
                       "in_manifest": bool, "shared": bool, "managed": bool,
                       "fate": null|"deleted-by-apply"|"kept-pruning-disabled"|"kept-protected"|
                               "kept-holds-foreign"|"never-deleted-not-ours"}],
                      (``managed``: tagged for this manifest; ``fate``: what apply does with a
                       deployment the manifest does not name, null for those it names)
      "budget": null | {"tpm": int, "stamp": str, "overcommit": float, "account": str|null,
                        "deployments": [{"name": str, "capacity_tpm": int|null, "allowed_tpm": float|null,
                                         "share": float|null, "stamp_budgets_tpm": int,
                                         "stamp_utilisation": float|null}]},
      "content_filter": null | {"policy": str, "base": str, "severity": str, "in_azure": bool,
                                "blocklists": [{"name": str, "terms": [str]}],
                                "terms_source": "manifest"|"azure"},
      "network": null | {"public_access": bool, "allowed_ips": [str], "in_azure": bool},
                 (for stamp tenants: the stamp account's rules; null for tenant-provided)
      "baseline": null (not dedicated) | {"in_azure": bool, "local_auth": bool, "identity": str,
                  "network": {"default_action": str|null, "virtual_network_rules": [str], "bypass": str|null},
                  "private_endpoints": [{"name", "subnet_id", "location", "dns_zone_ids": [str],
                                         "status": str|null}],
                  "diagnostics": null | {"workspace_id": str, "categories": [str]}},
      "role_assignments": null (not read) | [{"role": str, "role_definition_id": str,
                                               "principal_id": str, "principal_type": str, "scope": str}],
      "verification": null | {"available": false, "reason": str} | {"available": true, ...ByoReport.to_json()},
      "drift": [{"address": str, "kind": str, "action": str ("keep" for a kept orphan), "reason": str,
                 "outage": str|null, "fate": null|str (orphans: as deployments' fate),
                 "fields": [{"name": str, "manifest": any, "azure": any, "forces_replace": bool}]}],
      "in_manifest": bool (false: a tenant removed from the manifest whose resources Azure holds),
      "tags": {"manifest": {str: str}, "azure": {str: str}|null},
      "soft_deleted": null (not read) | [{"name": str, "resource_id": str, "location": str,
                                          "deletion_date": str|null, "scheduled_purge_date": str|null}],
      "today": "YYYY-MM-DD"
    }

Capacity: ``capacity`` is Azure's unit; ``tpm`` = capacity × 1,000 for Standard-family SKUs,
``ptu`` = capacity for provisioned SKUs.  ``share`` is budget / (capacity × overcommit).  A shared
tenant's budget is carried by its stamp account (``budget.account``, the account routing sends it
to): ``capacity_tpm`` is one account's copy and ``stamp_budgets_tpm`` the budgets of the tenants on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from tenantctl.inspection.baseline import BaselineView, baseline_json
from tenantctl.planning.retirement import RETIREMENT_WARNING_DAYS  # re-exported: inspect's threshold

__all__ = [
    "FATE_TEXT",
    "NOT_OURS",
    "RETIREMENT_WARNING_DAYS",
    "RETIRE_PENDING_FATE",
    "BudgetLine",
    "BudgetView",
    "DeploymentView",
    "DriftField",
    "DriftView",
    "FilterView",
    "LeftoverView",
    "NetworkView",
    "Placement",
    "RoleView",
    "TenantReport",
]

# A deployment tenantctl does not own (untagged, made by hand, or another manifest's) is never deleted.
NOT_OURS = "never-deleted-not-ours"
# The old deployment of one whose model or SKU changed: serves until its successor is live (successors.py).
RETIRE_PENDING_FATE = "retire-pending"
# Each ``fate`` in words (the OrphanFate values, and NOT_OURS).
FATE_TEXT = {
    "deleted-by-apply": "tenantctl's, not in the manifest: deleted by apply (--prune)",
    "kept-pruning-disabled": "tenantctl's, not in the manifest: deleted by apply --prune",
    "kept-protected": "tenantctl's, not in the manifest: kept, protected",
    "kept-holds-foreign": "tenantctl's, not in the manifest: kept, holds resources not ours",
    NOT_OURS: "not tenantctl's (untagged or hand-made): never deleted",
    RETIRE_PENDING_FATE: "replaced by a successor (model or SKU change): deleted by apply --retire once it is live",
}


@dataclass(frozen=True)
class Placement:
    """Where the tenant's resources live (or are meant to, when ``exists`` is false)."""

    subscription_id: str | None = None
    resource_group: str | None = None
    account: str | None = None
    region: str | None = None
    stamp: str | None = None
    resource_id: str | None = None
    exists: bool = False


@dataclass(frozen=True)
class DeploymentView:
    name: str  # the manifest's name (without the tenant prefix on stamps)
    azure_name: str
    model: str
    version: str
    sku: str
    capacity: int
    unit: str  # TPM | PTU
    tpm: int | None
    ptu: int | None
    rai_policy: str | None
    provisioning_state: str | None  # None: not in Azure
    version_upgrade_option: str
    deprecation: date | None
    days_to_retirement: int | None
    retiring_soon: bool
    in_manifest: bool
    shared: bool = False
    # Not in the manifest: whether tenantctl owns it (tagged for this manifest) and what apply does with it.
    managed: bool = True
    fate: str | None = None


@dataclass(frozen=True)
class BudgetLine:
    name: str
    capacity_tpm: int | None  # None for PTU deployments (no fixed TPM) or unknown names
    allowed_tpm: float | None
    share: float | None
    stamp_budgets_tpm: int
    stamp_utilisation: float | None


@dataclass(frozen=True)
class BudgetView:
    tpm: int
    stamp: str
    overcommit: float
    deployments: tuple[BudgetLine, ...]
    account: str | None = None  # the stamp account the tenant lives on (its budget is carried there)


@dataclass(frozen=True)
class FilterView:
    policy: str
    base: str
    severity: str
    in_azure: bool
    blocklists: tuple[tuple[str, tuple[str, ...]], ...] = ()
    terms_read: bool = False  # False: terms are the manifest's (inspect does not read blocklist items)


@dataclass(frozen=True)
class NetworkView:
    public_access: bool
    allowed_ips: tuple[str, ...]
    in_azure: bool


@dataclass(frozen=True)
class RoleView:
    role: str
    role_definition_id: str
    principal_id: str
    principal_type: str
    scope: str


@dataclass(frozen=True)
class DriftField:
    name: str
    manifest: object
    azure: object
    forces_replace: bool = False


@dataclass(frozen=True)
class DriftView:
    address: str
    kind: str
    action: str
    symbol: str
    reason: str
    outage: str | None
    fields: tuple[DriftField, ...] = ()
    fate: str | None = None  # orphans only: an OrphanFate value

    def to_json(self) -> dict[str, Any]:
        return _drift_json(self)


@dataclass(frozen=True)
class LeftoverView:
    name: str
    resource_id: str
    location: str
    deletion_date: str | None
    scheduled_purge_date: str | None


@dataclass(frozen=True)
class TenantReport:
    """Everything ``inspect`` shows about one tenant; built by :func:`tenantctl.inspection.build_report`."""

    tenant: str
    display_name: str | None
    isolation: str
    protected: bool
    residency: str | None
    state: str
    placement: Placement
    endpoint: str | None
    deployments: tuple[DeploymentView, ...]
    today: date
    budget: BudgetView | None = None
    content_filter: FilterView | None = None
    network: NetworkView | None = None
    baseline: BaselineView | None = None
    role_assignments: tuple[RoleView, ...] | None = None
    verification: Mapping[str, Any] | None = None
    drift: tuple[DriftView, ...] = ()
    manifest_tags: Mapping[str, str] = field(default_factory=dict)
    azure_tags: Mapping[str, str] | None = None
    soft_deleted: tuple[LeftoverView, ...] | None = None
    in_manifest: bool = True

    def to_json(self) -> dict[str, Any]:
        """The documented ``data`` of ``inspect -o json`` (module docstring)."""
        deployments = []
        for d in self.deployments:
            row = asdict(d)
            row["deprecation"] = d.deprecation.isoformat() if d.deprecation else None
            deployments.append(row)
        cf = None
        if self.content_filter is not None:
            f = self.content_filter
            cf = {
                "policy": f.policy,
                "base": f.base,
                "severity": f.severity,
                "in_azure": f.in_azure,
                "blocklists": [{"name": n, "terms": list(t)} for n, t in f.blocklists],
                "terms_source": "azure" if f.terms_read else "manifest",
            }
        return {
            "tenant": self.tenant,
            "display_name": self.display_name,
            "isolation": self.isolation,
            "protected": self.protected,
            "residency": self.residency,
            "state": self.state,
            "placement": asdict(self.placement),
            "endpoint": self.endpoint,
            "deployments": deployments,
            "budget": _budget_json(self.budget),
            "content_filter": cf,
            "network": None
            if self.network is None
            else {**asdict(self.network), "allowed_ips": list(self.network.allowed_ips)},
            "baseline": baseline_json(self.baseline),
            "role_assignments": None if self.role_assignments is None else [asdict(r) for r in self.role_assignments],
            "verification": None if self.verification is None else dict(self.verification),
            "drift": [_drift_json(d) for d in self.drift],
            "tags": {
                "manifest": dict(sorted(self.manifest_tags.items())),
                "azure": None if self.azure_tags is None else dict(sorted(self.azure_tags.items())),
            },
            "soft_deleted": None if self.soft_deleted is None else [asdict(s) for s in self.soft_deleted],
            "in_manifest": self.in_manifest,
            "today": self.today.isoformat(),
        }


def _budget_json(budget: BudgetView | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {
        "tpm": budget.tpm,
        "stamp": budget.stamp,
        "overcommit": budget.overcommit,
        "account": budget.account,
        "deployments": [asdict(line) for line in budget.deployments],
    }


def _drift_json(d: DriftView) -> dict[str, Any]:
    return {
        "address": d.address,
        "kind": d.kind,
        "action": d.action,
        "reason": d.reason,
        "outage": d.outage,
        "fate": d.fate,
        "fields": [
            {
                "name": f.name,
                "manifest": _plain(f.manifest),
                "azure": _plain(f.azure),
                "forces_replace": f.forces_replace,
            }
            for f in d.fields
        ],
    }


def _plain(value: object) -> object:
    """Field values as JSON: tuples become lists, mappings sorted dicts, the rest as is or str."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
