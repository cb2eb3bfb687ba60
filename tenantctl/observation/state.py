"""The observed state: what observation read from Azure, as plain frozen records (no cloud needed).

The state serialises to JSON (``to_json``/``from_json``) so scenario tests and ``plan --out`` can
carry it without any cloud; the record codecs live beside the records (:mod:`tenantctl.resource_codec`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantctl import naming
from tenantctl.manifest.model import Manifest
from tenantctl.manifest.pool import stamp_groups
from tenantctl.resource_codec import record_from_json, record_to_json
from tenantctl.resources import (
    Account,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    ModelOffer,
    PrivateEndpoint,
    QuotaUsage,
    RaiPolicy,
    SubdomainCheck,
    VaultKeys,
)

__all__ = ["ObservedState", "Region", "is_managed", "manifest_groups", "split_by_owner"]

Region = tuple[str, str]  # (subscription id, location)


def is_managed(tags: Mapping[str, str]) -> bool:
    return tags.get(naming.TAG_MANAGED_BY) == naming.MANAGED_BY_VALUE


def split_by_owner(accounts: Iterable[Account]) -> tuple[dict[str, Account], dict[str, Account]]:
    """(managed, foreign) accounts by key: only ``managed-by=tenantctl`` ones are ours, the rest name conflicts."""
    managed: dict[str, Account] = {}
    foreign: dict[str, Account] = {}
    for account in accounts:
        (managed if is_managed(account.tags) else foreign)[account.ref.key] = account
    return managed, foreign


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
    # The compliance baseline (issue 14), by account key, read only where the manifest or Azure shows one:
    # private endpoints connected to the account (tenantctl's and others'), and tenantctl's own
    # diagnostic setting on it (carrying the account's tags: Azure keeps none on a setting).
    private_endpoints: Mapping[str, tuple[PrivateEndpoint, ...]] = field(default_factory=dict)
    diagnostic_settings: Mapping[str, tuple[DiagnosticSetting, ...]] = field(default_factory=dict)
    # Lazy: the region of each subnet or workspace a planned endpoint or setting points at, by lower-case
    # ARM id; None when it does not exist ("" for a global resource).
    references: Mapping[str, str | None] = field(default_factory=dict)
    # The Key Vault secrets holding the keys of accounts with local auth on (metadata only).
    vault_keys: Mapping[str, tuple[VaultKeys, ...]] = field(default_factory=dict)
    # Hook for the tenant-provided verifier: tenant id -> its verification result (JSON-able).
    byo: Mapping[str, Any] = field(default_factory=dict)
    # accounts.list_models by account key, read only for accounts that should hold fine-tuned models.
    account_models: Mapping[str, tuple[ModelOffer, ...]] = field(default_factory=dict)

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

        baseline: dict[str, Any] = {
            # Only when read, so a state without any baseline (and its fingerprint) reads as it always did.
            name: per_key(getattr(self, name))
            for name in ("private_endpoints", "diagnostic_settings", "vault_keys")
            if getattr(self, name)
        }
        if self.references:
            baseline["references"] = dict(sorted(self.references.items()))
        return {
            **baseline,
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
            # Only when read: states (and the fingerprints of saved plans) without fine-tuned models stay as they were.
            **({"account_models": per_key(self.account_models)} if self.account_models else {}),
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
            private_endpoints={
                k.lower(): tuple(record_from_json(r) for r in v) for k, v in data.get("private_endpoints", {}).items()
            },
            diagnostic_settings={
                k.lower(): tuple(record_from_json(r) for r in v) for k, v in data.get("diagnostic_settings", {}).items()
            },
            usages=per_region("usages"),
            models=per_region("models"),
            deleted_accounts=deleted,
            subdomains={k: record_from_json(v) for k, v in data.get("subdomains", {}).items()},
            references={str(k).lower(): v for k, v in data.get("references", {}).items()},
            vault_keys={
                k.lower(): tuple(record_from_json(r) for r in v) for k, v in data.get("vault_keys", {}).items()
            },
            byo=dict(data.get("byo", {})),
            account_models={
                k.lower(): tuple(record_from_json(r) for r in v) for k, v in data.get("account_models", {}).items()
            },
        )


def _key(k: object) -> str:
    return "/".join(k) if isinstance(k, tuple) else str(k)


def _region(k: str) -> Region:
    sub, _, loc = k.partition("/")
    return (sub, loc)


def manifest_groups(manifest: Manifest) -> list[tuple[str, str]]:
    """Every (subscription, resource group) the manifest places accounts in: the provider's, each pool
    subscription's and each a stamp may live in."""
    p = manifest.provider
    groups = {(p.subscription_id, p.resource_group)}
    groups.update((m.subscription_id, manifest.pool_resource_group(m)) for m in p.pool)
    groups.update(g for s in manifest.stamps for g in stamp_groups(manifest, s))
    return sorted(groups)
