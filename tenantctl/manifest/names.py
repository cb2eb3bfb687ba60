"""Naming rules: tenant and stamp ids, the Azure names built from them, duplicates, tags.

Every name tenantctl will create is built with :mod:`tenantctl.naming` and checked with the same
module's validators, so planning can never produce a name Azure rejects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tenantctl import naming
from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import DeploymentSpec, Isolation, Manifest
from tenantctl.manifest.report import Reporter

__all__ = ["ID_RULE", "check_id", "check_names", "check_tags"]

_ID_RE = re.compile(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*")
ID_RULE = "lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen"
_TAG_KEY_FORBIDDEN = set("<>%&\\?/")


def check_id(kind: str, value: str, low: int, high: int) -> str | None:
    """Why ``value`` cannot be a tenant or stamp id (it goes into resource names), else None."""
    if not low <= len(value) <= high:
        return f"{kind} id {value!r} must be {low}–{high} characters ({ID_RULE})"
    if not _ID_RE.fullmatch(value):
        return f"{kind} id {value!r} must be {ID_RULE}"
    return None


def check_names(manifest: Manifest, report: Reporter) -> None:
    """Ids, generated Azure names, and names that would collide."""
    prefix = manifest.provider.name_prefix
    accounts: dict[str, str] = {}  # lower-cased account name → who owns it
    _deployment_names(manifest.defaults.deployments, ("defaults", "deployments"), report)
    for stamp_id, stamp in manifest.stamps.items():
        problem = check_id("stamp", stamp_id, 2, 12)
        if problem:
            report.error("invalid-name", problem, ("stamps", stamp_id))
            continue
        _deployment_names(stamp.deployments, ("stamps", stamp_id, "deployments"), report)
        for number in range(1, stamp.max_accounts + 1):
            account = naming.stamp_account_name(prefix, stamp_id, number)
            _account(account, ("stamps", stamp_id), report)
            accounts.setdefault(account.lower(), f"stamp {stamp_id!r}")
        if stamp.resource_group:
            _resource_group(stamp.resource_group, ("stamps", stamp_id, "resource_group"), report)
    _resource_group(manifest.provider.resource_group, ("provider", "resource_group"), report)
    resource_ids: dict[str, str] = {}
    for tenant_id in manifest.tenants:
        _check_tenant(manifest, tenant_id, accounts, resource_ids, report)


def _check_tenant(
    manifest: Manifest,
    tenant_id: str,
    accounts: dict[str, str],
    resource_ids: dict[str, str],
    report: Reporter,
) -> None:
    prefix = manifest.provider.name_prefix
    tenant = manifest.tenants[tenant_id]
    loc: Loc = ("tenants", tenant_id)
    check_tags(tenant.tags, (*loc, "tags"), report)
    problem = check_id("tenant", tenant_id, 2, 24)
    if problem:
        report.error(
            "invalid-name",
            problem,
            loc,
            detail="The id becomes part of Azure account, subdomain, deployment and policy names.",
        )
        return
    for name in (naming.rai_policy_name(tenant_id), naming.blocklist_name(tenant_id)):
        problem = naming.check_rai_name(name)
        if problem:
            report.error("invalid-name", problem, loc)
    _deployment_names(tenant.deployments, (*loc, "deployments"), report)
    for index, name in enumerate(tenant.expect_deployments):
        problem = naming.check_deployment_name(name)
        if problem:
            report.error("invalid-name", problem, (*loc, "expect_deployments", index))
    if tenant.isolation is Isolation.DEDICATED:
        account = naming.dedicated_account_name(prefix, tenant_id)
        _account(account, loc, report)
        owner = accounts.setdefault(account.lower(), f"tenant {tenant_id!r}")
        if owner != f"tenant {tenant_id!r}":
            report.error(
                "duplicate-name",
                f"account name {account!r} is also used by {owner}",
                loc,
                detail="Account names and custom subdomains must be unique; rename the tenant.",
            )
    elif tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
        _tenant_deployments(manifest, tenant_id, report)
    elif tenant.isolation is Isolation.TENANT_PROVIDED and tenant.resource_id:
        key = tenant.resource_id.lower().rstrip("/")
        other = resource_ids.setdefault(key, tenant_id)
        if other != tenant_id:
            report.error("duplicate-name", f"resource_id is also used by tenant {other!r}", (*loc, "resource_id"))


def _tenant_deployments(manifest: Manifest, tenant_id: str, report: Reporter) -> None:
    tenant = manifest.tenants[tenant_id]
    stamp = manifest.stamps.get(tenant.stamp or "")
    shared = {spec.name.lower() for spec in stamp.deployments} if stamp else set()
    for index, spec in enumerate(tenant.deployments):
        full = naming.tenant_deployment_name(tenant_id, spec.name)
        where: Loc = ("tenants", tenant_id, "deployments", index, "name")
        problem = naming.check_deployment_name(full)
        if problem:
            report.error("invalid-name", f"on the stamp this becomes {full!r}: {problem}", where)
        if full.lower() in shared:
            report.error("duplicate-name", f"{full!r} is also a shared deployment of stamp {tenant.stamp!r}", where)


def _deployment_names(specs: Iterable[DeploymentSpec], loc: Loc, report: Reporter) -> None:
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        problem = naming.check_deployment_name(spec.name)
        if problem:
            report.error("invalid-name", problem, (*loc, index, "name"))
        if spec.name.lower() in seen:
            report.error("duplicate-name", f"deployment name {spec.name!r} is used twice", (*loc, index, "name"))
        seen.add(spec.name.lower())


def _account(account: str, loc: Loc, report: Reporter) -> None:
    problem = naming.check_account_name(account) or naming.check_subdomain(naming.custom_subdomain(account))
    if problem:
        report.error("invalid-name", problem, loc)


def _resource_group(name: str, loc: Loc, report: Reporter) -> None:
    problem = naming.check_resource_group(name)
    if problem:
        report.error("invalid-name", problem, loc)


def check_tags(tags: dict[str, str], loc: Loc, report: Reporter) -> None:
    """Azure tag rules, and no overriding of tenantctl's ownership tags."""
    if len(tags) > 50 - len(naming.RESERVED_TAG_KEYS):
        report.error(
            "invalid-value",
            f"{len(tags)} tags; Azure allows 50 per resource and tenantctl uses {len(naming.RESERVED_TAG_KEYS)}",
            loc,
        )
    for key, value in tags.items():
        # every tenantctl-* key is reserved, including ones planning adds (tenantctl-protected)
        if key.lower() in naming.RESERVED_TAG_KEYS or key.lower().startswith("tenantctl-"):
            report.error("invalid-value", f"tag {key!r} is reserved for tenantctl's ownership tags", (*loc, key))
        elif not key or len(key) > 512 or _TAG_KEY_FORBIDDEN & set(key):
            report.error(
                "invalid-value",
                f"tag key {key!r} must be 1–512 characters without < > % & \\ ? /",
                (*loc, key),
            )
        if len(value) > 256:
            report.error("invalid-value", f"tag {key!r} has a value longer than 256 characters", (*loc, key))
