"""Verify a tenant-provided account as the provider's multi-tenant app: the Entra and ARM probe (read-only).

The only module that uses msal. It implements the :class:`AccountReader` that
:func:`tenantctl.tenant_provided.verification.verify_with` runs the checks through: a
client-credentials token for ARM in the *tenant's* directory, then ``GET`` the account and list its
deployments (:mod:`tenantctl.cloud.byo_arm`, retried briefly on 403 because role assignments take
time to propagate). Nothing here writes to the tenant's account.

msal details follow research/identity.md §0 and §2: one ``ConfidentialClientApplication`` per
directory (the authority is fixed per instance), ``instance_discovery=False`` (no call to
login.microsoftonline.com to vet a custom authority), ``azure_region=False`` (ignore
MSAL_FORCE_REGION), and our own ``requests.Session`` so that REQUESTS_CA_BUNDLE cannot override an
explicit CA.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import msal
import requests

from tenantctl.cloud.app_credential import AppCredential, load_app_credential
from tenantctl.cloud.byo_arm import account_client, list_deployments, read_account
from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS
from tenantctl.errors import TenantctlError
from tenantctl.manifest.model import Manifest
from tenantctl.resources import AccountRef
from tenantctl.tenant_provided import (
    ARM_SCOPE,
    DEFAULT_AUTHORITY_HOST,
    AccountFacts,
    ByoReport,
    ByoTarget,
    Check,
    CheckName,
    CheckStatus,
    Onboarding,
    byo_target,
    tenant_onboarding,
    token_failure,
)
from tenantctl.tenant_provided.verification import (
    DEFAULT_ARM_ENDPOINT,
    ProbeEndpoints,
    ReportVerifier,
    RoleWait,
    verify_with,
)

if TYPE_CHECKING:
    from tenantctl.emulator import Emulator

__all__ = [
    "EMULATED_SECRET_SOURCE",
    "ProbeCache",
    "emulator_report_verifier",
    "report_verifier",
    "verify_tenant",
]

EMULATED_SECRET_SOURCE = "the emulator (generated, in memory)"  # noqa: S105 - where a secret came from
_log = logging.getLogger(__name__)


@dataclass
class ProbeCache:
    """What one run shares across tenants: msal apps per directory, their token cache, HTTP session.

    Reusing the app skips OIDC discovery; the shared token cache means a second check in the same
    directory never goes back to Entra. Thread-safe (plan verifies tenants concurrently).
    """

    _apps: dict[tuple[str, str, str, int], Any] = field(default_factory=dict)
    _sessions: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    token_cache: Any = None
    http_cache: dict[str, Any] = field(default_factory=dict)

    def session(self, ca_path: str | None) -> Any:
        key = ca_path or ""
        with self._lock:
            if key not in self._sessions:
                s = requests.Session()
                if ca_path:
                    # An explicit CA (the emulator): ignore REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, which
                    # would silently override Session.verify (psf/requests#3829).
                    s.verify = ca_path
                    s.trust_env = False
                # Without one (real Azure) keep trust_env: corporate proxies and CA bundles must work.
                self._sessions[key] = s
            return self._sessions[key]

    def app(self, client_id: str, authority: str, credential: AppCredential, ca_path: str | None) -> Any:
        """One ConfidentialClientApplication per (directory, app, credential); built on first use."""
        key = (authority.lower(), client_id.lower(), ca_path or "", id(credential))
        with self._lock:
            if self.token_cache is None:
                self.token_cache = msal.TokenCache()
            existing = self._apps.get(key)
        if existing is not None:
            return existing
        app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential.msal_credential(),
            authority=authority,
            instance_discovery=False,
            azure_region=False,
            http_client=self.session(ca_path),
            token_cache=self.token_cache,
            http_cache=self.http_cache,
        )
        with self._lock:
            return self._apps.setdefault(key, app)


class _EntraReader:
    """:class:`AccountReader` over msal (the token) and azure-mgmt (the ARM reads), for one tenant."""

    def __init__(  # noqa: PLR0917 - private, built once per verification
        self,
        cache: ProbeCache,
        target: ByoTarget,
        guide: Onboarding,
        credential: AppCredential,
        endpoints: tuple[str, str, str | None, str],
        role_wait: RoleWait,
    ) -> None:
        authority_host, self._arm_endpoint, self._ca, self._scope = endpoints
        self._authority = f"{authority_host.rstrip('/')}/{target.directory}"
        self._cache, self._target, self._guide, self._credential = cache, target, guide, credential
        self._ref = AccountRef.parse(target.resource_id)
        self._role_wait = role_wait
        self._client: Any = None

    def sign_in(self) -> Check:
        check, app = _acquire(
            self._cache, self._target.client_id, self._authority, self._credential, self._ca, self._guide, self._scope
        )
        if app is not None:
            self._client = account_client(app, self._ref.subscription_id, self._arm_endpoint, self._ca, self._scope)
        return check

    def read_account(self) -> tuple[AccountFacts | None, Check | None, int]:
        return read_account(self._client, self._ref, self._guide, self._role_wait)

    def list_deployments(self) -> tuple[list[tuple[str, str]], Check | None]:
        return list_deployments(self._client, self._ref, self._guide)


def verify_tenant(
    manifest: Manifest,
    tenant_id: str,
    *,
    authority_host: str = DEFAULT_AUTHORITY_HOST,
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT,
    ca_path: str | None = None,
    credential_source: AppCredential | None = None,
    token_cache: ProbeCache | None = None,
    role_wait: RoleWait | None = None,
    arm_scope: str = ARM_SCOPE,
) -> ByoReport:
    """Verify that the provider app reaches the tenant's account; never raises for cloud failures.

    ``credential_source`` defaults to :func:`load_app_credential` (environment or files); a
    missing credential is a UsageError, not a failed check, because it is the operator's to fix.
    ``token_cache`` shares msal apps and tokens across the tenants of one run (plan, inspect).
    """
    target = byo_target(manifest, tenant_id)
    guide = tenant_onboarding(manifest, tenant_id, authority_host=authority_host)
    credential = credential_source if credential_source is not None else load_app_credential()
    cache = token_cache if token_cache is not None else ProbeCache()
    endpoints = (authority_host, arm_endpoint, str(ca_path) if ca_path else None, arm_scope)
    reader = _EntraReader(cache, target, guide, credential, endpoints, role_wait or RoleWait())
    return verify_with(target, guide, reader)


def report_verifier(
    *,
    endpoints: ProbeEndpoints | None = None,
    credential_source: AppCredential | None = None,
    role_wait: RoleWait | None = None,
) -> ReportVerifier:
    """``verify(manifest, tenant_id) -> ByoReport`` against one cloud, sharing one ProbeCache across tenants.

    Without ``credential_source`` the credential is loaded from the environment at each call (a
    UsageError when there is none).
    """
    hosts = endpoints or ProbeEndpoints()
    cache = ProbeCache()

    def verify(manifest: Manifest, tenant_id: str) -> ByoReport:
        return verify_tenant(
            manifest,
            tenant_id,
            authority_host=hosts.authority_host,
            arm_endpoint=hosts.arm_endpoint,
            ca_path=hosts.ca_path,
            credential_source=credential_source if credential_source is not None else load_app_credential(),
            token_cache=cache,
            role_wait=role_wait,
            arm_scope=hosts.arm_scope,
        )

    return verify


def emulator_report_verifier(
    emulator: Emulator,
    manifest: Manifest,
    *,
    consent: bool = True,
    assign_role: bool = True,
    role_wait: RoleWait | None = None,
) -> ReportVerifier:
    """Play each tenant's admin in the emulator, then a verifier aimed at it (while it runs).

    The set-up is the emulator's (:func:`tenantctl.emulator.tenant_admin.onboard_tenant_admins`);
    this only points the probe at the emulator's hosts and CA, like ``connect_emulator`` does for
    the provider's own cloud, and signs in with the emulated app's in-memory secret.
    """
    from tenantctl.emulator.tenant_admin import onboard_tenant_admins

    onboarded = onboard_tenant_admins(emulator, manifest, consent=consent, assign_role=assign_role)
    return report_verifier(
        endpoints=ProbeEndpoints(
            emulator.endpoint,
            emulator.endpoint,
            str(emulator.ca_path),
            KNOWN_CLOUDS.get(emulator.settings.cloud, KNOWN_CLOUDS[DEFAULT_CLOUD]).arm_scope,
        ),
        credential_source=AppCredential.from_secret(onboarded.client_secret, source=EMULATED_SECRET_SOURCE),
        role_wait=role_wait,
    )


def _acquire(  # noqa: PLR0917 - private helper of verify_tenant
    cache: ProbeCache,
    client_id: str,
    authority: str,
    credential: AppCredential,
    ca: str | None,
    guide: Onboarding,
    scope: str = ARM_SCOPE,
) -> tuple[Check, Any]:
    """(token check, msal app or None when no token could be had)."""
    try:
        app = cache.app(client_id, authority, credential, ca)
        result = app.acquire_token_for_client([scope])
    except ValueError as exc:
        # msal raises in the constructor when OIDC discovery fails, which for a real authority
        # means Entra refused the directory; fetch the document to learn the AADSTS code.
        return _discovery_failure(cache, authority, ca, guide, exc), None
    except TenantctlError as exc:  # the credential itself failed (token file unreadable, OIDC refused)
        next_step = exc.hint or "Fix the provider app's credential configuration."
        failed = Check(CheckName.TOKEN, CheckStatus.FAILED, "the provider app's credential could not be produced")
        return replace(failed, code="provider-credential", diagnosis=exc.message, next_step=next_step), None
    except requests.RequestException as exc:
        return _unreachable(authority, exc), None
    if "access_token" in result:
        summary = f"the provider app signs in to directory {guide.directory} (consent given)"
        return Check(CheckName.TOKEN, CheckStatus.OK, summary), app
    _log.debug("token request in %s failed: %s %s", guide.directory, result.get("error"), result.get("error_codes"))
    return _token_check(result, guide), None


def _token_check(doc: dict[str, Any], guide: Onboarding) -> Check:
    codes = [int(c) for c in doc.get("error_codes") or []]
    description = str(doc.get("error_description", ""))
    return token_failure(error=str(doc.get("error", "")), codes=codes, description=description, onboarding=guide)


def _discovery_failure(cache: ProbeCache, authority: str, ca: str | None, guide: Onboarding, exc: Exception) -> Check:
    try:
        doc = cache.session(ca).get(f"{authority}/v2.0/.well-known/openid-configuration", timeout=30).json()
    except (requests.RequestException, ValueError) as fetch_exc:
        return _unreachable(authority, fetch_exc)
    if isinstance(doc, dict) and "error" in doc:
        return _token_check(doc, guide)
    failed = Check(CheckName.TOKEN, CheckStatus.FAILED, "the authority's configuration could not be used")
    return replace(failed, code="token-failed", diagnosis=str(exc), next_step="Check the authority host and id.")


def _unreachable(authority: str, exc: Exception) -> Check:
    failed = Check(CheckName.TOKEN, CheckStatus.FAILED, f"cannot reach {authority}", code="authority-unreachable")
    return replace(
        failed,
        diagnosis=f"{type(exc).__name__}: the Entra endpoint did not answer.",
        next_step="Check network access to the authority host (proxy, DNS, TLS CA).",
    )
