"""Account keys kept in the provider's Key Vault, and their rotation (issue 14).

Secrets per tenant (:func:`tenantctl.naming.key_secret_name`): ``{tenant}-openai-key1`` and ``-key2`` hold
each of the account's two keys, ``{tenant}-openai-key`` the *active* one (tagged ``tenantctl-active-key``
with ``key1``/``key2``), which clients and the gateway's named value read.

Rotation follows Learn "Rotate keys in Azure AI services" (two keys so that one is always valid): the key
*not* in use is regenerated, stored, and only then made the active one. Each step is one write, and the
active secret only ever changes to a key that was just read back from Azure, so whatever stops a rotation
(a failed write, a kill, a lost connection) leaves the active secret holding a key that still works; running
the rotation again finishes it. Keys pass through here as :class:`~tenantctl.resources.SecretValue` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantctl.addresses import ResourceKind, TenantAddress
from tenantctl.cloud.port import CloudPort
from tenantctl.desired import desired_state
from tenantctl.errors import TerminalError, UsageError
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.resources import AccountKeys, AccountRef, StoredSecret, VaultKeys

__all__ = ["ACTIVE_KEY_TAG", "KeyRotation", "rotate_account_keys", "rotate_tenant_keys", "store_account_keys"]

ACTIVE_KEY_TAG = "tenantctl-active-key"
_KEYS = ("key1", "key2")


@dataclass(frozen=True)
class KeyRotation:
    """What ``keys rotate`` did: the key regenerated (None when keys were only stored for the first time)
    and the key now active, with the vault's secret holding it. Never a key's value."""

    tenant: str
    account: AccountRef
    vault_url: str
    active_secret: str
    active_key: str
    regenerated: str | None
    version: str


def _vault_url(cloud: CloudPort, vault_id: str) -> str:
    url = cloud.vault_url(vault_id)
    if url is None:
        raise TerminalError(
            f"the Key Vault {vault_id} does not exist",
            code="VaultNotFound",
            hint="create the vault or correct [provider.key_vault] id",
        )
    return url


def _owned(record: VaultKeys) -> dict[str, str]:
    """The ownership tags every key secret carries (the active marker only on the active one)."""
    return {k: v for k, v in record.tags.items() if k != ACTIVE_KEY_TAG}


def _key_secret(record: VaultKeys, key: str) -> str:
    return record.name + key.removeprefix("key")  # {tenant}-openai-key1 / -key2


def _store(cloud: CloudPort, url: str, record: VaultKeys, keys: AccountKeys, active: str) -> StoredSecret:
    """Both keys, then the active one last: the active secret changes only once the others are stored."""
    for key in _KEYS:
        cloud.set_secret(url, _key_secret(record, key), keys.key(key), content_type="text/plain", tags=_owned(record))
    active_tags = {**_owned(record), ACTIVE_KEY_TAG: active}
    return cloud.set_secret(url, record.name, keys.key(active), content_type="text/plain", tags=active_tags)


def store_account_keys(cloud: CloudPort, record: VaultKeys) -> VaultKeys:
    """Store the account's current keys (apply: local auth turned on, or the vault changed); the active
    marker stays where it was (key1 the first time)."""
    url = _vault_url(cloud, record.vault_id)
    active = record.active_key if record.active_key in _KEYS else "key1"
    keys = cloud.list_account_keys(record.account)
    stored = _store(cloud, url, record, keys, active)
    return VaultKeys(record.account, record.vault_id, record.name, dict(record.tags), active, stored.updated)


def rotate_account_keys(cloud: CloudPort, tenant: str, record: VaultKeys) -> KeyRotation:
    """Regenerate the key not in use, store it, then make it the active one (see the module docstring)."""
    url = _vault_url(cloud, record.vault_id)
    current = cloud.get_secret(url, record.name)
    if current is None:  # never stored: store both keys as they are; the next rotation regenerates
        stored = _store(cloud, url, record, cloud.list_account_keys(record.account), "key1")
        return KeyRotation(tenant, record.account, url, record.name, "key1", None, stored.version)
    active = current.tags.get(ACTIVE_KEY_TAG, "key1")
    spare = "key2" if active == "key1" else "key1"
    fresh = cloud.regenerate_account_key(record.account, spare)
    # From here until the last write the active secret still holds the key in use, which was not touched.
    cloud.set_secret(url, _key_secret(record, spare), fresh.key(spare), content_type="text/plain", tags=_owned(record))
    active_tags = {**_owned(record), ACTIVE_KEY_TAG: spare}
    switched = cloud.set_secret(url, record.name, fresh.key(spare), content_type="text/plain", tags=active_tags)
    return KeyRotation(tenant, record.account, url, record.name, spare, spare, switched.version)


def rotate_tenant_keys(manifest: Manifest, cloud: CloudPort, tenant_id: str) -> KeyRotation:
    """``tenantctl keys rotate <tenant>``: a UsageError for a tenant without keys, else the rotation."""
    tenant = manifest.tenants.get(tenant_id)
    if tenant is None:
        raise UsageError(f"no tenant {tenant_id!r} in the manifest", code="unknown-tenant")
    if tenant.isolation is not Isolation.DEDICATED or not tenant.local_auth:
        raise UsageError(
            f"tenant {tenant_id!r} has no account keys to rotate: "
            + (
                "only dedicated tenants have their own account"
                if tenant.isolation is not Isolation.DEDICATED
                else "local_auth = false (Entra ID only)"
            ),
            code="no-keys",
            hint="keys exist only for a dedicated tenant with local_auth = true (and [provider.key_vault])",
        )
    wanted = desired_state(manifest).by_address().get(TenantAddress(tenant_id, ResourceKind.ACCOUNT_KEYS))
    if wanted is None or not isinstance(wanted.resource, VaultKeys):
        raise UsageError("local_auth = true needs [provider.key_vault]", code="missing-key")
    return rotate_account_keys(cloud, tenant_id, wanted.resource)
