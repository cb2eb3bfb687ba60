"""Addresses: the stable, user-facing names of planned changes (``tenant.acme.deployment.chat``).

Every change in a plan, every ``depends_on`` edge and every apply outcome is keyed by one of these
frozen values, and ``str(address)`` is exactly what plan text, plan.json and ``-o json`` show.
:meth:`Address.parse` is the inverse of ``str``: a saved plan (plan.json holds the strings) reads
back to the same addresses.

====================  ===============================================  ==========================
class                 text                                             what
====================  ===============================================  ==========================
ResourceGroupAddress  ``resource-group.<subscription>.<group>``        a resource group
TenantAddress         ``tenant.<id>.account``                          a dedicated tenant's account
                      ``tenant.<id>.deployment.<name>``                a tenant's deployment
                      ``tenant.<id>.rai-policy`` / ``.blocklist``      a tenant's content filter
                      ``tenant.<id>.private-endpoint.<key>``           an endpoint into a subnet
                      ``tenant.<id>.diagnostic-setting``               the account's diagnostics
                      ``tenant.<id>.account-keys``                     its keys in the Key Vault
StampAddress          ``stamp.<id>.account.<nn>``                      a stamp's ``nn``-th account
                      ``stamp.<id>.<kind>.<nn>.<name>``                a stamp account's child
OnAccount             ``<address>@<account name>``                     the same address on another
                                                                       account (an orphan, a
                                                                       migration's old generation)
Purge                 ``<account address>.purge``                      purging a soft-deleted account
====================  ===============================================  ==========================

Case: Azure resource names and ARM ids are case-insensitive (``Chat`` and ``chat`` are one
deployment), and the tenant and stamp ids tenantctl puts into those names are lower-case by the
manifest's id rule. So the ONE rule is: an address keeps the case it was built with for display, and
its identity (``==``, ``hash``, ordering) is its text lower-cased. Ordering by that text is today's
plan order, because the planner always sorted the (all lower-case) address strings.

Parsing relies on what Azure and the manifest allow in names: tenant and stamp ids have no ``.`` or
``@`` (manifest id rule), subscription ids no ``.``, and no Azure name contains ``@``; deployment,
account and group names may contain ``.`` and ``-``, so they come last in the text. One text is
ambiguous: ``tenant.a.account@x.purge`` is both the purge of ``tenant.a.account@x`` and an account
named ``x.purge``. Since identity is the text, the two are the same address, as they always were.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

__all__ = [
    "Address",
    "OnAccount",
    "Purge",
    "ResourceGroupAddress",
    "ResourceKind",
    "StampAddress",
    "TenantAddress",
]


class ResourceKind(str, Enum):
    """The kinds of resource tenantctl writes (plan.json's ``kind``)."""

    RESOURCE_GROUP = "resource-group"
    ACCOUNT = "account"
    BLOCKLIST = "blocklist"
    RAI_POLICY = "rai-policy"
    DEPLOYMENT = "deployment"
    PRIVATE_ENDPOINT = "private-endpoint"
    DIAGNOSTIC_SETTING = "diagnostic-setting"
    ACCOUNT_KEYS = "account-keys"


# A tenant has one account, one filter and one diagnostic setting, but many deployments and endpoints.
_NAMED_TENANT_KINDS = frozenset({ResourceKind.DEPLOYMENT, ResourceKind.PRIVATE_ENDPOINT})


_PURGE_SUFFIX = ".purge"


class Address(ABC):
    """A change's address. Subclasses are frozen dataclasses; identity is the lower-cased text."""

    __slots__ = ()

    @abstractmethod
    def _render(self) -> str: ...

    @cached_property
    def text(self) -> str:
        """Exactly what users see (``str(address)``)."""
        return self._render()

    @cached_property
    def folded(self) -> str:
        """The identity: the text lower-cased (Azure names are case-insensitive)."""
        return self.text.lower()

    @property
    @abstractmethod
    def kind(self) -> ResourceKind:
        """The kind of resource the address names."""

    @property
    def within_owner(self) -> str:
        """The text after the owner (``tenant.acme.`` / ``stamp.eu.``): ``deployment.chat``."""
        return self.text.split(".", 2)[-1]

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Address) and self.folded == other.folded

    def __hash__(self) -> int:
        return hash(self.folded)

    # Plans order changes by address: by the lower-cased text, consistent with ``==``.
    def __lt__(self, other: Address) -> bool:
        return self.folded < other.folded

    def __le__(self, other: Address) -> bool:
        return self.folded <= other.folded

    def __gt__(self, other: Address) -> bool:
        return self.folded > other.folded

    def __ge__(self, other: Address) -> bool:
        return self.folded >= other.folded

    @staticmethod
    def parse(text: str) -> Address:
        """The address whose ``str`` is ``text``; ValueError naming the text for anything else."""
        if not isinstance(text, str):
            raise TypeError(f"an address is a string, not {type(text).__name__}")
        address = _parse(text)
        # Only canonical texts are accepted (``stamp.eu.account.1`` is not ``...account.01``), so
        # str(parse(text)) == text and a saved plan reads back byte for byte.
        if address is None or address.text != text:
            raise ValueError(f"{text!r} is not a tenantctl address")
        return address


@dataclass(frozen=True, eq=False)
class ResourceGroupAddress(Address):
    subscription_id: str
    name: str

    def _render(self) -> str:
        return f"resource-group.{self.subscription_id}.{self.name}"

    @property
    def kind(self) -> ResourceKind:
        return ResourceKind.RESOURCE_GROUP


@dataclass(frozen=True, eq=False)
class TenantAddress(Address):
    """A tenant's resource. Only deployments and private endpoints have a ``name``."""

    tenant: str
    resource: ResourceKind
    name: str | None = None

    def __post_init__(self) -> None:
        if self.resource is ResourceKind.RESOURCE_GROUP:
            raise ValueError("a tenant address never names a resource group")
        if (self.name is not None) != (self.resource in _NAMED_TENANT_KINDS):
            raise ValueError(
                f"a tenant {self.resource.value} address {'needs' if self.name is None else 'has no'} name"
            )

    @classmethod
    def account(cls, tenant: str) -> TenantAddress:
        return cls(tenant, ResourceKind.ACCOUNT)

    @classmethod
    def deployment(cls, tenant: str, name: str) -> TenantAddress:
        return cls(tenant, ResourceKind.DEPLOYMENT, name)

    def _render(self) -> str:
        suffix = f".{self.name}" if self.name is not None else ""
        return f"tenant.{self.tenant}.{self.resource.value}{suffix}"

    @property
    def kind(self) -> ResourceKind:
        return self.resource


@dataclass(frozen=True, eq=False)
class StampAddress(Address):
    """A stamp's ``index``-th account (from 1), or a named resource on it.

    ``index`` is None only for an account whose number is unknown: one whose name does not follow
    :func:`tenantctl.naming.stamp_account_name`, always shown with ``@<its name>`` (:class:`OnAccount`).
    """

    stamp: str
    resource: ResourceKind
    index: int | None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.resource is ResourceKind.RESOURCE_GROUP:
            raise ValueError("a stamp address never names a resource group")
        if self.index is not None and self.index < 0:
            raise ValueError(f"a stamp account index is not negative (got {self.index})")
        if self.resource is ResourceKind.ACCOUNT:
            if self.name is not None:
                raise ValueError("a stamp account address is by index, not by name")
        elif self.name is None or self.index is None:
            raise ValueError(f"a stamp {self.resource.value} address needs its account index and name")

    @classmethod
    def account(cls, stamp: str, index: int | None) -> StampAddress:
        return cls(stamp, ResourceKind.ACCOUNT, index)

    def _render(self) -> str:
        if self.index is None:
            return f"stamp.{self.stamp}.{self.resource.value}"
        tail = f".{self.name}" if self.name is not None else ""
        return f"stamp.{self.stamp}.{self.resource.value}.{self.index:02d}{tail}"

    @property
    def kind(self) -> ResourceKind:
        return self.resource


@dataclass(frozen=True, eq=False)
class OnAccount(Address):
    """``address`` as found on the account named ``account`` (the address itself is taken elsewhere)."""

    address: Address
    account: str

    def _render(self) -> str:
        return f"{self.address}@{self.account}"

    @property
    def kind(self) -> ResourceKind:
        return self.address.kind


@dataclass(frozen=True, eq=False)
class Purge(Address):
    """Purging the soft-deleted account that ``account`` names (it is in the way, or offboarded)."""

    account: Address

    def __post_init__(self) -> None:
        if self.account.kind is not ResourceKind.ACCOUNT:
            raise ValueError(f"only an account is purged, not {self.account}")

    def _render(self) -> str:
        return f"{self.account}{_PURGE_SUFFIX}"

    @property
    def kind(self) -> ResourceKind:
        return ResourceKind.ACCOUNT


# Ids come first and are matched lazily, so an id read from a hand-edited tag that holds a ``.``
# still reads back; names come last and take the rest.
_RESOURCE_GROUP_RE = re.compile(r"resource-group\.(?P<sub>[^.]*)\.(?P<name>.+)")
_TENANT_RE = re.compile(
    r"tenant\.(?P<id>.*?)\.(?:(?P<kind>account|rai-policy|blocklist|diagnostic-setting|account-keys)"
    r"|(?P<named>deployment|private-endpoint)\.(?P<name>.+))"
)
_STAMP_RE = re.compile(
    r"stamp\.(?P<id>.*?)\.(?:account(?:\.(?P<index>[0-9]{2,}))?"
    r"|(?P<kind>deployment|rai-policy|blocklist|diagnostic-setting|private-endpoint)\.(?P<child_index>[0-9]{2,})\.(?P<name>.+))"
)


def _parse(text: str) -> Address | None:
    if text.endswith(_PURGE_SUFFIX):
        # Only accounts are purged; a deployment named ``x.purge`` is a deployment.
        account = _parse(text[: -len(_PURGE_SUFFIX)])
        if account is not None and account.kind is ResourceKind.ACCOUNT:
            return Purge(account)
    base, at, account_name = text.rpartition("@")  # no Azure name holds an ``@``
    if at:
        inner = _parse_plain(base)
        return OnAccount(inner, account_name) if inner is not None and account_name else None
    return _parse_plain(text)


def _parse_plain(text: str) -> Address | None:
    if match := _RESOURCE_GROUP_RE.fullmatch(text):
        return ResourceGroupAddress(match["sub"], match["name"])
    if match := _TENANT_RE.fullmatch(text):
        if match["name"] is not None:
            return TenantAddress(match["id"], ResourceKind(match["named"]), match["name"])
        return TenantAddress(match["id"], ResourceKind(match["kind"]))
    if match := _STAMP_RE.fullmatch(text):
        if match["kind"] is None:
            index = match["index"]
            return StampAddress.account(match["id"], int(index) if index is not None else None)
        return StampAddress(match["id"], ResourceKind(match["kind"]), int(match["child_index"]), match["name"])
    return None
