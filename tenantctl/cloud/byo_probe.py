"""Verify a tenant-provided account end to end, as the provider's multi-tenant app (read-only).

The only module that uses msal. Steps, each a check of :class:`tenantctl.byo.ByoReport`:

1. token: client-credentials token for ARM in the *tenant's* directory (proves consent);
2. account: ``GET`` the account through ARM (proves the role; retried briefly on 403 because role
   assignments take time to propagate), see :mod:`tenantctl.cloud.byo_arm`;
3. deployments: list them and compare with ``expect_deployments``;
4. network: public network access and firewall default action.

Nothing here writes to the tenant's account. msal details follow research/identity.md §0 and §2:
one ``ConfidentialClientApplication`` per directory (the authority is fixed per instance),
``instance_discovery=False`` (no call to login.microsoftonline.com to vet a custom authority),
``azure_region=False`` (ignore MSAL_FORCE_REGION), and our own ``requests.Session`` so that
REQUESTS_CA_BUNDLE cannot override an explicit CA.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import msal
import requests

from tenantctl.byo import (
    ARM_SCOPE,
    DEFAULT_AUTHORITY_HOST,
    AccountFacts,
    ByoReport,
    Check,
    CheckName,
    CheckStatus,
    Onboarding,
    byo_target,
    deployments_check,
    network_check,
    skipped,
    tenant_onboarding,
    token_failure,
)
from tenantctl.cloud.app_credential import AppCredential, load_app_credential
from tenantctl.cloud.byo_arm import RoleWait, account_client, list_deployments, read_account
from tenantctl.errors import TenantctlError, UsageError
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.resources import AccountRef

__all__ = [
    "DEFAULT_ARM_ENDPOINT",
    "ProbeCache",
    "RoleWait",
    "Verifier",
    "byo_verifier",
    "tenant_onboarding",
    "verify_all",
    "verify_tenant",
]

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
Verifier = Callable[[Manifest, str], dict[str, Any]]
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
) -> ByoReport:
    """Verify that the provider app reaches the tenant's account; never raises for cloud failures.

    ``credential_source`` defaults to :func:`load_app_credential` (environment or files); a
    missing credential is a UsageError, not a failed check, because it is the operator's to fix.
    ``token_cache`` shares msal apps and tokens across the tenants of one run (plan, inspect).
    """
    t = byo_target(manifest, tenant_id)
    guide = tenant_onboarding(manifest, tenant_id, authority_host=authority_host)
    credential = credential_source if credential_source is not None else load_app_credential()
    cache = token_cache if token_cache is not None else ProbeCache()
    ca = str(ca_path) if ca_path else None

    def report(checks: list[Check], account: AccountFacts | None = None, attempts: int = 0) -> ByoReport:
        return ByoReport(
            tenant=t.tenant,
            directory=t.directory,
            resource_id=t.resource_id,
            client_id=t.client_id,
            checks=tuple(checks),
            onboarding=guide,
            account=account,
            expect_deployments=t.expected,
            attempts={"account": attempts},
        )

    authority = f"{authority_host.rstrip('/')}/{t.directory}"
    token_check, app = _acquire(cache, t.client_id, authority, credential, ca, guide)
    if app is None:
        later = (CheckName.ACCOUNT, CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, *(skipped(n, CheckName.TOKEN) for n in later)])

    ref = AccountRef.parse(t.resource_id)
    client = account_client(app, ref.subscription_id, arm_endpoint, ca)
    account, failure, attempts = read_account(client, ref, guide, role_wait or RoleWait())
    if account is None:
        assert failure is not None
        rest = (CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, failure, *(skipped(n, CheckName.ACCOUNT) for n in rest)], attempts=attempts)
    account_check = Check(CheckName.ACCOUNT, CheckStatus.OK, f"the provider app can read {account.name}")
    deployments, listing_failure = list_deployments(client, ref, guide)
    if listing_failure is None:
        dep_check = deployments_check(t.expected, deployments)
        account = replace(account, deployments=tuple(deployments))
    else:
        dep_check = listing_failure
    net_check = network_check(account.public_network_access, account.network_default_action, account.allowed_ips)
    return report([token_check, account_check, dep_check, net_check], account, attempts)


def byo_verifier(
    *,
    authority_host: str = DEFAULT_AUTHORITY_HOST,
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT,
    ca_path: str | None = None,
    credential_source: AppCredential | None = None,
    role_wait: RoleWait | None = None,
) -> Verifier:
    """``verify(manifest, tenant_id) -> JSON`` for plan, status and inspect, sharing one ProbeCache.

    The JSON is :meth:`ByoReport.to_json` plus ``"available": true``; when no app credential is
    configured it is ``{"available": false, "tenant", "reason", "hint"}`` instead of an error, so a
    plan over other tenants still runs and shows these as unverified.
    """
    cache = ProbeCache()

    def verify(manifest: Manifest, tenant_id: str) -> dict[str, Any]:
        try:
            credential = credential_source if credential_source is not None else load_app_credential()
        except UsageError as exc:
            return {"available": False, "tenant": tenant_id, "reason": exc.message, "hint": exc.hint}
        report = verify_tenant(
            manifest,
            tenant_id,
            authority_host=authority_host,
            arm_endpoint=arm_endpoint,
            ca_path=ca_path,
            credential_source=credential,
            token_cache=cache,
            role_wait=role_wait,
        )
        return {"available": True, **report.to_json()}

    return verify


def verify_all(manifest: Manifest, verifier: Verifier, *, max_workers: int = 8) -> dict[str, dict[str, Any]]:
    """Every tenant-provided tenant of the manifest, verified concurrently (2 ARM reads each)."""
    tenants = sorted(t for t, spec in manifest.tenants.items() if spec.isolation is Isolation.TENANT_PROVIDED)
    if not tenants:
        return {}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(tenants)), thread_name_prefix="byo") as pool:
        return dict(zip(tenants, pool.map(lambda t: verifier(manifest, t), tenants), strict=True))


def _acquire(  # noqa: PLR0917 - private helper of verify_tenant
    cache: ProbeCache, client_id: str, authority: str, credential: AppCredential, ca: str | None, guide: Onboarding
) -> tuple[Check, Any]:
    """(token check, msal app or None when no token could be had)."""
    try:
        app = cache.app(client_id, authority, credential, ca)
        result = app.acquire_token_for_client([ARM_SCOPE])
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
