"""Semantic checks of a dedicated tenant's compliance baseline: private endpoints, network rules, local
(key) authentication with its Key Vault, and diagnostic settings.

The rules follow what Azure enforces, so a mistake is reported by ``validate`` instead of by a failed apply:
a private endpoint lives in the subscription of its virtual network (Learn "What is a private endpoint?");
an account's keys are kept only in a Key Vault the provider declares; IP rules only restrict when the
firewall's default action is Deny.
"""

from __future__ import annotations

from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import Manifest, Tenant
from tenantctl.manifest.report import Reporter

__all__ = ["check_compliance"]


def _subscription_of(resource_id: str) -> str:
    return resource_id.strip("/").split("/")[1].lower()


def check_compliance(manifest: Manifest, tenant_id: str, tenant: Tenant, report: Reporter) -> None:
    """Report the baseline problems of one tenant (whose fields each passed the model's checks)."""
    loc: Loc = ("tenants", tenant_id)
    if tenant.local_auth and manifest.provider.key_vault is None:
        report.error(
            "missing-key",
            "local_auth = true needs [provider.key_vault]: the account keys are kept only in a Key Vault",
            (*loc, "local_auth"),
            detail='Declare [provider.key_vault] id = "/subscriptions/…/providers/Microsoft.KeyVault/vaults/…", '
            "or keep local_auth = false (Entra ID only).",
        )
    if tenant.max_key_age is not None and not tenant.local_auth:
        report.warning(
            "no-effect",
            "max_key_age has no effect while local_auth = false (the account has no usable keys)",
            (*loc, "max_key_age"),
        )
    if tenant.diagnostics is not None:
        seen: set[str] = set()
        for index, category in enumerate(tenant.diagnostics.categories):
            if category in seen:
                report.warning(
                    "duplicate-name",
                    f"category {category!r} is listed twice",
                    (*loc, "diagnostics", "categories", index),
                )
            seen.add(category)
    if tenant.network is not None:
        _check_network(manifest, tenant, loc, report)


def _check_network(manifest: Manifest, tenant: Tenant, loc: Loc, report: Reporter) -> None:
    network = tenant.network
    assert network is not None
    if network.default_action == "Allow" and (network.allowed_ips or network.virtual_network_rules):
        report.warning(
            "no-effect",
            'with default_action = "Allow" every address gets in; the IP and virtual network rules restrict nothing',
            (*loc, "network", "default_action"),
        )
    subscription = manifest.provider.subscription_id.lower()
    subnets: dict[str, int] = {}
    for index, endpoint in enumerate(network.private_endpoints):
        where = (*loc, "network", "private_endpoints", index)
        # tenantctl creates a dedicated tenant's endpoints next to its account, in the provider's
        # subscription; Azure wants an endpoint in the subscription of its virtual network.
        if _subscription_of(endpoint.subnet_id) != subscription:
            report.error(
                "invalid-value",
                "the subnet is in another subscription than the account; a private endpoint must be in the "
                "subscription of its virtual network",
                (*where, "subnet_id"),
                detail=f"The tenant's endpoints are created in the provider subscription {subscription}.",
            )
        key = endpoint.subnet_id.lower()
        if key in subnets:
            report.error(
                "duplicate-name",
                f"private endpoints {subnets[key]} and {index} use the same subnet; one endpoint per subnet is enough",
                (*where, "subnet_id"),
            )
        subnets.setdefault(key, index)
        _check_zone(manifest, endpoint.dns_zone_id, where, report)


def _check_zone(manifest: Manifest, zone_id: str | None, where: Loc, report: Reporter) -> None:
    """The account's name resolves to the endpoint only through the cloud's privatelink zone: an
    AzureUSGovernment account in ``privatelink.openai.azure.us``; a record in another cloud's zone is
    never looked up."""
    from tenantctl.clouds import KNOWN_CLOUDS
    from tenantctl.manifest.semantics import implied_cloud  # semantics calls this module: import late

    cloud = implied_cloud(manifest)
    zones = cloud.private_dns_zones
    if zone_id is None:
        report.warning(
            "no-effect",
            "this private endpoint has no dns_zone_id: clients keep resolving the account's name to its public "
            "address, so calls do not go through the endpoint",
            where,
            detail=f"Set dns_zone_id to the id of your {zones[0]} private DNS zone (Learn: Azure Private Endpoint "
            "DNS configuration), or manage the DNS records yourself.",
        )
        return
    name = zone_id.rstrip("/").rsplit("/", 1)[-1].lower()
    if name in zones:
        return
    owner = next((c.name for c in KNOWN_CLOUDS.values() if name in c.private_dns_zones), None)
    if owner is not None:
        report.error(
            "dns-zone-not-in-cloud",
            f"private DNS zone {name} is {owner}'s, but the provider is in {cloud.name}",
            (*where, "dns_zone_id"),
            detail=f"Zones of {cloud.name}: {', '.join(zones)}.",
        )
        return
    report.error(
        "invalid-value",
        f"the private DNS zone {name!r} is not one Azure OpenAI uses in {cloud.name}",
        (*where, "dns_zone_id"),
        detail=f"Use the {' or '.join(zones)} zone: the account's private address is registered there.",
    )
