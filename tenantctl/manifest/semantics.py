"""Semantic checks: rules that relate parts of a structurally valid manifest to each other.

``check_manifest`` reports through a :class:`Reporter` and never raises.  This module holds the
tenant-level rules (which fields belong to which isolation model, stamp references, residency,
content filters, networks, tenant-provided accounts); naming and duplicate rules are in
:mod:`.names`, capacity, budgets and account limits in :mod:`.capacity`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tenantctl.manifest.capacity import check_capacity, check_sku_region
from tenantctl.manifest.compliance import check_compliance
from tenantctl.manifest.fine_tuned import check_fine_tuned
from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import LOCK_CONNECTION_STRING_ENV, Isolation, Manifest, Tenant
from tenantctl.manifest.names import check_names, check_tags
from tenantctl.manifest.pool import check_pool
from tenantctl.manifest.ptu import check_ptu
from tenantctl.manifest.regions import REGIONS, RESIDENCIES, region_satisfies
from tenantctl.manifest.report import Reporter, did_you_mean

if TYPE_CHECKING:
    from tenantctl.clouds import CloudDefinition

__all__ = ["allowed_keys", "check_manifest", "declared_cloud", "implied_cloud", "regions_outside_cloud"]

_CONTAINER_NAME = re.compile(r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_COMMON = {"isolation", "display_name", "protected", "tags"}
# Which tenant keys each isolation model uses; anything else set on the tenant is a mistake.
_ALLOWED: dict[Isolation, set[str]] = {
    Isolation.DEDICATED: {
        "location",
        "deployments",
        "content_filter",
        "network",
        "residency",
        "local_auth",
        "identity",
        "diagnostics",
        "max_key_age",
        "upgrade_policy",
        "subscription_id",
    },
    Isolation.DEDICATED_DEPLOYMENT: {"stamp", "deployments", "content_filter", "residency", "upgrade_policy"},
    Isolation.SHARED: {"stamp", "tpm", "shared_deployments", "stamp_account", "residency"},
    Isolation.TENANT_PROVIDED: {"directory", "resource_id", "expect_deployments", "residency", "cloud", "endpoint"},
}


def allowed_keys(isolation: Isolation) -> set[str]:
    """The tenant keys ``isolation`` uses (any other key set on such a tenant is a mistake)."""
    return _ALLOWED[isolation] | _COMMON


_REQUIRED: dict[Isolation, dict[str, str]] = {
    Isolation.DEDICATED: {},
    Isolation.DEDICATED_DEPLOYMENT: {
        "stamp": "the stamp it is placed on",
        "deployments": "its own deployments",
    },
    Isolation.SHARED: {"stamp": "the stamp it shares", "tpm": "its tokens-per-minute budget"},
    Isolation.TENANT_PROVIDED: {
        "directory": "the tenant's Entra tenant id",
        "resource_id": "the ARM id of the tenant's Azure OpenAI account",
    },
}
_BASE_POLICIES = ("Microsoft.Default", "Microsoft.DefaultV2")
# Azure IP rules match public client addresses only; private and loopback ranges never match.
_PRIVATE = tuple(
    ipaddress.IPv4Network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
)


def check_manifest(manifest: Manifest, report: Reporter, unchecked_stamps: frozenset[str] = frozenset()) -> None:
    """Report every semantic problem in ``manifest`` (whose parts have each been validated).

    ``unchecked_stamps`` are stamps that exist in the file but failed validation: references to
    them are not reported again.
    """
    _check_provider(manifest, report)
    _check_cloud_regions(manifest, report)
    check_names(manifest, report)
    check_capacity(manifest, report)
    check_fine_tuned(manifest, report)
    check_ptu(manifest, report)
    check_pool(manifest, report)
    needs_app = True
    for tenant_id, tenant in manifest.tenants.items():
        loc: Loc = ("tenants", tenant_id)
        _check_fields(tenant, loc, report)
        if tenant.stamp is not None and tenant.stamp not in manifest.stamps and tenant.stamp not in unchecked_stamps:
            report.error(
                "unknown-stamp",
                f"stamp {tenant.stamp!r} is not defined{did_you_mean(tenant.stamp, manifest.stamps)}",
                (*loc, "stamp"),
                detail=f"Defined stamps: {', '.join(sorted(manifest.stamps)) or 'none'}.",
            )
        if tenant.residency is not None:
            _check_residency(manifest, tenant_id, tenant, report)
        if tenant.content_filter is not None:
            _check_filter(tenant, loc, report)
        if tenant.network is not None:
            _check_network(tenant, loc, report)
        if tenant.isolation is Isolation.DEDICATED:  # elsewhere these keys are already misplaced
            check_compliance(manifest, tenant_id, tenant, report)
        if tenant.isolation is Isolation.TENANT_PROVIDED:
            _check_tenant_provided(manifest, tenant, loc, report, needs_app)
            _check_tenant_cloud(manifest, tenant, loc, report)
            needs_app = needs_app and manifest.provider.app is not None
        if tenant.tpm is not None and tenant.tpm <= 0:
            report.error(
                "invalid-value",
                f"tpm must be a positive number of tokens per minute, got {tenant.tpm}",
                (*loc, "tpm"),
            )
        if tenant.protected and tenant.isolation is Isolation.TENANT_PROVIDED:
            report.warning(
                "no-effect",
                "'protected' has no effect: tenantctl never deletes a tenant-provided account",
                (*loc, "protected"),
            )
        if tenant.isolation is Isolation.DEDICATED and not manifest.tenant_deployment_specs(tenant_id):
            report.warning(
                "no-deployments",
                "this dedicated tenant gets an account with no deployments",
                loc,
                detail="Add deployments to the tenant or to [defaults].",
            )


def declared_cloud(manifest: Manifest) -> str | None:
    """``[provider] cloud`` when the manifest sets it; None when it leaves the cloud to the command line,
    the environment or the az CLI (the field's default is then only a placeholder)."""
    return manifest.provider.cloud if "cloud" in manifest.provider.model_fields_set else None


def implied_cloud(manifest: Manifest) -> CloudDefinition:
    """The manifest's cloud: the declared one, else the one of the provider's default region."""
    from tenantctl.clouds import DEFAULT_CLOUD, known_cloud

    declared = declared_cloud(manifest)
    if declared is not None:
        return known_cloud(declared)
    region = REGIONS.get(manifest.provider.location)
    return known_cloud(region.cloud if region is not None else DEFAULT_CLOUD)


def regions_outside_cloud(manifest: Manifest, cloud: CloudDefinition) -> list[tuple[str, Loc]]:
    """The regions the provider deploys to that ``cloud`` does not have, with where each is written."""
    places: list[tuple[str | None, Loc]] = [(manifest.provider.location, ("provider", "location"))]
    places += [(stamp.location, ("stamps", sid, "location")) for sid, stamp in manifest.stamps.items()]
    places += [(tenant.location, ("tenants", tid, "location")) for tid, tenant in manifest.tenants.items()]
    return [(region, loc) for region, loc in places if region is not None and not cloud.has_region(region)]


def _check_cloud_regions(manifest: Manifest, report: Reporter) -> None:
    """Every region the provider deploys to must exist in the provider's cloud (an AzureUSGovernment
    subscription cannot create an account in swedencentral, nor an AzureCloud one in usgovvirginia).
    A manifest that declares no cloud is held to the cloud of its provider region; the cloud a command
    then talks to (--cloud, the environment) is checked against it when the session opens."""
    cloud = implied_cloud(manifest)
    for region, loc in regions_outside_cloud(manifest, cloud):
        report.error(
            "region-not-in-cloud",
            f"region {region!r} is not in the {cloud.name} cloud",
            loc,
            detail=f"Regions of {cloud.name}: {', '.join(sorted(cloud.regions))}.",
        )


def _check_provider(manifest: Manifest, report: Reporter) -> None:
    provider = manifest.provider
    app, lock = provider.app, provider.lock
    check_tags(provider.tags, ("provider", "tags"), report)
    if not provider.manifest_name or len(provider.manifest_name) > 256:
        report.error(
            "invalid-value",
            "manifest_name must be 1–256 characters (it is a tag value)",
            ("provider", "manifest_name"),
        )
    if app is not None and not app.redirect_uri.startswith(("https://", "http://localhost")):
        report.error(
            "invalid-value",
            "redirect_uri must be an https:// URL (or http://localhost for testing)",
            ("provider", "app", "redirect_uri"),
        )
    if lock is not None and lock.backend == "blob" and not lock.account_url:
        report.error(
            "missing-key",
            "the blob lock backend needs 'account_url' (https://<account>.blob.core.windows.net)",
            ("provider", "lock", "account_url"),
            detail=f"The lease is taken with az login / managed identity, or with the connection string in "
            f"{LOCK_CONNECTION_STRING_ENV} when that is set.",
        )
    if lock is not None and lock.account_url:
        _check_lock_account_url(lock.account_url, report)
    if lock is not None and lock.backend == "blob" and not _CONTAINER_NAME.fullmatch(lock.container):
        # Storage answers 400 OutOfRangeInput at apply time otherwise: say it now, with the rule.
        report.error(
            "invalid-value",
            f"container {lock.container!r} is not a valid blob container name",
            ("provider", "lock", "container"),
            detail="3–63 lower-case letters, digits and single hyphens, starting and ending with a letter or "
            "digit (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).",
        )


def _check_lock_account_url(url: str, report: Reporter) -> None:
    """https for a storage account; plain http only for a local emulator (Azurite) on this machine, where
    nothing crosses a network: over any other http, the lease requests and their key would travel in clear."""
    loc = ("provider", "lock", "account_url")
    parsed = urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and parsed.hostname:
        if is_loopback_host(parsed.hostname):
            return
        report.error(
            "invalid-value",
            f"account_url {url!r} is plain http on {parsed.hostname}, which is not this machine",
            loc,
            detail="http is accepted only for a local storage emulator (Azurite) on localhost/127.0.0.1/[::1]; "
            "use https://<account>.blob.core.windows.net for a storage account.",
        )
        return
    report.error(
        "invalid-value",
        f"account_url {url!r} is not an https:// URL",
        loc,
        detail="e.g. https://<account>.blob.core.windows.net, or http://127.0.0.1:10000/devstoreaccount1 "
        "for a local Azurite.",
    )


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_fields(tenant: Tenant, loc: Loc, report: Reporter) -> None:
    isolation = tenant.isolation
    allowed = _ALLOWED[isolation] | _COMMON
    for key in sorted(tenant.model_fields_set - allowed):
        owners = [i.value for i, keys in _ALLOWED.items() if key in keys]
        report.error(
            "isolation-field",
            f"{key!r} does not apply to a {isolation.value} tenant",
            (*loc, key),
            detail=f"{key!r} is used by {' and '.join(owners)} tenants; remove it or change 'isolation'.",
        )
    for key, meaning in _REQUIRED[isolation].items():
        if not getattr(tenant, key):
            report.error("missing-key", f"a {isolation.value} tenant needs {key!r} ({meaning})", (*loc, key))


def _check_residency(manifest: Manifest, tenant_id: str, tenant: Tenant, report: Reporter) -> None:
    loc: Loc = ("tenants", tenant_id, "residency")
    residency = tenant.residency or ""
    if residency not in RESIDENCIES:
        report.error(
            "residency",
            f"unknown residency {residency!r}{did_you_mean(residency, RESIDENCIES)}",
            loc,
            detail=f"Known geographies: {', '.join(sorted(RESIDENCIES))}.",
        )
        return
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        report.warning("residency", "residency of a tenant-provided account is the tenant's to keep; not checked", loc)
        return
    region = REGIONS.get(manifest.tenant_location(tenant_id))
    if region is None:
        return  # unknown location or stamp: reported elsewhere
    if not region_satisfies(region, residency):
        report.error(
            "residency",
            f"residency {residency!r} but the tenant is served from {region.name} ({region.country})",
            loc,
            detail="Choose a location (or a stamp) inside the residency geography.",
        )
        return
    if tenant.isolation is Isolation.SHARED and tenant.stamp in manifest.stamps:
        wanted = set(tenant.shared_deployments)
        for index, spec in enumerate(manifest.stamps[tenant.stamp].deployments):
            if spec.sku and (not wanted or spec.name in wanted):
                problem = check_sku_region(spec.sku, region, residency)
                if problem:
                    report.error(
                        "residency",
                        f"stamp deployment {spec.name!r}: {problem}",
                        loc,
                        detail=f"See stamps.{tenant.stamp}.deployments[{index}].sku; limit "
                        "'shared_deployments' to in-geography deployments or pick another stamp.",
                    )
        return
    specs = manifest.tenant_deployment_specs(tenant_id)
    for index, spec in enumerate(specs):
        resolved = manifest.resolve(spec)
        problem = check_sku_region(resolved.sku, region, residency) if resolved else None
        if problem:
            if ("tenants", tenant_id, "deployments") in report.muted:
                break  # its deployments are malformed: checking the [defaults] in their place blames the wrong thing
            where: Loc = ("tenants", tenant_id, "deployments", index) if tenant.deployments else loc
            report.error("residency", f"deployment {spec.name!r}: {problem}", (*where, "sku") if spec.sku else where)


def _check_filter(tenant: Tenant, loc: Loc, report: Reporter) -> None:
    content_filter = tenant.content_filter
    assert content_filter is not None
    if content_filter.base not in _BASE_POLICIES:
        report.warning(
            "unknown-policy",
            f"base policy {content_filter.base!r} is not a Microsoft policy"
            f"{did_you_mean(content_filter.base, _BASE_POLICIES)}",
            (*loc, "content_filter", "base"),
            detail="It must already exist on every account the tenant uses.",
        )
    seen: set[str] = set()
    for index, term in enumerate(content_filter.blocklist):
        if not term.strip() or len(term) > 1000:
            report.error(
                "invalid-value",
                "blocklist terms must be 1–1000 characters",
                (*loc, "content_filter", "blocklist", index),
            )
        elif term.lower() in seen:
            report.warning(
                "duplicate-name",
                f"blocklist term {term!r} is listed twice",
                (*loc, "content_filter", "blocklist", index),
            )
        seen.add(term.lower())


def _check_network(tenant: Tenant, loc: Loc, report: Reporter) -> None:
    network = tenant.network
    assert network is not None
    if not network.public_access and network.allowed_ips:
        report.warning(
            "no-effect",
            "allowed_ips have no effect while public_access = false",
            (*loc, "network", "allowed_ips"),
        )
    for index, rule in enumerate(network.allowed_ips):
        if any(ipaddress.IPv4Network(rule).subnet_of(net) for net in _PRIVATE):
            report.warning(
                "invalid-value",
                f"{rule} is not a public address; Azure IP rules only match public IPs",
                (*loc, "network", "allowed_ips", index),
            )


def _check_tenant_cloud(manifest: Manifest, tenant: Tenant, loc: Loc, report: Reporter) -> None:
    """A tenant-provided directory and account must be in the provider's cloud: the multi-tenant app
    signs in at the provider's cloud's Entra host, which knows no directory of another cloud, and the
    gateway's tokens are for that cloud's Cognitive Services only."""
    from tenantctl.clouds import KNOWN_CLOUDS

    provider = implied_cloud(manifest)
    if tenant.cloud is not None:
        named = next((c for c in KNOWN_CLOUDS.values() if c.name.lower() == tenant.cloud.strip().lower()), None)
        if named is None:
            report.error(
                "unknown-cloud",
                f"unknown Azure cloud {tenant.cloud!r}; known clouds: {', '.join(KNOWN_CLOUDS)}",
                (*loc, "cloud"),
            )
        elif named.name != provider.name:
            report.error(
                "tenant-cloud-mismatch",
                f"tenant {loc[1]!r} is in {named.name} but the provider is in {provider.name}",
                (*loc, "cloud"),
                detail="The provider's multi-tenant app signs in to directories of its own cloud only: serve this "
                "tenant from a provider manifest in its cloud.",
            )
    if tenant.endpoint is None:
        return
    parts = urlsplit(tenant.endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        report.error("invalid-value", f"endpoint {tenant.endpoint!r} is not an https:// URL", (*loc, "endpoint"))
        return
    for cloud in KNOWN_CLOUDS.values():
        if cloud.name != provider.name and any(host.endswith("." + suffix) for suffix in cloud.account_suffixes):
            report.error(
                "tenant-cloud-mismatch",
                f"tenant {loc[1]!r}: endpoint {tenant.endpoint} is in {cloud.name} but the provider is in "
                f"{provider.name}",
                (*loc, "endpoint"),
                detail=f"Endpoints of {provider.name} end in .{provider.openai_suffix}; the provider's app cannot "
                "sign in to another cloud's directory.",
            )


def _check_tenant_provided(manifest: Manifest, tenant: Tenant, loc: Loc, report: Reporter, first: bool) -> None:
    app = manifest.provider.app
    if app is None and first:
        report.error(
            "missing-key",
            "tenant-provided tenants need [provider.app], the multi-tenant Entra app that reaches their accounts",
            ("provider", "app"),
            detail=f"First needed by {loc[1]!r}.",
        )
    if app is not None and tenant.directory == app.home_directory:
        report.warning(
            "suspicious",
            "directory is the provider's own Entra tenant; a tenant-provided account "
            "normally lives in the tenant's directory",
            (*loc, "directory"),
        )
    if tenant.resource_id and f"/subscriptions/{manifest.provider.subscription_id}/" in tenant.resource_id.lower():
        report.warning(
            "suspicious",
            "resource_id is in the provider's subscription; is this tenant really tenant-provided?",
            (*loc, "resource_id"),
        )
