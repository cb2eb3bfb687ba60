"""The routing table the provider's gateway needs: per tenant, where to send its calls (pure).

Built from the manifest and its desired state, and — when Azure (or the emulator) was observed —
from the observed endpoints and provisioning states.  Without observation every endpoint is derived
from names (``https://{custom subdomain}.openai.azure.com/``, the subdomain being the account name
lower-cased, which is how tenantctl creates accounts) and ``ready`` is ``null``.

The make-before-break rule of a migration (:mod:`tenantctl.planning.migration`) lives here too: a
tenant routes to its *target* (the resources its declared model needs) only once they exist and
are Succeeded; until then it keeps its *previous* route (its old generation, when that is
Succeeded), or, for a tenant with a stamp whose own resources are not live yet, the stamp's shared
deployments (``shared-fallback``: the route a shared tenant had before it got its own deployments).

JSON schema (``routing_to_json``; ``tenantctl export routing -o json`` puts it in ``data``)::

    {
      "schema": 1,
      "manifest": "<provider.manifest_name>",
      "source": "manifest" | "observed",      # derived from names, or read from Azure
      "tenants": {
        "<tenant id>": {
          "isolation": "dedicated" | "dedicated-deployment" | "shared" | "tenant-provided",  # declared
          "live": "target" | "previous" | "shared-fallback",   # which route below is in force
          "via": "<isolation model of the live route>",
          "endpoint": "https://<subdomain>.openai.azure.com/" | null,
          "account_id": "/subscriptions/.../accounts/<name>" | null,
          "deployments": {"<logical model>": "<Azure deployment name>", ...},
          "auth": {"mode": "entra-id", "credential": "managed-identity",
                   "scope": "https://cognitiveservices.azure.com/.default"}
                | {"mode": "entra-id-multitenant-app", "client_id": "<provider app>",
                   "directory": "<tenant's Entra tenant id>", "scope": "..."},
          "tpm": <int> | null,     # gateway budget: shared tpm; dedicated-deployment capacity x 1,000
          "ready": true | false | null,   # the live route exists and is Succeeded (null: not observed)
          "migration": null | {
            "from": "<previous model>", "to": "<declared model>",
            "phase": 1 | 2,          # 1: target not live yet; 2: routed to target, old one not retired
            "target": {"endpoint", "account_id", "deployments", "ready"}
          }
        }
      }
    }

A route never names another tenant's dedicated account or deployment: dedicated routes name the
tenant's own account, dedicated-deployment routes only ``<tenant>--<name>`` deployments, shared
routes only the stamp's shared deployments, and a tenant-provided endpoint that would coincide with
a provider account's subdomain is withheld (``endpoint: null``, ``ready: false``).

APIM form (``routing_to_apim``, ``export routing --format apim``): one policy ``<fragment>`` per
tenant, to be included in the inbound section for that tenant's calls (select it by APIM
subscription or a tenant header):

* ``<azure-openai-token-limit counter-key="<tenant>" tokens-per-minute="<tpm>"
  estimate-prompt-tokens="false" remaining-tokens-header-name="..." />`` when the tenant has a
  budget.  ``counter-key`` and ``tokens-per-minute`` are required attributes, and so is
  ``estimate-prompt-tokens``
  (https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy).  Counters are
  kept per gateway and can be exceeded briefly under concurrency (research/peers.md §4).
* ``<set-variable name="deployment-<logical>" value="<Azure deployment name>" />`` per model, for
  the API's rewrite of ``/deployments/{deployment-id}/``.
* ``<authentication-managed-identity resource="https://cognitiveservices.azure.com" />`` for
  provider accounts (tenant-provided accounts need the multi-tenant app's token: a comment says so).
* ``<set-backend-service base-url="<endpoint>openai" />``
  (https://learn.microsoft.com/azure/api-management/set-backend-service-policy: ``base-url`` or
  ``backend-id``); a tenant with no live endpoint gets a 503 ``return-response`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from tenantctl import naming
from tenantctl.desired import DesiredState
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation, Manifest
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.migration import OldGeneration, old_generations, target_ready
from tenantctl.resources import Account, AccountRef, Deployment

__all__ = [
    "COGNITIVE_SCOPE",
    "Route",
    "RoutingEntry",
    "RoutingTable",
    "build_routing",
    "routing_for",
    "routing_to_apim",
    "routing_to_json",
]

ROUTING_SCHEMA = 1
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


@dataclass(frozen=True)
class Route:
    """Where calls go: one endpoint, a deployment per logical model, and whether Azure says it is live."""

    via: str
    endpoint: str | None
    account_id: str | None
    deployments: Mapping[str, str] = field(default_factory=dict)
    ready: bool | None = None


@dataclass(frozen=True)
class RoutingEntry:
    tenant: str
    isolation: str
    live: str  # "target" | "previous" | "shared-fallback"
    route: Route
    auth: Mapping[str, str]
    tpm: int | None
    migration: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RoutingTable:
    manifest_name: str
    source: str  # "manifest" | "observed"
    entries: tuple[RoutingEntry, ...]

    def by_tenant(self) -> dict[str, RoutingEntry]:
        return {e.tenant: e for e in self.entries}


def _derived_endpoint(account_name: str) -> str:
    return f"https://{naming.custom_subdomain(account_name)}.openai.azure.com/"


def _endpoint(ref: AccountRef, observed: ObservedState | None) -> str:
    account = observed.accounts.get(ref.key) if observed is not None else None
    if account is not None and account.endpoint:
        return account.endpoint
    if account is not None and account.custom_subdomain:
        return f"https://{account.custom_subdomain}.openai.azure.com/"
    return _derived_endpoint(ref.name)


def _live(state: str | None) -> bool:
    return (state or "Succeeded").lower() == "succeeded"


def _ours(manifest: Manifest, tags: Mapping[str, str], tenant: str | None) -> bool:
    """Tagged for this manifest and, when ``tenant`` is given, for no other tenant."""
    return (
        is_managed(tags)
        and tags.get(naming.TAG_MANIFEST) == manifest.provider.manifest_name
        and tags.get(naming.TAG_TENANT) in (None, tenant)
    )


def _ready(
    manifest: Manifest, observed: ObservedState | None, ref: AccountRef, names: list[str], tenant: str | None = None
) -> bool | None:
    """The account and these deployments exist, are ours and Succeeded (``None`` when nothing was observed).

    A same-named account or deployment that is not this manifest's (or is another tenant's) is never
    a route: the gateway would send the tenant's traffic to someone else's resource.
    """
    if observed is None:
        return None
    account = observed.accounts.get(ref.key)
    if account is None or not _live(account.provisioning_state) or not _ours(manifest, account.tags, tenant):
        return False
    have = {d.name.lower(): d for d in observed.deployments.get(ref.key, ())}
    return all(
        n.lower() in have
        and _live(have[n.lower()].provisioning_state)
        and _ours(manifest, have[n.lower()].tags, tenant)
        for n in names
    )


def _tpm(manifest: Manifest, tenant_id: str) -> int | None:
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.SHARED:
        return tenant.tpm
    if tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
        # Capacity counts 1,000 TPM units except on provisioned SKUs (PTUs have no TPM equivalent).
        units = [d.capacity for d in manifest.resolved_deployments(tenant_id) if d.sku not in PROVISIONED_SKUS]
        return sum(units) * 1000 if units else None
    return None


def _auth(manifest: Manifest, tenant_id: str) -> dict[str, str]:
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        app = manifest.provider.app
        return {
            "mode": "entra-id-multitenant-app",
            "client_id": app.client_id if app else "",
            "directory": tenant.directory or "",
            "scope": COGNITIVE_SCOPE,
        }
    return {"mode": "entra-id", "credential": "managed-identity", "scope": COGNITIVE_SCOPE}


class _Builder:
    def __init__(self, manifest: Manifest, desired: DesiredState, observed: ObservedState | None) -> None:
        self.m = manifest
        self.desired = desired
        self.observed = observed
        self.provider_subdomains = {
            naming.custom_subdomain(i.resource.ref.name) for i in desired.items if isinstance(i.resource, Account)
        }
        if observed is not None:
            self.provider_subdomains |= {(a.custom_subdomain or a.ref.name).lower() for a in observed.accounts.values()}

    def stamp_route(self, stamp_id: str, names: tuple[str, ...]) -> Route | None:
        """The shared route of a stamp: its first account and the shared deployments named."""
        first = naming.stamp_account_name(self.m.provider.name_prefix, stamp_id, 1)
        ref = AccountRef(self.m.stamp_subscription(stamp_id), self.m.stamp_resource_group(stamp_id), first)
        shared = [d.name for d in self.m.stamps[stamp_id].deployments]
        chosen = [n for n in names if n in shared] or shared
        if not chosen:
            return None
        return Route(
            Isolation.SHARED.value,
            _endpoint(ref, self.observed),
            ref.id,
            {n: n for n in chosen},
            _ready(self.m, self.observed, ref, chosen),
        )

    def target(self, tenant_id: str) -> Route:
        tenant = self.m.tenants[tenant_id]
        via = tenant.isolation.value
        if tenant.isolation is Isolation.SHARED:
            budget = next((b for b in self.desired.budgets if b.tenant == tenant_id), None)
            route = self.stamp_route(tenant.stamp or "", budget.deployments if budget else ())
            return route or Route(via, None, None, {}, False if self.observed is not None else None)
        if tenant.isolation is Isolation.TENANT_PROVIDED:
            ref = AccountRef.parse(tenant.resource_id or "")
            endpoint: str | None = _derived_endpoint(ref.name)
            if naming.custom_subdomain(ref.name) in self.provider_subdomains:
                endpoint = None  # subdomains are global: this one is the provider's, never the tenant's
            names = {d: d for d in tenant.expect_deployments}
            ready = self._byo_ready(tenant_id) if endpoint else False
            return Route(via, endpoint, ref.id, names, ready)
        mine = [i.resource for i in self.desired.items if i.tenant == tenant_id]
        deployments = [r for r in mine if isinstance(r, Deployment)]
        accounts = [r.ref for r in mine if isinstance(r, Account)] + [d.account for d in deployments]
        if not accounts:  # unplaceable (placement reported why): no route to offer
            return Route(via, None, None, {}, False if self.observed is not None else None)
        ref = accounts[0]
        prefix = naming.tenant_deployment_name(tenant_id, "")
        names = {d.name.removeprefix(prefix): d.name for d in deployments}
        ready = target_ready(self.m, self.desired, self.observed, tenant_id) if self.observed is not None else None
        return Route(via, _endpoint(ref, self.observed), ref.id, names, ready)

    def _byo_ready(self, tenant_id: str) -> bool | None:
        if self.observed is None:
            return None
        verdict = self.observed.byo.get(tenant_id)
        if isinstance(verdict, Mapping) and "ok" in verdict:
            return bool(verdict["ok"])
        return None  # not verified by this observation: the gateway decides (byo verify reports it)

    def previous(self, generation: OldGeneration) -> Route | None:
        """The route the tenant had under its old model, if Azure still has it and it is Succeeded."""
        prefix = naming.tenant_deployment_name(generation.tenant, "")
        by_account: dict[str, list[Deployment]] = {}
        for d in generation.deployments:
            by_account.setdefault(d.account.key, []).append(d)
        for _, deployments in sorted(by_account.items()):
            ref = deployments[0].account
            names = {d.name.removeprefix(prefix): d.name for d in deployments}
            route = Route(
                generation.isolation,
                _endpoint(ref, self.observed),
                ref.id,
                names,
                _ready(self.m, self.observed, ref, list(names.values()), generation.tenant),
            )
            if route.ready:
                return route
        return None

    def entry(self, tenant_id: str, old: OldGeneration | None) -> RoutingEntry:
        tenant = self.m.tenants[tenant_id]
        target = self.target(tenant_id)
        live, route = "target", target
        if self.observed is not None and not target.ready:
            previous = self.previous(old) if old is not None else None
            fallback = None
            if previous is None and tenant.stamp in self.m.stamps and tenant.isolation is not Isolation.SHARED:
                fallback = self.stamp_route(tenant.stamp or "", tuple(target.deployments))
            if previous is not None:
                live, route = "previous", previous
            elif fallback is not None and fallback.ready:
                live, route = "shared-fallback", fallback
        migration = None
        if old is not None:
            migration = {
                "from": old.isolation,
                "to": tenant.isolation.value,
                "phase": 2 if live == "target" and target.ready else 1,
                "target": _route_json(target),
            }
        return RoutingEntry(
            tenant_id, tenant.isolation.value, live, route, _auth(self.m, tenant_id), _tpm(self.m, tenant_id), migration
        )


def routing_for(manifest: Manifest, observed: ObservedState | None = None) -> RoutingTable:
    """Place, derive the desired state and build the table (placement is sticky on observed state)."""
    from tenantctl.desired import desired_state
    from tenantctl.planning.placement import place

    placement = place(manifest, observed if observed is not None else ObservedState())
    return build_routing(manifest, desired_state(manifest, placement_hints=placement.hints), observed)


def build_routing(manifest: Manifest, desired: DesiredState, observed: ObservedState | None = None) -> RoutingTable:
    """The routing table; ``observed=None`` derives every endpoint from names (nothing is checked)."""
    b = _Builder(manifest, desired, observed)
    old = old_generations(manifest, observed) if observed is not None else {}
    entries = tuple(b.entry(t, old.get(t)) for t in sorted(manifest.tenants))
    return RoutingTable(manifest.provider.manifest_name, "observed" if observed is not None else "manifest", entries)


def _route_json(route: Route) -> dict[str, Any]:
    return {
        "endpoint": route.endpoint,
        "account_id": route.account_id,
        "deployments": dict(sorted(route.deployments.items())),
        "ready": route.ready,
    }


def routing_to_json(table: RoutingTable) -> dict[str, Any]:
    """The documented JSON form (see the module docstring)."""
    tenants: dict[str, Any] = {}
    for e in table.entries:
        tenants[e.tenant] = {
            "isolation": e.isolation,
            "live": e.live,
            "via": e.route.via,
            **_route_json(e.route),
            "auth": dict(e.auth),
            "tpm": e.tpm,
            "migration": e.migration,
        }
    return {"schema": ROUTING_SCHEMA, "manifest": table.manifest_name, "source": table.source, "tenants": tenants}


def _fragment(e: RoutingEntry) -> str:
    lines = [
        "<fragment>",
        f"  <!-- tenantctl: tenant {e.tenant} ({e.isolation}); live route: {e.live} via {e.route.via}"
        + ("" if e.route.ready is None else f"; ready={str(e.route.ready).lower()}")
        + " -->",
    ]
    if e.tpm:
        # counter-key is the tenant id: this fragment is included only for the tenant's own calls
        # (select it by APIM subscription or a tenant header), so one counter per tenant.
        lines.append(
            f'  <azure-openai-token-limit counter-key={quoteattr(e.tenant)} tokens-per-minute="{e.tpm}" '
            'estimate-prompt-tokens="false" remaining-tokens-header-name="x-tenantctl-remaining-tokens" />'
        )
    for logical, name in sorted(e.route.deployments.items()):
        # The API's operations rewrite /deployments/{deployment-id}/ with these variables.
        lines.append(f"  <set-variable name={quoteattr('deployment-' + logical)} value={quoteattr(name)} />")
    if e.auth.get("mode") == "entra-id":
        lines.append('  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />')
    else:
        lines.append(
            f"  <!-- auth: Entra ID token of the multi-tenant app {e.auth.get('client_id', '')} "
            f"in directory {e.auth.get('directory', '')} (client credentials; not a managed identity) -->"
        )
    if e.route.endpoint:
        lines.append(f"  <set-backend-service base-url={quoteattr(e.route.endpoint + 'openai')} />")
    else:
        lines.append("  <!-- no live endpoint: requests are refused until the tenant's resources exist -->")
        lines.append('  <return-response><set-status code="503" reason="Tenant not provisioned" /></return-response>')
    lines.append("</fragment>")
    return "\n".join(lines) + "\n"


def routing_to_apim(table: RoutingTable) -> dict[str, str]:
    """One API Management policy fragment per tenant (see the module docstring for the syntax used)."""
    return {e.tenant: _fragment(e) for e in table.entries}
