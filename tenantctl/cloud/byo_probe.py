"""Verify a tenant-provided account end to end, as the provider's multi-tenant app (read-only).

The only module that uses msal. Steps, each a check of :class:`tenantctl.byo.ByoReport`:

1. token: client-credentials token for ARM in the *tenant's* directory (proves consent);
2. account: ``GET`` the account through ARM (proves the role; retried briefly on 403 because role
   assignments take time to propagate);
3. deployments: list them and compare with ``expect_deployments``;
4. network: public network access and firewall default action.

Nothing here writes to the tenant's account: only ``accounts.get`` and ``deployments.list``.
msal details follow research/identity.md §0 and §2: one ``ConfidentialClientApplication`` per
directory (the authority is fixed per instance), ``instance_discovery=False`` (no call to
login.microsoftonline.com to vet a custom authority), ``azure_region=False`` (ignore
MSAL_FORCE_REGION), and our own ``requests.Session`` so REQUESTS_CA_BUNDLE cannot override the CA.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import msal
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tenantctl.byo import (
    ARM_SCOPE,
    DEFAULT_AUTHORITY_HOST,
    AccountFacts,
    ByoReport,
    Check,
    CheckName,
    CheckStatus,
    Onboarding,
    arm_failure,
    deployments_check,
    network_check,
    onboarding,
    skipped,
    token_failure,
)
from tenantctl.cloud.app_credential import AppCredential, load_app_credential
from tenantctl.errors import TenantctlError, UsageError
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.resources import AccountRef

__all__ = [
    "DEFAULT_ARM_ENDPOINT", "ProbeCache", "RoleWait", "Verifier", "byo_verifier", "tenant_onboarding", "verify_all",
    "verify_tenant",
]

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleWait:
    """How long to keep retrying a 403 before concluding the role is missing.

    Short by default (RBAC can take up to 30 minutes to propagate, and no CLI run should wait that
    long): enough for the common "assigned a minute ago" case without slowing a plan over many tenants.
    """

    total_seconds: float = 8.0
    first_delay: float = 1.0

    def delays(self) -> list[float]:
        out: list[float] = []
        delay = self.first_delay
        while delay > 0 and sum(out) + delay <= self.total_seconds + 1e-9:  # float sums
            out.append(delay)
            delay *= 2
        return out


@dataclass
class ProbeCache:
    """What one run shares across tenants: msal apps per directory, their token cache, HTTP session.

    Reusing the app skips OIDC discovery; the shared token cache means a second check in the same
    directory never goes back to Entra.
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
            client_id, client_credential=credential.msal_credential(), authority=authority,
            instance_discovery=False, azure_region=False, http_client=self.session(ca_path),
            token_cache=self.token_cache, http_cache=self.http_cache,
        )
        with self._lock:
            return self._apps.setdefault(key, app)


class _MsalArmCredential:
    """azure-core TokenCredential over one msal app: azure-mgmt asks, the msal cache answers."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def get_token(self, *scopes: str, **_: Any) -> Any:
        result = self._app.acquire_token_for_client(list(scopes) or [ARM_SCOPE])
        if "access_token" not in result:
            raise ClientAuthenticationError(message=str(result.get("error_description", "token request failed")))
        return AccessToken(result["access_token"], int(time.time()) + int(result.get("expires_in", 300)))


@dataclass(frozen=True)
class _Target:
    """The manifest's facts about one tenant-provided tenant and the provider app."""

    tenant: str
    client_id: str
    redirect_uri: str
    directory: str
    resource_id: str
    expected: tuple[str, ...]


def _target(manifest: Manifest, tenant_id: str) -> _Target:
    tenant = manifest.tenants.get(tenant_id)
    if tenant is None:
        known = ", ".join(sorted(manifest.tenants)) or "none"
        raise UsageError(f"no tenant {tenant_id!r} in the manifest", code="unknown-tenant", hint=f"Tenants: {known}.")
    if tenant.isolation is not Isolation.TENANT_PROVIDED:
        raise UsageError(f"tenant {tenant_id!r} is {tenant.isolation.value}, not tenant-provided",
                         code="not-tenant-provided",
                         hint='byo commands apply to tenants with isolation = "tenant-provided".')
    app = manifest.provider.app
    if app is None:
        raise UsageError("the manifest has no [provider.app]", code="no-provider-app",
                         hint="Add [provider.app] with client_id and home_directory of the multi-tenant app.")
    if tenant.directory is None or tenant.resource_id is None:
        raise UsageError(f"tenant {tenant_id!r} needs directory and resource_id", code="incomplete-tenant")
    return _Target(tenant_id, app.client_id, app.redirect_uri, tenant.directory, tenant.resource_id,
                   tuple(tenant.expect_deployments))


def tenant_onboarding(
    manifest: Manifest, tenant_id: str, *, authority_host: str = DEFAULT_AUTHORITY_HOST, state: str | None = None
) -> Onboarding:
    """The consent URL and role assignment for one tenant (no I/O)."""
    t = _target(manifest, tenant_id)
    return onboarding(tenant=t.tenant, directory=t.directory, client_id=t.client_id, resource_id=t.resource_id,
                      redirect_uri=t.redirect_uri, authority_host=authority_host, state=state)


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
    t = _target(manifest, tenant_id)
    guide = tenant_onboarding(manifest, tenant_id, authority_host=authority_host)
    credential = credential_source if credential_source is not None else load_app_credential()
    cache = token_cache if token_cache is not None else ProbeCache()
    ca = str(ca_path) if ca_path else None

    def report(checks: list[Check], account: AccountFacts | None = None, attempts: int = 0) -> ByoReport:
        return ByoReport(tenant=t.tenant, directory=t.directory, resource_id=t.resource_id, client_id=t.client_id,
                         checks=tuple(checks), onboarding=guide, account=account, expect_deployments=t.expected,
                         attempts={"account": attempts})

    authority = f"{authority_host.rstrip('/')}/{t.directory}"
    token_check, app = _acquire(cache, t.client_id, authority, credential, ca, guide)
    if app is None:
        later = (CheckName.ACCOUNT, CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, *(skipped(n, CheckName.TOKEN) for n in later)])

    ref = AccountRef.parse(t.resource_id)
    client = CognitiveServicesManagementClient(
        _MsalArmCredential(app), ref.subscription_id, base_url=arm_endpoint.rstrip("/"),
        credential_scopes=[ARM_SCOPE], connection_verify=ca or True,
        retry_total=0,  # our own 403 loop is the only retry; the SDK's would hide what ARM said
    )
    account, failure, attempts = _read_account(client, ref, guide, role_wait or RoleWait())
    if account is None:
        assert failure is not None
        rest = (CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, failure, *(skipped(n, CheckName.ACCOUNT) for n in rest)], attempts=attempts)
    account_check = Check(CheckName.ACCOUNT, CheckStatus.OK, f"the provider app can read {account.name}")
    try:
        deployments = [(str(d.name), _model_name(d)) for d in client.deployments.list(ref.resource_group, ref.name)]
    except AzureError as exc:
        dep_check = replace(_arm_check(exc, guide, 1), name=CheckName.DEPLOYMENTS)
    else:
        dep_check = deployments_check(t.expected, deployments)
        account = replace(account, deployments=tuple(deployments))
    net_check = network_check(account.public_network_access, account.network_default_action, account.allowed_ips)
    return report([token_check, account_check, dep_check, net_check], account, attempts)


Verifier = Callable[[Manifest, str], dict[str, Any]]


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
        report = verify_tenant(manifest, tenant_id, authority_host=authority_host, arm_endpoint=arm_endpoint,
                               ca_path=ca_path, credential_source=credential, token_cache=cache, role_wait=role_wait)
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
    cache: ProbeCache,
    client_id: str,
    authority: str,
    credential: AppCredential,
    ca: str | None,
    guide: Onboarding,
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
        return Check(CheckName.TOKEN, CheckStatus.FAILED, "the provider app's credential could not be produced",
                     code="provider-credential", diagnosis=exc.message,
                     next_step=exc.hint or "Fix the provider app's credential configuration."), None
    except requests.RequestException as exc:
        return _unreachable(authority, exc), None
    if "access_token" in result:
        summary = f"the provider app signs in to directory {guide.directory} (consent given)"
        return Check(CheckName.TOKEN, CheckStatus.OK, summary), app
    _log.debug("token request in %s failed: %s %s", guide.directory, result.get("error"), result.get("error_codes"))
    return _token_check(result, guide), None


def _token_check(doc: dict[str, Any], guide: Onboarding) -> Check:
    return token_failure(error=str(doc.get("error", "")), codes=[int(c) for c in doc.get("error_codes") or []],
                         description=str(doc.get("error_description", "")), onboarding=guide)


def _discovery_failure(cache: ProbeCache, authority: str, ca: str | None, guide: Onboarding, exc: Exception) -> Check:
    try:
        doc = cache.session(ca).get(f"{authority}/v2.0/.well-known/openid-configuration", timeout=30).json()
    except (requests.RequestException, ValueError) as fetch_exc:
        return _unreachable(authority, fetch_exc)
    if isinstance(doc, dict) and "error" in doc:
        return _token_check(doc, guide)
    return Check(CheckName.TOKEN, CheckStatus.FAILED, "the authority's configuration could not be used",
                 code="token-failed", diagnosis=str(exc), next_step="Check the authority host and directory id.")


def _unreachable(authority: str, exc: Exception) -> Check:
    return Check(CheckName.TOKEN, CheckStatus.FAILED, f"cannot reach {authority}", code="authority-unreachable",
                 diagnosis=f"{type(exc).__name__}: the Entra endpoint did not answer.",
                 next_step="Check network access to the authority host (proxy, DNS, TLS CA).")


def _error_parts(exc: AzureError) -> tuple[int | None, str, str]:
    """(HTTP status, ARM error code, message) of an azure-core error, whichever way it was raised."""
    status = getattr(exc, "status_code", None)
    error = getattr(exc, "error", None)
    code, message = (str(error.code or ""), str(error.message or "")) if error is not None else ("", "")
    response = getattr(exc, "response", None)
    if not code and response is not None:
        try:
            body = response.json()
        except Exception:  # a body that is not JSON simply has no code
            body = None
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code, message = str(err.get("code", "")), str(err.get("message", ""))
    if not code and not isinstance(exc, HttpResponseError):
        code = type(exc).__name__  # no answer at all (connection, TLS): name what happened
    return status, code, message or str(exc.message or exc)


def _arm_check(exc: AzureError, guide: Onboarding, attempts: int) -> Check:
    status, code, message = _error_parts(exc)
    return arm_failure(status=status, code=code, message=message, onboarding=guide, attempts=attempts)


def _read_account(
    client: Any, ref: AccountRef, guide: Onboarding, wait: RoleWait
) -> tuple[AccountFacts | None, Check | None, int]:
    delays, attempt = wait.delays(), 0
    while True:
        attempt += 1
        try:
            acct = client.accounts.get(ref.resource_group, ref.name)
        except AzureError as exc:
            status, code, _ = _error_parts(exc)
            if (status == 403 or code == "AuthorizationFailed") and delays:
                # Just after onboarding the role may not have propagated: wait and ask again.
                delay = delays.pop(0)
                _log.debug("403 on %s; retrying in %.2fs (role propagation)", ref, delay)
                time.sleep(delay)
                continue
            return None, _arm_check(exc, guide, attempt), attempt
        return _facts(acct), None, attempt


def _facts(acct: Any) -> AccountFacts:
    props = acct.properties
    acls = getattr(props, "network_acls", None)
    return AccountFacts(
        name=str(acct.name),
        location=str(acct.location or ""),
        kind=str(acct.kind or ""),
        endpoint=getattr(props, "endpoint", None),
        public_network_access=getattr(props, "public_network_access", None),
        network_default_action=getattr(acls, "default_action", None),
        allowed_ips=tuple(str(r.value) for r in (getattr(acls, "ip_rules", None) or [])),
        disable_local_auth=getattr(props, "disable_local_auth", None),
    )


def _model_name(deployment: Any) -> str:
    model = getattr(getattr(deployment, "properties", None), "model", None)
    return str(getattr(model, "name", None) or "")
