"""Onboarding instructions for a tenant-provided account: the admin-consent URL and the one role.

Pure: no I/O. The URL and the ``az`` line are what the tenant's admin is shown, so they are built
here once and reused by ``byo consent-url``, by ``byo verify`` diagnoses and by reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS, CloudDefinition
from tenantctl.errors import UsageError

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest

__all__ = [
    "ARM_SCOPE",
    "DEFAULT_AUTHORITY_HOST",
    "OPENAI_USER_ROLE_ID",
    "OPENAI_USER_ROLE_NAME",
    "ByoTarget",
    "Onboarding",
    "RoleAssignmentInstructions",
    "byo_target",
    "consent_url",
    "onboarding",
    "role_assignment_instructions",
    "tenant_onboarding",
]

# The public cloud's; a manifest in another cloud gets that cloud's (tenantctl.clouds).
_DEFAULT_SUFFIX = "/.default"
DEFAULT_AUTHORITY_HOST = KNOWN_CLOUDS[DEFAULT_CLOUD].authority_host
ARM_SCOPE = KNOWN_CLOUDS[DEFAULT_CLOUD].resource_manager + _DEFAULT_SUFFIX
OPENAI_USER_ROLE_NAME = "Cognitive Services OpenAI User"
# Least privilege: reads the account and deployments, calls the models; cannot list keys or write.
OPENAI_USER_ROLE_ID = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
_PORTAL_PATH = (
    "Azure portal → your Azure OpenAI resource → Access control (IAM) → Add → Add role assignment → "
    f"Role: {OPENAI_USER_ROLE_NAME} → Members: User, group, or service principal → + Select members → "
    "search for the application (client) id {client_id} → Review + assign"
)


def consent_url(
    *, authority_host: str, directory: str, client_id: str, redirect_uri: str, state: str, scope: str = ARM_SCOPE
) -> str:
    """The v2 admin-consent URL for the tenant's own directory.

    The directory is the tenant's GUID, never ``common``/``organizations``: consent must land in
    the directory whose subscription holds the account, and Microsoft's docs advise against
    ``common`` for this endpoint. ``scope`` is ARM's ``/.default`` because the app needs no API
    permissions: consent only has to create its service principal there; RBAC does the rest. Both the
    authority and ARM's scope are those of the tenant's cloud (``login.microsoftonline.us`` and
    ``https://management.usgovcloudapi.net/.default`` in Azure Government).
    """
    params = {"client_id": client_id, "scope": scope, "redirect_uri": redirect_uri, "state": state}
    query = urlencode(params, safe=":/")  # keep the URL readable: ':' and '/' are legal in a query
    return f"{authority_host.rstrip('/')}/{directory}/v2.0/adminconsent?{query}"


@dataclass(frozen=True)
class RoleAssignmentInstructions:
    """The one role assignment the tenant's admin must make, as a CLI line and a portal path."""

    role_name: str
    role_id: str
    assignee: str
    scope: str
    az_command: str
    portal_path: str

    def to_json(self) -> dict[str, str]:
        return dict(asdict(self))


def role_assignment_instructions(client_id: str, resource_id: str) -> RoleAssignmentInstructions:
    """Assign the role at the account scope, not the resource group or subscription (least privilege)."""
    role = f'--role "{OPENAI_USER_ROLE_NAME}"'
    az = f"az role assignment create --assignee {client_id} {role} --scope {resource_id}"
    return RoleAssignmentInstructions(
        OPENAI_USER_ROLE_NAME,
        OPENAI_USER_ROLE_ID,
        client_id,
        resource_id,
        az,
        _PORTAL_PATH.format(client_id=client_id),
    )


@dataclass(frozen=True)
class Onboarding:
    """Everything the tenant's admin needs, in order: consent, then the role, then verification."""

    tenant: str
    directory: str
    client_id: str
    resource_id: str
    consent_url: str
    role: RoleAssignmentInstructions
    verify_command: str

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["role_assignment"] = doc.pop("role")
        return doc


def onboarding(
    *,
    tenant: str,
    directory: str,
    client_id: str,
    resource_id: str,
    redirect_uri: str,
    authority_host: str = DEFAULT_AUTHORITY_HOST,
    state: str | None = None,
    scope: str = ARM_SCOPE,
) -> Onboarding:
    """The onboarding instructions for one tenant.

    ``state`` defaults to ``tenantctl-<tenant>`` so the URL is stable between runs (plans stay
    reproducible) and a provider-side redirect handler can tell which tenant consented; it is not
    a CSRF nonce; pass one if your redirect handler checks it.
    """
    url = consent_url(
        authority_host=authority_host,
        directory=directory,
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state if state is not None else f"tenantctl-{tenant}",
        scope=scope,
    )
    return Onboarding(
        tenant,
        directory,
        client_id,
        resource_id,
        url,
        role_assignment_instructions(client_id, resource_id),
        f"tenantctl byo verify {tenant}",
    )


@dataclass(frozen=True)
class ByoTarget:
    """The manifest's facts about one tenant-provided tenant and the provider app."""

    tenant: str
    client_id: str
    redirect_uri: str
    directory: str
    resource_id: str
    expected: tuple[str, ...]


def byo_target(manifest: Manifest, tenant_id: str) -> ByoTarget:
    """The tenant-provided tenant ``tenant_id``, or a UsageError saying why it cannot be one."""
    from tenantctl.manifest.model import Isolation

    tenant = manifest.tenants.get(tenant_id)
    if tenant is None:
        known = ", ".join(sorted(manifest.tenants)) or "none"
        raise UsageError(f"no tenant {tenant_id!r} in the manifest", code="unknown-tenant", hint=f"Tenants: {known}.")
    if tenant.isolation is not Isolation.TENANT_PROVIDED:
        raise UsageError(
            f"tenant {tenant_id!r} is {tenant.isolation.value}, not tenant-provided",
            code="not-tenant-provided",
            hint='byo commands apply to tenants with isolation = "tenant-provided".',
        )
    app = manifest.provider.app
    if app is None:
        raise UsageError(
            "the manifest has no [provider.app]",
            code="no-provider-app",
            hint="Add [provider.app] with client_id and home_directory of the multi-tenant app.",
        )
    if tenant.directory is None or tenant.resource_id is None:
        raise UsageError(f"tenant {tenant_id!r} needs directory and resource_id", code="incomplete-tenant")
    expected = tuple(tenant.expect_deployments)
    return ByoTarget(tenant_id, app.client_id, app.redirect_uri, tenant.directory, tenant.resource_id, expected)


def tenant_onboarding(
    manifest: Manifest,
    tenant_id: str,
    *,
    authority_host: str | None = None,
    state: str | None = None,
    cloud: CloudDefinition | None = None,
) -> Onboarding:
    """The consent URL and role assignment for one tenant of the manifest, in ``cloud`` (default: the
    manifest's; ``authority_host`` overrides its Entra host: a private or emulated cloud)."""
    from tenantctl.manifest.semantics import implied_cloud

    t = byo_target(manifest, tenant_id)
    cloud = cloud or implied_cloud(manifest)
    return onboarding(
        tenant=t.tenant,
        directory=t.directory,
        client_id=t.client_id,
        resource_id=t.resource_id,
        redirect_uri=t.redirect_uri,
        authority_host=authority_host or cloud.authority_host,
        state=state,
        scope=f"{cloud.resource_manager}{_DEFAULT_SUFFIX}",
    )
