"""``max_key_age``: plan says when a tenant's account keys are due for rotation (pure but for the clock).

The age is that of the active-key secret in the provider's Key Vault (its last version is written by
every rotation), so it is known without reading a key. A due rotation is a warning, not a change: rotating
regenerates a key, which ``tenantctl keys rotate <tenant>`` does on purpose, never an apply in passing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tenantctl import naming
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observation import ObservedState
from tenantctl.resources import AccountRef

__all__ = ["check_key_age"]


def check_key_age(
    manifest: Manifest, observed: ObservedState, diags: Diagnostics, *, now: datetime | None = None
) -> None:
    """A ``keys-due`` warning per tenant whose active key is older than its ``max_key_age``."""
    moment = now or datetime.now(timezone.utc)
    p = manifest.provider
    for tenant_id, tenant in sorted(manifest.tenants.items()):
        if tenant.isolation is not Isolation.DEDICATED or not tenant.local_auth or tenant.max_key_age is None:
            continue
        ref = AccountRef(p.subscription_id, p.resource_group, naming.dedicated_account_name(p.name_prefix, tenant_id))
        for stored in observed.vault_keys.get(ref.key, ()):
            if stored.updated is None:
                continue
            age = moment - stored.updated
            limit = timedelta(days=int(tenant.max_key_age.removesuffix("d")))
            if age > limit:
                diags.warning(
                    "keys-due",
                    f"tenant {tenant_id}: the active account key was stored {age.days} days ago, "
                    f"more than max_key_age ({tenant.max_key_age}): rotation is due",
                    detail=f"Run `tenantctl keys rotate {tenant_id}`: it regenerates the key not in use, stores "
                    "it in the vault and then makes it the active one.",
                    path=f"tenants.{tenant_id}.max_key_age",
                    tenant=tenant_id,
                )
