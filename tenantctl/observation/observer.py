"""Observation for ``plan``: what Azure has, read through the :class:`~tenantctl.cloud.port.CloudPort`.

An :class:`Observer` costs O(managed accounts + regions) requests, never O(resources), in two steps:

1. :meth:`Observer.accounts`: the accounts of the groups the manifest names (provider, pool, stamps),
   from one Resource Graph query across their subscriptions, confirmed against ARM where it matters
   (:mod:`.fleet_accounts`); only accounts tagged ``managed-by=tenantctl`` are kept as ours, the rest as
   name conflicts.  Then one deployment list per managed account; RAI policies only on accounts where
   a content filter is wanted or Azure shows one of ours (a deployment using a custom policy, a
   removed tenant's leftovers); blocklists only where a policy uses one or a tenant declares terms.
2. :meth:`Observer.details`: the lazy reads a :class:`DetailsNeeded` names: usages and model
   catalogues only for regions where the plan adds capacity, deleted accounts only for
   subscriptions where an account is created, subdomain checks only for accounts created.  A no-op
   plan therefore costs step 1 only.

Which details are needed is planning's question, not observation's: this package never imports
planning.  :mod:`tenantctl.reconcile` asks it between the two steps (``DraftPlan.details_needed``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from tenantctl import naming
from tenantctl.cloud.port import CloudPort
from tenantctl.manifest.fine_tuned import fine_tuned_hosts
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.pool import candidate_regions, stamp_regions_to_place
from tenantctl.observation.fleet_accounts import fleet_accounts
from tenantctl.observation.state import ObservedState, Region, manifest_groups
from tenantctl.resources import Account, Deployment, DiagnosticSetting, PrivateEndpoint, RaiPolicy, VaultKeys

__all__ = [
    "DetailsNeeded",
    "Observer",
    "observe_accounts",
    "read_baseline",
    "read_vault_keys",
    "wants_blocklists",
    "wants_filters",
]

K = TypeVar("K")
V = TypeVar("V")
# Reads in flight at once during observation: well inside ARM's per-principal read budget.
_READ_PARALLELISM = 16


@dataclass(frozen=True)
class DetailsNeeded:
    """The lazy reads of step 2 (each tuple sorted, so the same need reads the same way)."""

    regions: tuple[Region, ...] = ()  # usages + model catalogues
    subscriptions: tuple[str, ...] = ()  # deleted accounts
    subdomains: tuple[tuple[str, str], ...] = ()  # (subscription, subdomain) availability checks
    references: tuple[str, ...] = ()  # ARM ids the plan's new endpoints and settings point at (subnets, workspaces)


def _tenants_with(manifest: Manifest, account: Account, deployments: tuple[Deployment, ...], blocklist: bool) -> bool:
    """Whether a tenant on this account wants a filter (with a blocklist), or left one behind."""

    def wants(tenant_id: str) -> bool:
        t = manifest.tenants.get(tenant_id)
        if t is None:
            return True  # a removed tenant may have left a filter behind: prune needs to see it
        cf = t.content_filter or manifest.defaults.content_filter
        return cf is not None and (bool(cf.blocklist) or not blocklist)

    owners = {account.tags.get(naming.TAG_TENANT), *(d.tags.get(naming.TAG_TENANT) for d in deployments)}
    if any(wants(t) for t in owners if t):
        return True
    stamp = account.tags.get(naming.TAG_STAMP)  # tenants placed here by this plan have no deployment yet
    return stamp is not None and any(
        t.stamp == stamp and t.isolation is Isolation.DEDICATED_DEPLOYMENT and wants(tid)
        for tid, t in manifest.tenants.items()
    )


def wants_filters(manifest: Manifest, account: Account, deployments: tuple[Deployment, ...]) -> bool:
    """Read RAI policies only where a tenant wants a filter or Azure shows one of ours."""
    # Evidence in Azure: a deployment using a custom policy (Azure's own are all "Microsoft.*").
    if any(d.rai_policy and not d.rai_policy.startswith("Microsoft.") for d in deployments):
        return True
    return _tenants_with(manifest, account, deployments, blocklist=False)


def wants_blocklists(
    manifest: Manifest, account: Account, deployments: tuple[Deployment, ...], policies: tuple[RaiPolicy, ...]
) -> bool:
    """Read blocklists only where a policy uses one or a tenant declares terms (saves a request per account)."""
    return any(p.blocklists for p in policies) or _tenants_with(manifest, account, deployments, blocklist=True)


def _may_hold_fine_tuned(hosts: tuple[frozenset[str], frozenset[str]], account: Account) -> bool:
    tenants, stamps = hosts
    tenant = account.tags.get(naming.TAG_TENANT)
    if tenant is not None:
        return tenant in tenants
    return account.tags.get(naming.TAG_STAMP) in stamps


def _pool_regions_to_place(manifest: Manifest, managed: Mapping[str, Account]) -> list[Region]:
    """(pool subscription, region) pairs where a dedicated tenant without an account may be placed.

    Only with a pool: a lone subscription leaves nothing to choose, and a no-op plan reads nothing here.
    """
    if not manifest.provider.pool:
        return []
    have = {
        a.tags.get(naming.TAG_TENANT)
        for a in managed.values()
        if a.tags.get(naming.TAG_MANIFEST) == manifest.provider.manifest_name
        and a.ref.name.lower()
        == naming.dedicated_account_name(manifest.provider.name_prefix, a.tags.get(naming.TAG_TENANT, "")).lower()
    }
    regions: set[Region] = set()
    for tenant_id, tenant in manifest.tenants.items():
        if tenant.isolation is not Isolation.DEDICATED or tenant_id in have:
            continue
        regions.update(candidate_regions(manifest, tenant_id))
    regions.update(stamp_regions_to_place(manifest, managed))
    return sorted(regions)


def _folded(group: tuple[str, str]) -> tuple[str, str]:
    return (group[0].lower(), group[1].lower())


def _provider_group(manifest: Manifest) -> tuple[str, str]:
    return (manifest.provider.subscription_id, manifest.provider.resource_group)


def _declares_endpoints(manifest: Manifest) -> bool:
    return any(
        t.isolation is Isolation.DEDICATED and t.network is not None and t.network.private_endpoints
        for t in manifest.tenants.values()
    )


def _declares_diagnostics(manifest: Manifest, account: Account) -> bool:
    """Whether the tenant or stamp owning ``account`` wants a diagnostic setting on it."""
    tenant = manifest.tenants.get(account.tags.get(naming.TAG_TENANT) or "")
    if tenant is not None:
        return tenant.isolation is Isolation.DEDICATED and tenant.diagnostics is not None
    stamp = manifest.stamps.get(account.tags.get(naming.TAG_STAMP) or "")
    return stamp is not None and stamp.diagnostics is not None


def _read(read: Callable[..., Iterable[V]], *args: Any) -> tuple[V, ...]:
    """One port read, materialised (the port may hand back any iterable)."""
    return tuple(read(*args))


def _one_by_one(calls: Mapping[K, Callable[[], V]]) -> dict[K, V]:
    return {k: call() for k, call in calls.items()}


def read_baseline(
    manifest: Manifest,
    cloud: CloudPort,
    managed: Mapping[str, Account],
    run: Callable[[Mapping[Any, Callable[[], Any]]], dict[Any, Any]] = _one_by_one,
) -> tuple[dict[str, tuple[PrivateEndpoint, ...]], dict[str, tuple[DiagnosticSetting, ...]]]:
    """Private endpoints into ``managed`` accounts (one list per group where the manifest declares one or an
    account shows a connection), and tenantctl's diagnostic setting on accounts whose owner declares one."""
    wanted: dict[tuple[str, str], tuple[str, str]] = {}  # ARM names are case-insensitive
    if _declares_endpoints(manifest):
        wanted[_folded(_provider_group(manifest))] = _provider_group(manifest)
    for a in managed.values():
        if a.baseline is not None and a.baseline.private_endpoint_connections:
            group = (a.ref.subscription_id, a.ref.resource_group)
            wanted.setdefault(_folded(group), group)
    listed = run({g: functools.partial(_read, cloud.list_private_endpoints, *g) for g in wanted.values()})
    endpoints: dict[str, list[PrivateEndpoint]] = {
        k: [] for k, a in managed.items() if _folded((a.ref.subscription_id, a.ref.resource_group)) in wanted
    }
    for found in listed.values():
        for endpoint in found:
            key = endpoint.target_id.lower()
            if key in endpoints:  # an endpoint into one of our accounts (ours or not: the diff decides)
                endpoints[key].append(endpoint)
    name = naming.diagnostic_setting_name(manifest.provider.manifest_name).lower()
    diagnosed = [k for k in sorted(managed) if _declares_diagnostics(manifest, managed[k])]
    read = run({k: functools.partial(_read, cloud.list_diagnostic_settings, managed[k].ref.id) for k in diagnosed})
    settings = {
        # Only tenantctl's setting, dressed in its account's tags (ownership); others are never touched.
        k: tuple(dataclasses.replace(s, tags=dict(managed[k].tags)) for s in found if s.name.lower() == name)
        for k, found in read.items()
    }
    return {k: tuple(v) for k, v in endpoints.items()}, settings


def read_vault_keys(
    manifest: Manifest,
    cloud: CloudPort,
    managed: Mapping[str, Account],
    run: Callable[[Mapping[Any, Callable[[], Any]]], dict[Any, Any]] = _one_by_one,
) -> dict[str, tuple[VaultKeys, ...]]:
    """The active-key secret of every account whose tenant keeps keys (local auth on), metadata only:
    the vault's URL (1 read) and one secret read per such account; nothing when no tenant keeps keys."""
    vault = manifest.provider.key_vault
    keyed = {k: t for k, a in managed.items() if (t := _keeps_keys(manifest, a)) is not None}
    if vault is None or not keyed:
        return {}
    url = cloud.vault_url(vault.id)
    if url is None:
        return {k: () for k in keyed}  # no vault, no secrets: the plan stores them (and says the vault is missing)
    found = run({k: functools.partial(cloud.get_secret, url, naming.key_secret_name(t)) for k, t in keyed.items()})
    out: dict[str, tuple[VaultKeys, ...]] = {}
    for k, secret in found.items():
        if secret is None:
            out[k] = ()
            continue
        # The value was read with the metadata (the SDK has no metadata-only get); it goes no further.
        tags = dict(secret.tags)
        out[k] = (
            VaultKeys(
                managed[k].ref,
                vault.id,
                secret.name,
                tags,
                active_key=tags.get("tenantctl-active-key"),
                updated=secret.updated,
            ),
        )
    return out


def _keeps_keys(manifest: Manifest, account: Account) -> str | None:
    tenant_id = account.tags.get(naming.TAG_TENANT) or ""
    tenant = manifest.tenants.get(tenant_id)
    keeps = tenant is not None and tenant.isolation is Isolation.DEDICATED and tenant.local_auth
    return tenant_id if keeps else None


class Observer:
    """One observation run against ``cloud``: both steps share one pool of reader threads.

    Use it as a context manager; the pool is started on the first batch of more than one read and
    shut down on exit.  Reads are independent and ARM allows many in flight per principal, so the
    wall time of an observation is a few round trips, not one per account (at 20 ms a request, 500
    accounts in sequence would take 10 s).
    """

    def __init__(self, cloud: CloudPort) -> None:
        self.cloud = cloud
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Observer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _concurrently(self, calls: Mapping[K, Callable[[], V]]) -> dict[K, V]:
        """Run independent reads in parallel and return their results by key."""
        if len(calls) <= 1:
            return {k: call() for k, call in calls.items()}
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=_READ_PARALLELISM, thread_name_prefix="observe")
        futures = {k: self._pool.submit(call) for k, call in calls.items()}
        return {k: f.result() for k, f in futures.items()}

    def accounts(self, manifest: Manifest) -> ObservedState:
        """Step 1: accounts, their deployments and (where relevant) filters: groups + accounts (+ filtered ones)."""
        cloud = self.cloud
        groups = manifest_groups(manifest)
        managed, foreign = fleet_accounts(manifest, cloud, self._concurrently)
        keys = sorted(managed)
        deployments = self._concurrently(
            {k: functools.partial(_read, cloud.list_deployments, managed[k].ref) for k in keys}
        )
        filtered = [k for k in keys if wants_filters(manifest, managed[k], deployments[k])]
        policies = self._concurrently(
            {k: functools.partial(_read, cloud.list_rai_policies, managed[k].ref) for k in filtered}
        )
        # Blocklists only where a policy uses one or a tenant declares terms (needs the policies first).
        wanted = [k for k in filtered if wants_blocklists(manifest, managed[k], deployments[k], policies[k])]
        blocklists = self._concurrently(
            {k: functools.partial(_read, cloud.list_blocklists, managed[k].ref) for k in wanted}
        )
        # An account's own model list only where the manifest deploys a fine-tuned model (plan checks it there).
        hosts = fine_tuned_hosts(manifest)
        tuned = [k for k in keys if _may_hold_fine_tuned(hosts, managed[k])]
        account_models = self._concurrently(
            {k: functools.partial(_read, cloud.list_account_models, managed[k].ref, managed[k].location) for k in tuned}
        )
        # A pool places new dedicated tenants by accounts and quota left: read those usages now.
        regions = _pool_regions_to_place(manifest, managed)
        usages = self._concurrently({r: functools.partial(_read, cloud.list_usages, *r) for r in regions})
        models = self._concurrently({r: functools.partial(_read, cloud.list_models, *r) for r in regions})
        endpoints, settings = read_baseline(manifest, cloud, managed, self._concurrently)
        vault_keys = read_vault_keys(manifest, cloud, managed, self._concurrently)
        return ObservedState(
            managed,
            foreign,
            tuple(groups),
            deployments,
            policies,
            blocklists,
            usages=usages,
            models=models,
            account_models=account_models,
            private_endpoints=endpoints,
            diagnostic_settings=settings,
            vault_keys=vault_keys,
        )

    def details(self, state: ObservedState, needed: DetailsNeeded) -> ObservedState:
        """Step 2: ``state`` with the lazy reads ``needed`` merged in (nothing read when nothing is needed)."""
        cloud = self.cloud
        regions = [r for r in needed.regions if r not in state.usages or r not in state.models]  # step 1 may have
        return state.merged(
            usages=self._concurrently({r: functools.partial(_read, cloud.list_usages, *r) for r in regions}),
            models=self._concurrently({r: functools.partial(_read, cloud.list_models, *r) for r in regions}),
            deleted_accounts=self._concurrently(
                {s: functools.partial(_read, cloud.list_deleted_accounts, s) for s in needed.subscriptions}
            ),
            subdomains=self._concurrently(
                {d: functools.partial(cloud.check_subdomain, s, d) for s, d in needed.subdomains}
            ),
            references=self._concurrently(
                {r.lower(): functools.partial(cloud.resource_location, r) for r in needed.references}
            ),
        )


def observe_accounts(manifest: Manifest, cloud: CloudPort) -> ObservedState:
    """Step 1 alone (``export routing --observe``, census checks): accounts, deployments, filters."""
    with Observer(cloud) as observer:
        return observer.accounts(manifest)
