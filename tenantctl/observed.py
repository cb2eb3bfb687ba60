"""Observed state: what Azure has, read through the :class:`~tenantctl.cloud.port.CloudPort`.

``observe(manifest, cloud)`` costs O(managed accounts + regions) requests, never O(resources):

1. accounts: one list per (subscription, resource group) the manifest names (provider + stamps);
   only accounts tagged ``managed-by=tenantctl`` are kept as ours, the rest as name conflicts;
2. deployments: one list per managed account; RAI policies only on accounts where a content
   filter is wanted or Azure shows one of ours (a deployment using a custom policy, a removed
   tenant's leftovers); blocklists only where a policy uses one or a tenant declares terms;
3. lazily, after a first diff: usages and model catalogues only for regions where the plan adds
   capacity, deleted accounts only for subscriptions where an account is created, subdomain
   checks only for accounts created.  A no-op plan therefore costs steps 1 and 2 only.

The state serialises to JSON (``to_json``/``from_json``) so scenario tests and ``plan --out`` can
carry it without any cloud.  Record codecs for the JSON forms live here too (serialize reuses them).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from tenantctl import naming
from tenantctl.cloud.port import CloudPort
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    ModelOffer,
    QuotaUsage,
    RaiPolicy,
    ResourceGroup,
    SubdomainCheck,
)

__all__ = ["ObservedState", "is_managed", "observe", "record_from_json", "record_to_json"]

Region = tuple[str, str]  # (subscription id, location)
K = TypeVar("K")
V = TypeVar("V")
# Reads in flight at once during observation: well inside ARM's per-principal read budget.
_READ_PARALLELISM = 16

_RECORDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Account,
        Deployment,
        RaiPolicy,
        Blocklist,
        DeletedAccount,
        ResourceGroup,
        QuotaUsage,
        ModelOffer,
        SubdomainCheck,
    )
}


def record_to_json(record: object) -> dict[str, Any]:
    """A resource record as a JSON object with its ``type``; account refs become ARM ids."""
    out: dict[str, Any] = {"type": type(record).__name__}
    for f in dataclasses.fields(record):  # type: ignore[arg-type]  # every record type is a dataclass
        value = getattr(record, f.name)
        if isinstance(value, AccountRef):
            value = value.id
        elif isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(sorted(value.items()))
        out[f.name] = value
    return out


def record_from_json(data: Mapping[str, Any]) -> Any:
    """Inverse of :func:`record_to_json` (exact for every record type it produces)."""
    cls = _RECORDS[data["type"]]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in ("ref", "account") and isinstance(value, str):
            value = AccountRef.parse(value)
        elif f.name in ("deletion_date", "scheduled_purge_date") and value is not None:
            value = datetime.fromisoformat(value)
        elif f.name == "deprecation" and value is not None:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def is_managed(tags: Mapping[str, str]) -> bool:
    return tags.get(naming.TAG_MANAGED_BY) == naming.MANAGED_BY_VALUE


@dataclass(frozen=True)
class ObservedState:
    """What observation read. Keys of the per-account maps are :attr:`AccountRef.key`.

    A key's presence means "was read" (an empty tuple = read, found nothing); absence means
    "not read", which planning treats as unknown rather than as empty.
    """

    accounts: Mapping[str, Account] = field(default_factory=dict)  # managed-by=tenantctl only
    foreign_accounts: Mapping[str, Account] = field(default_factory=dict)  # untagged: never touched
    listed_groups: tuple[tuple[str, str], ...] = ()  # (subscription, resource group) listed
    deployments: Mapping[str, tuple[Deployment, ...]] = field(default_factory=dict)
    rai_policies: Mapping[str, tuple[RaiPolicy, ...]] = field(default_factory=dict)
    blocklists: Mapping[str, tuple[Blocklist, ...]] = field(default_factory=dict)
    usages: Mapping[Region, tuple[QuotaUsage, ...]] = field(default_factory=dict)
    models: Mapping[Region, tuple[ModelOffer, ...]] = field(default_factory=dict)
    deleted_accounts: Mapping[str, tuple[DeletedAccount, ...]] = field(default_factory=dict)  # by subscription
    subdomains: Mapping[str, SubdomainCheck] = field(default_factory=dict)
    # Hook for the tenant-provided verifier: tenant id -> its verification result (JSON-able).
    byo: Mapping[str, Any] = field(default_factory=dict)

    def account(self, ref: AccountRef) -> Account | None:
        return self.accounts.get(ref.key)

    def group_exists(self, subscription_id: str, resource_group: str) -> bool:
        """A group is known to exist when listing it found any account (the port has no RG read)."""
        wanted = (subscription_id.lower(), resource_group.lower())
        return any(
            (a.ref.subscription_id.lower(), a.ref.resource_group.lower()) == wanted
            for a in (*self.accounts.values(), *self.foreign_accounts.values())
        )

    def merged(self, **more: Any) -> ObservedState:
        """A copy with the lazily read maps merged in (used by observe's second step)."""
        changes = {k: {**getattr(self, k), **v} for k, v in more.items()}
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]  # keys are map fields only

    # --- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        def per_key(m: Mapping[Any, Iterable[object]]) -> dict[str, list[dict[str, Any]]]:
            return {_key(k): [record_to_json(r) for r in v] for k, v in sorted(m.items())}

        return {
            "accounts": [record_to_json(a) for _, a in sorted(self.accounts.items())],
            "foreign_accounts": [record_to_json(a) for _, a in sorted(self.foreign_accounts.items())],
            "listed_groups": [list(g) for g in sorted(self.listed_groups)],
            "deployments": per_key(self.deployments),
            "rai_policies": per_key(self.rai_policies),
            "blocklists": per_key(self.blocklists),
            "usages": per_key(self.usages),
            "models": per_key(self.models),
            "deleted_accounts": per_key(self.deleted_accounts),
            "subdomains": {k: record_to_json(v) for k, v in sorted(self.subdomains.items())},
            "byo": dict(sorted(self.byo.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObservedState:
        """Build a state from :meth:`to_json` output; per-account lists may also omit their key.

        For hand-written scenario files, ``deployments``/``rai_policies``/``blocklists`` may be a
        flat list of records: they are grouped by account, and every managed account counts as read.
        """
        accounts = [record_from_json(a) for a in data.get("accounts", [])]
        foreign = [record_from_json(a) for a in data.get("foreign_accounts", [])]

        def per_account(name: str) -> dict[str, tuple[Any, ...]]:
            raw = data.get(name, {})
            out: dict[str, list[Any]] = {}
            if isinstance(raw, list):  # flat list: every managed account was read
                out = {a.ref.key: [] for a in accounts}
                for r in raw:
                    rec = record_from_json(r)
                    out.setdefault(rec.account.key, []).append(rec)
            else:
                for k, v in raw.items():
                    out[k.lower()] = [record_from_json(r) for r in v]
            return {k: tuple(v) for k, v in out.items()}

        def per_region(name: str) -> dict[Region, tuple[Any, ...]]:
            return {_region(k): tuple(record_from_json(r) for r in v) for k, v in data.get(name, {}).items()}

        deleted = {k: tuple(record_from_json(r) for r in v) for k, v in data.get("deleted_accounts", {}).items()}
        return cls(
            accounts={a.ref.key: a for a in accounts},
            foreign_accounts={a.ref.key: a for a in foreign},
            listed_groups=tuple((str(g[0]), str(g[1])) for g in data.get("listed_groups", [])),
            deployments=per_account("deployments"),
            rai_policies=per_account("rai_policies"),
            blocklists=per_account("blocklists"),
            usages=per_region("usages"),
            models=per_region("models"),
            deleted_accounts=deleted,
            subdomains={k: record_from_json(v) for k, v in data.get("subdomains", {}).items()},
            byo=dict(data.get("byo", {})),
        )


def _key(k: object) -> str:
    return "/".join(k) if isinstance(k, tuple) else str(k)


def _region(k: str) -> Region:
    sub, _, loc = k.partition("/")
    return (sub, loc)


def _groups(manifest: Manifest) -> list[tuple[str, str]]:
    p = manifest.provider
    groups = {(p.subscription_id, p.resource_group)}
    groups.update((manifest.stamp_subscription(s), manifest.stamp_resource_group(s)) for s in manifest.stamps)
    return sorted(groups)


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


def _wants_filters(manifest: Manifest, account: Account, deployments: tuple[Deployment, ...]) -> bool:
    """Read RAI policies only where a tenant wants a filter or Azure shows one of ours."""
    # Evidence in Azure: a deployment using a custom policy (Azure's own are all "Microsoft.*").
    if any(d.rai_policy and not d.rai_policy.startswith("Microsoft.") for d in deployments):
        return True
    return _tenants_with(manifest, account, deployments, blocklist=False)


def _wants_blocklists(
    manifest: Manifest, account: Account, deployments: tuple[Deployment, ...], policies: tuple[RaiPolicy, ...]
) -> bool:
    """Read blocklists only where a policy uses one or a tenant declares terms (saves a request per account)."""
    return any(p.blocklists for p in policies) or _tenants_with(manifest, account, deployments, blocklist=True)


def _concurrently(calls: Mapping[K, Callable[[], V]]) -> dict[K, V]:
    """Run independent reads in parallel and return their results by key.

    Reads are independent and ARM allows many in flight per principal, so the wall time of an
    observation is a few round trips, not one per account (at 20 ms a request, 500 accounts in
    sequence would take 10 s).
    """
    if len(calls) <= 1:
        return {k: call() for k, call in calls.items()}
    with ThreadPoolExecutor(max_workers=min(_READ_PARALLELISM, len(calls)), thread_name_prefix="observe") as pool:
        futures = {k: pool.submit(call) for k, call in calls.items()}
        return {k: f.result() for k, f in futures.items()}


def observe_accounts(manifest: Manifest, cloud: CloudPort) -> ObservedState:
    """Step 1: accounts, their deployments and (where relevant) filters: groups + accounts (+ filtered ones)."""
    managed: dict[str, Account] = {}
    foreign: dict[str, Account] = {}
    groups = _groups(manifest)
    listed = _concurrently({g: functools.partial(cloud.list_accounts, *g) for g in groups})
    for group in groups:
        for account in listed[group]:
            (managed if is_managed(account.tags) else foreign)[account.ref.key] = account
    keys = sorted(managed)
    deployments = {
        k: tuple(v)
        for k, v in _concurrently({k: functools.partial(cloud.list_deployments, managed[k].ref) for k in keys}).items()
    }
    filtered = [k for k in keys if _wants_filters(manifest, managed[k], deployments[k])]
    policies = _concurrently({k: functools.partial(_read, cloud.list_rai_policies, managed[k].ref) for k in filtered})
    # Blocklists only where a policy uses one or a tenant declares terms (needs the policies first).
    wanted = [k for k in filtered if _wants_blocklists(manifest, managed[k], deployments[k], policies[k])]
    blocklists = _concurrently({k: functools.partial(_read, cloud.list_blocklists, managed[k].ref) for k in wanted})
    return ObservedState(managed, foreign, tuple(groups), deployments, policies, blocklists)


def _read(read: Callable[..., Iterable[V]], *args: Any) -> tuple[V, ...]:
    """One port read, materialised (the port may hand back any iterable)."""
    return tuple(read(*args))


def observe(
    manifest: Manifest, cloud: CloudPort, *, tenants: Iterable[str] | None = None, purge_deleted: bool = False
) -> ObservedState:
    """Read what planning ``manifest`` needs, in two steps (see the module docstring).

    ``purge_deleted`` also lists soft-deleted accounts in every subscription the manifest uses, so
    that a plan asked to purge can find offboarded accounts (one request per subscription).
    """
    # Imported here: planning imports this module, and the lazy step needs a first diff.
    from tenantctl.planning.lookups import lookups_needed

    state = observe_accounts(manifest, cloud)
    need = lookups_needed(manifest, state, tenants=tenants)
    if purge_deleted:
        need = dataclasses.replace(
            need, subscriptions=tuple(sorted({*need.subscriptions, *(s for s, _ in _groups(manifest))}))
        )
    return state.merged(
        usages=_concurrently({r: functools.partial(_read, cloud.list_usages, *r) for r in need.regions}),
        models=_concurrently({r: functools.partial(_read, cloud.list_models, *r) for r in need.regions}),
        deleted_accounts=_concurrently(
            {s: functools.partial(_read, cloud.list_deleted_accounts, s) for s in need.subscriptions}
        ),
        subdomains=_concurrently({d: functools.partial(cloud.check_subdomain, s, d) for s, d in need.subdomains}),
    )
