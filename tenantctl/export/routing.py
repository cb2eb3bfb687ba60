"""The routing table the provider's gateway needs: per tenant, where to send its calls (pure).

Built from the manifest and its desired state, and — when Azure (or the emulator) was observed —
from the observed endpoints and provisioning states.  Without observation every endpoint is derived
from names (``https://{custom subdomain}.{openai suffix}/``, the subdomain being the account name
lower-cased, which is how tenantctl creates accounts; the suffix is the cloud's: ``openai.azure.com``,
``openai.azure.us``, ``openai.azure.cn``) and ``ready`` is ``null``. Token scopes and the Entra authority
of tenant-provided routes are the cloud's too (:mod:`tenantctl.clouds`).

The desired state comes from planning (:func:`tenantctl.planning.placement.placed_desired_state`),
so routes name the accounts the plan places tenants on; this module never places anything. Which
route is live is the make-before-break rule of a migration, which
:func:`tenantctl.planning.migration.live_route` owns: a tenant routes to its *target* (the resources
its declared model needs) only once they exist and are Succeeded; until then it keeps its
*previous* route (its old generation, when that is Succeeded), or, for a tenant with a stamp whose
own resources are not live yet, the stamp's shared deployments (``shared-fallback``).

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
          "endpoint": "https://<subdomain>.<cloud's openai suffix>/" | null,
          "account_id": "/subscriptions/.../accounts/<name>" | null,
          "deployments": {"<logical model>": "<Azure deployment name>", ...},
          "auth": {"mode": "entra-id", "credential": "managed-identity",
                   "scope": "https://cognitiveservices.azure.<com|us|cn>/.default",
                   "audience": "https://cognitiveservices.azure.<com|us|cn>"}     # the cloud's
                | {"mode": "key", "header": "api-key", "vault_id": "<[provider.key_vault] id>",
                   "secret": "<tenant>-openai-key", "named_value": "<tenant>-openai-key"}
                | {"mode": "entra-id-multitenant-app", "client_id": "<provider app>",
                   "directory": "<tenant's Entra tenant id>", "scope": "...",
                   "authority": "<cloud's Entra host>/<directory>"},
          "tpm": <int> | null,     # gateway budget: shared tpm; dedicated-deployment capacity x 1,000
          "spillover": {"<logical model>": ["<PTU deployment>", "<standard deployment>"]},  # only when declared:
                                   # the order to try (the next one when the PTUs answer 429)
          "ready": true | false | null,   # the live route exists and is Succeeded (null: not observed)
          "model_change": {        # only while a deployment's model/SKU changes (successors.py):
            "<logical model>": {"from": "<old Azure name>", "to": "<successor's Azure name>",
                                "change": "model gpt-4o -> gpt-4.1", "phase": 1 | 2}
          },                       # 1: the old one still serves; 2: the successor does, old not retired
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

The APIM form of the same table is :mod:`tenantctl.export.apim`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tenantctl import naming
from tenantctl.clouds import CloudDefinition
from tenantctl.desired import DesiredState
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation, Manifest
from tenantctl.manifest.ptu import spillover_pairs
from tenantctl.manifest.semantics import implied_cloud
from tenantctl.manifest.shared_accounts import BASE_ACCOUNT
from tenantctl.observation import ObservedState
from tenantctl.planning.migration import (
    LiveRoute,
    OldGeneration,
    live_route,
    migration_phase,
    old_generations,
    resources_live,
    target_ready,
)
from tenantctl.planning.successors import logical_name, model_change_json, resolve_successors, serving_names
from tenantctl.resources import Account, AccountRef, Deployment

__all__ = [
    "Route",
    "RoutingEntry",
    "RoutingTable",
    "build_routing",
    "route_json",
    "routing_for",
    "routing_to_json",
]

ROUTING_SCHEMA = 1


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
    spillover: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    model_change: Mapping[str, Any] | None = None  # deployments moving to a successor (successors.py)


@dataclass(frozen=True)
class RoutingTable:
    manifest_name: str
    source: str  # "manifest" | "observed"
    entries: tuple[RoutingEntry, ...]

    def by_tenant(self) -> dict[str, RoutingEntry]:
        return {e.tenant: e for e in self.entries}


def _endpoint(ref: AccountRef, observed: ObservedState | None, cloud: CloudDefinition) -> str:
    account = observed.accounts.get(ref.key) if observed is not None else None
    if account is not None and account.endpoint:
        return account.endpoint
    if account is not None and account.custom_subdomain:
        return cloud.openai_endpoint(account.custom_subdomain)
    return cloud.openai_endpoint(naming.custom_subdomain(ref.name))


def _tpm(manifest: Manifest, tenant_id: str) -> int | None:
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is Isolation.SHARED:
        return tenant.tpm
    if tenant.isolation is Isolation.DEDICATED_DEPLOYMENT:
        # Capacity counts 1,000 TPM units except on provisioned SKUs (PTUs have no TPM equivalent).
        units = [d.capacity for d in manifest.resolved_deployments(tenant_id) if d.sku not in PROVISIONED_SKUS]
        return sum(units) * 1000 if units else None
    return None


def _auth(manifest: Manifest, tenant_id: str, cloud: CloudDefinition) -> dict[str, str]:
    tenant = manifest.tenants[tenant_id]
    scope = cloud.cognitive_services_scope
    if tenant.isolation is Isolation.TENANT_PROVIDED:
        app = manifest.provider.app
        directory = tenant.directory or ""
        return {
            "mode": "entra-id-multitenant-app",
            "client_id": app.client_id if app else "",
            "directory": directory,
            "scope": scope,
            # client credentials in the tenant's own directory, at the cloud's Entra host
            "authority": f"{cloud.authority_host}/{directory}",
        }
    return _provider_account_auth(manifest, tenant_id, cloud)


def _provider_account_auth(manifest: Manifest, tenant_id: str, cloud: CloudDefinition) -> dict[str, str]:
    """How the gateway authenticates to a provider account (issue 14).

    ``key``: a dedicated tenant that keeps local auth on, with its keys in ``[provider.key_vault]``: the
    route names the vault secret holding the active key (APIM reads it as a Key Vault named value), never
    the key. Otherwise ``entra-id`` with the gateway's managed identity and the cloud's Azure OpenAI
    audience (a token for another cloud's audience is refused).
    """
    tenant = manifest.tenants[tenant_id]
    vault = manifest.provider.key_vault
    if tenant.isolation is Isolation.DEDICATED and tenant.local_auth and vault is not None:
        secret = naming.key_secret_name(tenant_id)
        return {"mode": "key", "header": "api-key", "vault_id": vault.id, "secret": secret, "named_value": secret}
    scope = cloud.cognitive_services_scope
    return {
        "mode": "entra-id",
        "credential": "managed-identity",
        "scope": scope,
        "audience": scope.removesuffix("/.default"),
    }


class _Builder:
    def __init__(
        self, manifest: Manifest, desired: DesiredState, observed: ObservedState | None, cloud: CloudDefinition
    ) -> None:
        self.m = manifest
        self.cloud = cloud
        self.desired = desired
        self.observed = observed
        # Deployments whose model or SKU changes: the old one serves until its successor is live.
        self.predecessors = resolve_successors(manifest, desired, observed).predecessors if observed else ()
        self.stamp_names = {  # a stamp's shared deployments (no tenant's), by account and manifest name
            (i.account.key, logical_name(i.address)): i.resource.name
            for i in desired.items
            if isinstance(i.resource, Deployment) and i.account is not None and i.tenant is None
        }
        self.provider_subdomains = {
            naming.custom_subdomain(i.resource.ref.name) for i in desired.items if isinstance(i.resource, Account)
        }
        if observed is not None:
            self.provider_subdomains |= {(a.custom_subdomain or a.ref.name).lower() for a in observed.accounts.values()}

    def stamp_route(self, stamp_id: str, names: tuple[str, ...], account: int = BASE_ACCOUNT) -> Route | None:
        """The shared route of a stamp: the stamp account ``account`` and the shared deployments named."""
        home = self.desired.stamp_homes.get(stamp_id)
        shared = [d.name for d in self.m.stamps[stamp_id].deployments]
        chosen = [n for n in names if n in shared] or shared
        if not chosen or home is None:  # no home: the pool had no room for the stamp (plan says so)
            return None
        ref = AccountRef(*home, naming.stamp_account_name(self.m.provider.name_prefix, stamp_id, account))
        deployments = {n: self.stamp_names.get((ref.key, n), n) for n in chosen}  # a successor's name, once made
        return Route(
            Isolation.SHARED.value,
            _endpoint(ref, self.observed, self.cloud),
            ref.id,
            deployments,
            resources_live(self.m, self.observed, ref, deployments.values()),
        )

    def target(self, tenant_id: str) -> Route:
        tenant = self.m.tenants[tenant_id]
        via = tenant.isolation.value
        if tenant.isolation is Isolation.SHARED:
            budget = next((b for b in self.desired.budgets if b.tenant == tenant_id), None)
            route = self.stamp_route(
                tenant.stamp or "", budget.deployments if budget else (), budget.account if budget else BASE_ACCOUNT
            )
            return route or Route(via, None, None, {}, False if self.observed is not None else None)
        if tenant.isolation is Isolation.TENANT_PROVIDED:
            ref = AccountRef.parse(tenant.resource_id or "")
            # the declared endpoint (a custom subdomain), else the one Azure derives from the account name
            declared = tenant.endpoint or self.cloud.openai_endpoint(naming.custom_subdomain(ref.name))
            endpoint: str | None = declared
            subdomain = (urlsplit(declared).hostname or "").split(".")[0]
            if subdomain in self.provider_subdomains:
                endpoint = None  # subdomains are global: this one is the provider's, never the tenant's
            names = {d: d for d in tenant.expect_deployments}
            ready = self._byo_ready(tenant_id) if endpoint else False
            return Route(via, endpoint, ref.id, names, ready)
        items = [i for i in self.desired.items if i.tenant == tenant_id]
        mine = [i.resource for i in items]
        deployments = [r for r in mine if isinstance(r, Deployment)]
        accounts = [r.ref for r in mine if isinstance(r, Account)] + [d.account for d in deployments]
        if not accounts:  # unplaceable (placement reported why): no route to offer
            return Route(via, None, None, {}, False if self.observed is not None else None)
        ref = accounts[0]
        # By the manifest's name: the Azure name may be a successor's (<name>__<model>-<sku>).
        names = {
            logical_name(i.address) or i.resource.name: i.resource.name
            for i in items
            if isinstance(i.resource, Deployment)
        }
        ready = target_ready(self.m, self.desired, self.observed, tenant_id) if self.observed is not None else None
        endpoint = _endpoint(ref, self.observed, self.cloud)
        planned = next((r for r in mine if isinstance(r, Account) and r.ref.key == ref.key), None)
        if (
            planned is not None
            and planned.custom_subdomain
            and (self.observed is None or ref.key not in self.observed.accounts)
        ):
            # Not created yet: its subdomain is the planned one (a tenant moving subscriptions gets a new one).
            endpoint = self.cloud.openai_endpoint(planned.custom_subdomain)
        return Route(via, endpoint, ref.id, names, ready)

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
                _endpoint(ref, self.observed, self.cloud),
                ref.id,
                names,
                resources_live(self.m, self.observed, ref, names.values(), generation.tenant),
            )
            if route.ready:
                return route
        return None

    def _owner(self, tenant_id: str) -> str | None:
        """Whose deployments the tenant's route names: its own, or (shared) its stamp's."""
        return None if self.m.tenants[tenant_id].isolation is Isolation.SHARED else tenant_id

    def before_successors(self, tenant_id: str, target: Route) -> Route | None:
        """The target with each deployment whose successor is not live yet on its old deployment (phase 1)."""
        if self.observed is None or not self.predecessors or target.account_id is None:
            return None
        ref = AccountRef.parse(target.account_id)
        owner = self._owner(tenant_id)
        names = serving_names(self.m, self.observed, self.predecessors, ref.key, target.deployments, tenant=owner)
        if names is None:
            return None
        ready = resources_live(self.m, self.observed, ref, names.values(), owner)
        return Route(target.via, target.endpoint, target.account_id, names, ready)

    def model_change(self, target: Route) -> Mapping[str, Any] | None:
        if self.observed is None or not self.predecessors or target.account_id is None:
            return None
        key = AccountRef.parse(target.account_id).key
        return model_change_json(self.m, self.observed, self.predecessors, key, target.deployments)

    def entry(self, tenant_id: str, old: OldGeneration | None) -> RoutingEntry:
        tenant = self.m.tenants[tenant_id]
        target = self.target(tenant_id)
        previous = fallback = None
        if self.observed is not None and not target.ready:
            previous = self.previous(old) if old is not None else self.before_successors(tenant_id, target)
            if previous is None and tenant.stamp in self.m.stamps and tenant.isolation is not Isolation.SHARED:
                fallback = self.stamp_route(tenant.stamp or "", tuple(target.deployments))
        live = live_route(
            observed=self.observed is not None,
            target_ready=target.ready,
            previous_ready=previous is not None and bool(previous.ready),
            fallback_ready=fallback is not None and bool(fallback.ready),
        )
        route = {LiveRoute.TARGET: target, LiveRoute.PREVIOUS: previous, LiveRoute.SHARED_FALLBACK: fallback}[live]
        assert route is not None  # live_route picks only a route that exists
        migration = None
        if old is not None:
            migration = {
                "from": old.isolation,
                "to": tenant.isolation.value,
                "phase": migration_phase(live, target.ready),
                "target": route_json(target),
            }
        return RoutingEntry(
            tenant_id,
            tenant.isolation.value,
            live.value,
            route,
            _auth(self.m, tenant_id, self.cloud),
            _tpm(self.m, tenant_id),
            migration,
            {
                primary: (route.deployments[primary], route.deployments[spill])
                for primary, spill in spillover_pairs(self.m, tenant_id).items()
                if primary in route.deployments and spill in route.deployments
            },
            self.model_change(target),
        )


def routing_for(
    manifest: Manifest, observed: ObservedState | None = None, cloud: CloudDefinition | None = None
) -> RoutingTable:
    """The table over the desired state planning derives (placement is sticky on observed state)."""
    from tenantctl.planning.placement import placed_desired_state

    desired, _ = placed_desired_state(manifest, observed if observed is not None else ObservedState())
    return build_routing(manifest, desired, observed, cloud)


def build_routing(
    manifest: Manifest,
    desired: DesiredState,
    observed: ObservedState | None = None,
    cloud: CloudDefinition | None = None,
) -> RoutingTable:
    """The routing table; ``observed=None`` derives every endpoint from names (nothing is checked).
    ``cloud`` (default: the manifest's) gives the endpoint suffix, token scope and Entra authority."""
    b = _Builder(manifest, desired, observed, cloud if cloud is not None else implied_cloud(manifest))
    old = old_generations(manifest, observed) if observed is not None else {}
    entries = tuple(b.entry(t, old.get(t)) for t in sorted(manifest.tenants))
    return RoutingTable(manifest.provider.manifest_name, "observed" if observed is not None else "manifest", entries)


def route_json(route: Route) -> dict[str, Any]:
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
            **route_json(e.route),
            "auth": dict(e.auth),
            "tpm": e.tpm,
            "migration": e.migration,
            **({"spillover": {k: list(v) for k, v in sorted(e.spillover.items())}} if e.spillover else {}),
            **({"model_change": dict(e.model_change)} if e.model_change else {}),
        }
    return {"schema": ROUTING_SCHEMA, "manifest": table.manifest_name, "source": table.source, "tenants": tenants}
