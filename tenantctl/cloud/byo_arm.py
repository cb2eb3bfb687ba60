"""The ARM half of verifying a tenant-provided account: read the account and its deployments.

Read-only by construction: the only calls are ``accounts.get`` and ``deployments.list``. The token
comes from the msal app of :mod:`tenantctl.cloud.byo_probe` through a tiny TokenCredential, so the
same cached token serves every ARM call of a directory.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tenantctl.resources import AccountRef
from tenantctl.tenant_provided import ARM_SCOPE, AccountFacts, Check, CheckName, Onboarding, arm_failure
from tenantctl.tenant_provided.verification import RoleWait

__all__ = ["MsalArmCredential", "account_client", "list_deployments", "read_account"]

_log = logging.getLogger(__name__)


class MsalArmCredential:
    """azure-core TokenCredential over one msal app: azure-mgmt asks, the msal cache answers."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        result = self._app.acquire_token_for_client(list(scopes) or [ARM_SCOPE])
        if "access_token" not in result:
            raise ClientAuthenticationError(message=str(result.get("error_description", "token request failed")))
        return AccessToken(result["access_token"], int(time.time()) + int(result.get("expires_in", 300)))


def account_client(
    app: Any, subscription_id: str, arm_endpoint: str, ca_path: str | None, scope: str = ARM_SCOPE
) -> Any:
    """A CognitiveServicesManagementClient signed in as the provider app in the tenant's directory."""
    return CognitiveServicesManagementClient(
        MsalArmCredential(app),
        subscription_id,
        base_url=arm_endpoint.rstrip("/"),
        credential_scopes=[scope],  # the cloud's ARM audience
        connection_verify=ca_path or True,  # per request: REQUESTS_CA_BUNDLE cannot override it
        retry_total=0,  # our own 403 loop is the only retry; the SDK's would hide what ARM said
    )


def error_parts(exc: AzureError) -> tuple[int | None, str, str]:
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
    status, code, message = error_parts(exc)
    return arm_failure(status=status, code=code, message=message, onboarding=guide, attempts=attempts)


def read_account(
    client: Any, ref: AccountRef, guide: Onboarding, wait: RoleWait
) -> tuple[AccountFacts | None, Check | None, int]:
    """(facts, None, attempts) or (None, failed account check, attempts); 403 is retried per ``wait``."""
    delays, attempt = wait.delays(), 0
    while True:
        attempt += 1
        try:
            acct = client.accounts.get(ref.resource_group, ref.name)
        except AzureError as exc:
            status, code, _ = error_parts(exc)
            if (status == 403 or code == "AuthorizationFailed") and delays:
                # Just after onboarding the role may not have propagated: wait and ask again.
                delay = delays.pop(0)
                _log.debug("403 on %s; retrying in %.2fs (role propagation)", ref, delay)
                time.sleep(delay)
                continue
            return None, _arm_check(exc, guide, attempt), attempt
        return _facts(acct), None, attempt


def list_deployments(client: Any, ref: AccountRef, guide: Onboarding) -> tuple[list[tuple[str, str]], Check | None]:
    """[(deployment name, model name)], or a failed deployments check."""
    try:
        return [(str(d.name), _model_name(d)) for d in client.deployments.list(ref.resource_group, ref.name)], None
    except AzureError as exc:
        return [], replace(_arm_check(exc, guide, 1), name=CheckName.DEPLOYMENTS)


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
