"""Play the tenant's admin in the emulator, explicitly: what onboarding a tenant-provided account needs.

In real life the tenant's admin owns the directory, the subscription and the account, consents to
the provider's app and assigns it a role; tenantctl only verifies. Against the emulator nobody else
will do that, so :func:`onboard_tenant_admins` does it in the open, step by step, as the admin would:

1. register the provider's multi-tenant app (the manifest's client id, in its home directory) with
   a secret derived from the emulator's own principal, held in memory only;
2. per tenant-provided tenant: create its directory and subscription, sign in as that directory's
   own admin principal (never the provider's), create the resource group, the account and the
   expected deployments;
3. grant admin consent in the tenant's directory (``consent=False`` skips it);
4. assign "Cognitive Services OpenAI User" on the account to the app's service principal there
   (``assign_role=False`` skips it).

Everything is idempotent against a persistent emulator; nothing is ever revoked here. This is the
emulator's side of the world: the provider's probe (:mod:`tenantctl.cloud.byo_probe`) then verifies
it exactly as it would verify a real tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS
from tenantctl.manifest.model import Isolation, Manifest, Tenant
from tenantctl.resources import AccountRef

if TYPE_CHECKING:
    from tenantctl.emulator import Emulator

__all__ = ["OnboardedTenants", "onboard_tenant_admins"]

# The least-privilege built-in role tenantctl asks tenants' admins for (the same name as in Azure's catalogue).
_OPENAI_USER_ROLE_NAME = "Cognitive Services OpenAI User"
_ADMINS_AT_ONCE = 16
_ADMIN_NAMESPACE = uuid.UUID("7d1f0c57-1b9e-4c59-9e84-2f1c3b0a9e11")  # stable admin app ids per directory


@dataclass(frozen=True)
class OnboardedTenants:
    """What the provider needs after the simulated onboarding: its app, its secret, each tenant's facts.

    ``tenants``: ``{tenant_id: {"directory", "subscription_id", "resource_id", "consented",
    "role_assigned", "deployments"}}``. The secret never appears in a repr and is never written to disk.
    """

    client_id: str
    home_directory: str
    client_secret: str = field(repr=False)
    tenants: dict[str, Any] = field(default_factory=dict)


def onboard_tenant_admins(
    emulator: Emulator, manifest: Manifest, *, consent: bool = True, assign_role: bool = True
) -> OnboardedTenants:
    """Simulate each tenant admin's onboarding in the emulator; return what the provider needs."""
    app = manifest.provider.app
    if app is None:
        raise ValueError("the manifest has no [provider.app]")
    emulator.add_directory(app.home_directory)
    # Derived, not random: the emulator keeps every secret ever registered, so a fresh one per run
    # would grow its state on every --emulator command. It is a local emulator secret (derived from
    # the emulator's own provider principal), never written anywhere by tenantctl.
    secret = hmac.new(
        emulator.provider.client_secret.encode(), f"tenantctl-byo-app:{app.client_id}".encode(), hashlib.sha256
    ).hexdigest()
    emulator.register_app(home_directory=app.home_directory, multi_tenant=True, client_id=app.client_id, secret=secret)
    role = _OPENAI_USER_ROLE_NAME if consent and assign_role else None

    def onboard(tenant_id: str, tenant: Tenant) -> tuple[str, dict[str, Any]]:
        ref = AccountRef.parse(tenant.resource_id or "")
        directory = tenant.directory or ""
        deployments = emulator.onboarded_deployments(
            ref.id,
            tenant.expect_deployments,
            directory=directory,
            consented_app=app.client_id if consent else None,
            role=role,
        )
        if deployments is None:  # something is missing: the admin does (again) what onboarding needs
            emulator.add_directory(directory)
            emulator.add_subscription(ref.subscription_id, directory)
            location = tenant.location or manifest.provider.location
            deployments = _build_account(emulator, directory, ref, location, tenant.expect_deployments, manifest)
            object_id = emulator.grant_consent(app.client_id, directory) if consent else None
            if object_id is not None and role is not None:
                emulator.assign_role(ref.id, object_id, role)
        return tenant_id, {
            "directory": directory,
            "subscription_id": ref.subscription_id,
            "resource_id": ref.id,
            "consented": consent,
            "role_assigned": role is not None,
            "deployments": deployments,
        }

    todo = [
        (tenant_id, tenant)
        for tenant_id, tenant in sorted(manifest.tenants.items())
        if tenant.isolation is Isolation.TENANT_PROVIDED and tenant.directory and tenant.resource_id
    ]
    # Each admin works in their own directory, so they work at the same time (as real admins would):
    # a first run of 100 tenant-provided tenants waits for 100 account creations once, not in a row.
    with ThreadPoolExecutor(max_workers=max(1, min(_ADMINS_AT_ONCE, len(todo)))) as admins:
        tenants = dict(admins.map(lambda item: onboard(*item), todo))
    return OnboardedTenants(app.client_id, app.home_directory, secret, tenants)


def _admin_clients(emulator: Emulator, directory: str, subscription_id: str) -> tuple[Any, Any]:
    """Resource and Cognitive Services clients signed in as the tenant directory's own admin."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    client_id = str(uuid.uuid5(_ADMIN_NAMESPACE, directory.lower()))
    admin = emulator.register_app(home_directory=directory, multi_tenant=False, client_id=client_id)
    emulator.assign_role(f"/subscriptions/{subscription_id}", admin.object_id, "Owner")
    credential = ClientSecretCredential(
        directory,
        admin.client_id,
        admin.client_secret,
        authority=emulator.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    common: dict[str, Any] = {
        "base_url": emulator.endpoint,
        # the emulated cloud's ARM audience: a Government emulator refuses a public-cloud token
        "credential_scopes": [KNOWN_CLOUDS.get(emulator.settings.cloud, KNOWN_CLOUDS[DEFAULT_CLOUD]).arm_scope],
        "connection_verify": str(emulator.ca_path),
        "polling_interval": 0.05,
    }
    return (
        ResourceManagementClient(credential, subscription_id, **common),
        CognitiveServicesManagementClient(credential, subscription_id, **common),
    )


def _build_account(  # noqa: PLR0917 - private helper, one tenant's facts
    emulator: Emulator,
    directory: str,
    ref: AccountRef,
    location: str,
    expected: tuple[str, ...],
    manifest: Manifest,
) -> list[str]:
    """Create (if missing) the tenant's resource group, account and expected deployments."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.cognitiveservices.models import (
        Account,
        AccountProperties,
        Deployment,
        DeploymentModel,
        DeploymentProperties,
        Sku,
    )

    resources, cs = _admin_clients(emulator, directory, ref.subscription_id)
    resources.resource_groups.create_or_update(ref.resource_group, {"location": location})
    try:
        cs.accounts.get(ref.resource_group, ref.name)
    except ResourceNotFoundError:
        cs.accounts.begin_create(
            ref.resource_group,
            ref.name,
            Account(
                location=location,
                kind="OpenAI",
                sku=Sku(name="S0"),
                properties=AccountProperties(custom_sub_domain_name=ref.name, disable_local_auth=True),
            ),
        ).result()
    existing = {d.name for d in cs.deployments.list(ref.resource_group, ref.name)}
    catalogue = _catalogue(cs, location)
    for name in expected:
        if name in existing:
            continue
        model, version, sku = _pick_model(name, catalogue, manifest)
        cs.deployments.begin_create_or_update(
            ref.resource_group,
            ref.name,
            name,
            Deployment(
                sku=Sku(name=sku, capacity=1),
                properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version=version)),
            ),
        ).result()
    return sorted(existing | set(expected))


def _catalogue(cs: Any, location: str) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """(model, version, deployment skus, is default version) for the region."""
    out = []
    for item in cs.models.list(location):
        m = item.model
        if m is None or not m.name:
            continue
        skus = tuple(s.name for s in (m.skus or []) if s.name)
        out.append((str(m.name), str(m.version), skus, bool(m.is_default_version)))
    return out


def _pick_model(
    name: str, catalogue: list[tuple[str, str, tuple[str, ...], bool]], manifest: Manifest
) -> tuple[str, str, str]:
    """A deployable (model, version, sku) for an expected entry: a model of that name if there is one,
    an embedding model for names that say so, else the manifest's default model (else gpt-4o)."""
    defaults = [d.model for d in manifest.defaults.deployments if d.model]
    wanted = [name] if any(m == name for m, *_ in catalogue) else []
    if "embed" in name.lower():
        wanted += [m for m, *_ in catalogue if "embedding" in m]
    wanted += [*defaults, "gpt-4o"]
    for model in wanted:
        rows = sorted((r for r in catalogue if r[0] == model and r[2]), key=lambda r: not r[3])
        if rows:
            skus = rows[0][2]
            sku = next((s for s in ("GlobalStandard", "Standard", "DataZoneStandard") if s in skus), skus[0])
            return model, rows[0][1], sku
    raise ValueError(f"no deployable model for expected deployment {name!r}")
