"""Names of the Azure resources tenantctl creates, and Azure's rules for them (pure functions).

Planning builds resource names with these functions and the manifest checks validate them with the
same functions, so a manifest that validates never produces a name Azure would reject.  Validators
return an error message (for a person) or ``None``; they never raise.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "MANAGED_BY_VALUE",
    "RESERVED_TAG_KEYS",
    "TAG_ISOLATION",
    "TAG_MANAGED_BY",
    "TAG_MANIFEST",
    "TAG_STAMP",
    "TAG_TENANT",
    "blocklist_name",
    "check_account_name",
    "check_deployment_name",
    "check_rai_name",
    "check_resource_group",
    "check_subdomain",
    "custom_subdomain",
    "dedicated_account_name",
    "diagnostic_setting_name",
    "key_secret_name",
    "private_endpoint_key",
    "private_endpoint_name",
    "rai_policy_name",
    "stamp_account_index",
    "stamp_account_name",
    "tenant_deployment_name",
]

# Ownership tags: observation finds managed resources by these; nothing untagged is ever touched.
TAG_MANAGED_BY = "managed-by"
MANAGED_BY_VALUE = "tenantctl"
TAG_TENANT = "tenantctl-tenant"
TAG_MANIFEST = "tenantctl-manifest"
TAG_STAMP = "tenantctl-stamp"
TAG_ISOLATION = "tenantctl-isolation"
RESERVED_TAG_KEYS = frozenset({TAG_MANAGED_BY, TAG_TENANT, TAG_MANIFEST, TAG_STAMP, TAG_ISOLATION})

# Microsoft.CognitiveServices/accounts name (REST spec pattern), 2-64 characters.
_ACCOUNT_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
# Custom subdomains become DNS labels ({sub}.openai.azure.com, or the cloud's suffix): lower-case, no edge hyphens.
_SUBDOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_DEPLOYMENT_RE = re.compile(r"[a-zA-Z0-9_.-]+")
# Resource groups: letters, digits, underscores, hyphens, periods, parentheses (any Unicode
# letter/digit is allowed by ARM; we keep to \w), must not end with a period, 1-90 characters.
_RESOURCE_GROUP_RE = re.compile(r"[-\w._()]+")


def dedicated_account_name(prefix: str, tenant_id: str) -> str:
    """The account of a ``dedicated`` tenant: ``{prefix}-{tenant_id}``."""
    return f"{prefix}-{tenant_id}"


def stamp_account_name(prefix: str, stamp_id: str, index: int) -> str:
    """The ``index``-th (from 1) shared account of a stamp: ``{prefix}-{stamp_id}--{index:02d}``.

    The double hyphen keeps stamp accounts and dedicated accounts (``{prefix}-{tenant_id}``) in
    separate name spaces: tenant ids never contain ``--``, so tenant ``eu-2-01`` can never be handed
    the first account of stamp ``eu-2``.
    """
    return f"{prefix}-{stamp_id}--{index:02d}"


def stamp_account_index(name: str) -> int | None:
    """The index of a stamp account named by :func:`stamp_account_name`, or None for any other name.

    Read after the last ``--``: prefixes and stamp ids never contain ``--``, and a dedicated
    account (``{prefix}-{tenant_id}``) has none at all.
    """
    _, separator, digits = name.rpartition("--")
    return int(digits) if separator and len(digits) >= 2 and digits.isascii() and digits.isdigit() else None


def tenant_deployment_name(tenant_id: str, name: str) -> str:
    """A ``dedicated-deployment`` tenant's deployment on a stamp account: ``{tenant_id}--{name}``.

    Tenant ids never contain ``--``, so the first ``--`` always splits tenant from deployment.
    """
    return f"{tenant_id}--{name}"


def custom_subdomain(account_name: str) -> str:
    """The custom subdomain of an account: its name, lower-cased (subdomains are DNS labels)."""
    return account_name.lower()


def rai_policy_name(tenant_id: str) -> str:
    """The per-tenant RAI (content filter) policy: ``{tenant_id}-filter``."""
    return f"{tenant_id}-filter"


def blocklist_name(tenant_id: str) -> str:
    """The per-tenant RAI blocklist: ``{tenant_id}-blocklist``."""
    return f"{tenant_id}-blocklist"


def _length(kind: str, name: str, low: int, high: int) -> str | None:
    if not low <= len(name) <= high:
        return f"{kind} {name!r} has {len(name)} character{'s' if len(name) != 1 else ''}; Azure allows {low}–{high}"
    return None


def check_account_name(name: str) -> str | None:
    """Azure's rule for account names: 2–64 characters, ``^[a-zA-Z0-9][a-zA-Z0-9_.-]*$``."""
    problem = _length("account name", name, 2, 64)
    if problem is None and not _ACCOUNT_RE.fullmatch(name):
        problem = (
            f"account name {name!r} must start with a letter or digit and contain only "
            "letters, digits, '_', '.' and '-'"
        )
    return problem


def check_subdomain(name: str) -> str | None:
    """Custom subdomain: 2–64 characters, lower-case letters, digits and inner hyphens."""
    problem = _length("custom subdomain", name, 2, 64)
    if problem is None and not _SUBDOMAIN_RE.fullmatch(name):
        problem = (
            f"custom subdomain {name!r} may contain only lower-case letters, digits and hyphens, "
            "and must not start or end with a hyphen"
        )
    return problem


def check_deployment_name(name: str) -> str | None:
    """Deployment names: 2–64 characters of letters, digits, ``-``, ``_`` and ``.``."""
    problem = _length("deployment name", name, 2, 64)
    if problem is None and not _DEPLOYMENT_RE.fullmatch(name):
        problem = f"deployment name {name!r} may contain only letters, digits, '-', '_' and '.'"
    return problem


def check_rai_name(name: str) -> str | None:
    """RAI policy and blocklist names follow the account-name rule (2–64, alnum first)."""
    problem = _length("content filter name", name, 2, 64)
    if problem is None and not _ACCOUNT_RE.fullmatch(name):
        problem = f"content filter name {name!r} may contain only letters, digits, '_', '.' and '-'"
    return problem


def check_resource_group(name: str) -> str | None:
    """Resource group names: 1–90 characters of letters, digits, ``_ - . ( )``; no trailing ``.``."""
    problem = _length("resource group name", name, 1, 90)
    if problem is None and not _RESOURCE_GROUP_RE.fullmatch(name):
        problem = f"resource group name {name!r} may contain only letters, digits, '_', '-', '.', '(' and ')'"
    if problem is None and name.endswith("."):
        problem = f"resource group name {name!r} must not end with a period"
    return problem


# Private endpoint names: 2–80 characters, letters, digits, '_', '.', '-' (Microsoft.Network naming
# rules); a longer name is shortened to a stable digest of the subnet so it never changes between runs.
_ENDPOINT_MAX = 80


def private_endpoint_name(account_name: str, subnet_id: str) -> str:
    """A dedicated account's endpoint into ``subnet_id``: ``{account}-pe-{vnet}-{subnet}``.

    One endpoint per subnet (the manifest rejects two), so the subnet names it; the virtual network is
    part of the name because two networks may each have a subnet called ``private-endpoints``.
    """
    parts = subnet_id.strip("/").split("/")
    vnet, subnet = (parts[-3], parts[-1]) if len(parts) >= 3 else ("", parts[-1])
    name = f"{account_name}-pe-{vnet}-{subnet}"
    if len(name) <= _ENDPOINT_MAX and re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*[a-zA-Z0-9_]", name):
        return name
    digest = hashlib.sha256(subnet_id.lower().encode()).hexdigest()[:12]
    return f"{account_name[: _ENDPOINT_MAX - 17]}-pe-{digest}"


def private_endpoint_key(account_name: str, endpoint_name: str) -> str:
    """What a private endpoint's address calls it: its name after ``{account}-pe-``."""
    return endpoint_name.removeprefix(f"{account_name}-pe-")


def diagnostic_setting_name(manifest_name: str) -> str:
    """The diagnostic setting tenantctl owns on an account: ``tenantctl-{manifest}``.

    Azure keeps no tags on diagnostic settings, so the name is the ownership mark: a setting by any
    other name (the security team's, another tool's) is never changed or deleted.
    """
    return "tenantctl-" + re.sub(r"[^a-zA-Z0-9-]", "-", manifest_name)[:60]


def key_secret_name(tenant_id: str, key: str = "") -> str:
    """The Key Vault secret of a tenant's account key: ``{tenant}-openai-key1`` / ``-key2`` hold each key,
    ``{tenant}-openai-key`` (``key=""``) the active one, which routes and clients read."""
    return f"{tenant_id}-openai-key{key}"
