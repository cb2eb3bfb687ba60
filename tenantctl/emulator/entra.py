"""Entra ID per directory: OIDC discovery, JWKS, v2 client-credentials token endpoint, admin consent.

Endpoints and the discovery keys msal requires (``authorization_endpoint``, ``token_endpoint`` with the
port) follow research/identity.md §2 ("TRIED: local HTTPS server plus msal") and §7. Error bodies follow
Entra: ``{"error","error_description":"AADSTSnnn: ...","error_codes":[n],"timestamp","trace_id",
"correlation_id"}`` with the codes of https://learn.microsoft.com/entra/identity-platform/reference-error-codes
(AADSTS700016 app not in directory, AADSTS7000215 bad secret, AADSTS90002 unknown tenant,
AADSTS700027 bad assertion signature, AADSTS70021 no matching federated credential).
A service principal exists in a directory only once the app is registered there (home) or consented
(https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
Client assertions signed by a registered certificate are verified (PS256/RS256, ``x5t#S256`` or ``x5t``
compared without base64 padding, ``aud`` = the token endpoint, ``iss == sub == client_id``, ``exp``).
Federated assertions (no certificate thumbprint) are accepted when their ``iss``/``sub`` match a
registered federated credential; their signature is NOT checked (the emulator cannot reach the IdP).
"""

from __future__ import annotations

import hmac
import time
from typing import Any
from urllib.parse import urlencode, urlparse

import jwt
from cryptography import x509
from starlette.responses import RedirectResponse, Response

from tenantctl.emulator.core import Ctx, Doc, json_response, new_guid
from tenantctl.emulator.directory import grant_consent, service_principal
from tenantctl.emulator.tokens import TOKEN_LIFETIME, issue_token


class AadError(Exception):
    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


def aad_response(err: AadError) -> Response:
    trace, corr = new_guid(), new_guid()
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    desc = f"AADSTS{err.code}: {err.description} Trace ID: {trace} Correlation ID: {corr} Timestamp: {stamp}"
    return json_response(
        {
            "error": err.error,
            "error_description": desc,
            "error_codes": [err.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={err.code}",
        },
        err.status,
    )


def _tenant(ctx: Ctx) -> str:
    tid = ctx.params["tenant"].lower()
    if ctx.world.store.get("directory", tid) is None:
        raise AadError(
            400,
            "invalid_request",
            90002,
            f"Tenant '{tid}' not found. Check to make sure you have "
            "the correct tenant ID and are signing into the correct cloud. Check with your "
            "subscription administrator, this may happen if there are no active subscriptions "
            "for the tenant.",
        )
    return tid


def openid_configuration(ctx: Ctx) -> Response:
    tid = _tenant(ctx)
    base = f"{ctx.base}/{tid}"
    return json_response(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": ctx.host.split(":")[0],
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
    )


def jwks(ctx: Ctx) -> Response:
    _tenant(ctx)
    return json_response({"keys": [ctx.world.public_jwk]})


def instance_discovery(ctx: Ctx) -> Response:

    endpoint = ctx.query.get("authorization_endpoint", "")
    parts = [p for p in urlparse(endpoint).path.split("/") if p]
    tenant = parts[0] if parts else "common"
    host = ctx.host
    return json_response(
        {
            "tenant_discovery_endpoint": f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


def _audience(scope: str) -> str:
    """The ``aud`` of a token for ``scope``: Entra removes only ``/.default``.

    ``https://management.core.windows.net//.default`` (what a client sends for a resource id ending in
    ``/``) yields ``https://management.core.windows.net/``, which ARM accepts; cutting ``.default`` alone
    would leave ``...net//``, an audience ARM refuses.
    """
    first = scope.split(maxsplit=1)[0] if scope.strip() else ""
    if not first.endswith("/.default"):
        raise AadError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {first} is not valid. "
            "Client credential flows must have a scope value with /.default suffixed to the "
            "resource identifier (application ID URI).",
        )
    return first[: -len("/.default")]


def token(ctx: Ctx) -> Response:
    tid = _tenant(ctx)
    form = ctx.form
    if form.get("grant_type") != "client_credentials":
        raise AadError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{form.get('grant_type', '')}'.",
        )
    cid = form.get("client_id", "").lower()
    app = ctx.world.store.get("app", cid) if cid else None
    sp = service_principal(ctx.world, tid, cid) if app else None
    if app is None or sp is None:
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{cid}' was not found "
            f"in the directory '{tid}'. This can happen if the application has not been installed "
            "by the administrator of the tenant or consented to by any user in the tenant. You may "
            "have sent your authentication request to the wrong tenant.",
        )
    audience = _audience(form.get("scope", ""))
    if "client_secret" in form:
        if not any(hmac.compare_digest(form["client_secret"], s) for s in app["secrets"]):
            raise AadError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret "
                "being sent in the request is the client secret value, not the client secret ID, "
                f"for a secret added to app '{cid}'.",
            )
        acr = "1"
    elif "client_assertion" in form:
        _check_assertion(ctx, tid, app, form["client_assertion"])
        acr = "2"
    else:
        raise AadError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    access = issue_token(ctx.world, ctx.host, tid, sp, audience=audience, acr=acr)
    return json_response(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME - 1,
            "ext_expires_in": TOKEN_LIFETIME - 1,
            "access_token": access,
        }
    )


def _check_assertion(ctx: Ctx, tid: str, app: Doc, assertion: str) -> None:

    bad = AadError(401, "invalid_client", 700027, "Client assertion failed signature validation.")
    try:
        header = jwt.get_unverified_header(assertion)
        claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise bad from None
    x5t256 = str(header.get("x5t#S256", "")).rstrip("=")
    x5t = str(header.get("x5t", "")).rstrip("=")
    if not x5t256 and not x5t:
        pairs = {(i.lower(), s) for i, s in app["federated"]}
        if (str(claims.get("iss", "")).lower(), str(claims.get("sub", ""))) not in pairs:
            raise AadError(
                400,
                "invalid_client",
                70021,
                "No matching federated identity record found for "
                f"presented assertion. Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: "
                f"'{claims.get('sub')}'.",
            )
        if float(claims.get("exp", 0)) < time.time():
            raise AadError(400, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        return
    cert = next((c for c in app["certificates"] if c["x5t256"] == x5t256 or c["x5t"] == x5t), None)
    if cert is None:
        raise AadError(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. "
            f"[Reason - The key was not found., Thumbprint of key used by client: '{x5t or x5t256}']",
        )

    key = x509.load_pem_x509_certificate(cert["pem"].encode()).public_key()
    try:
        verified = jwt.decode(
            assertion,
            key,  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            options={"verify_aud": False, "require": ["exp", "aud", "iss", "sub"]},
        )
    except jwt.PyJWTError:
        raise bad from None
    aud = str(verified["aud"]).lower()
    if not (aud.endswith("/oauth2/v2.0/token") or aud.endswith("/oauth2/token")) or tid not in aud:
        raise AadError(
            400,
            "invalid_client",
            700021,
            f"Client assertion audience claim does not match "
            f"Realm issuer. Review the documentation at https://aka.ms/msal-token-endpoint. "
            f"Audience: '{verified['aud']}'.",
        )
    if str(verified["iss"]).lower() != app["clientId"] or str(verified["sub"]).lower() != app["clientId"]:
        raise bad


def admin_consent(ctx: Ctx) -> Response:
    tid = _tenant(ctx)
    cid = ctx.query.get("client_id", "").lower()
    app = ctx.world.store.get("app", cid)
    if app is None or (not app["multiTenant"] and app["homeDirectory"] != tid):
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{cid}' was not found in the directory '{tid}'.",
        )
    grant_consent(ctx.world, cid, tid)
    query = {"admin_consent": "True", "tenant": tid}
    if "state" in ctx.query:
        query["state"] = ctx.query["state"]
    redirect = ctx.query.get("redirect_uri")
    if not redirect:
        return json_response(query)
    sep = "&" if "?" in redirect else "?"
    return RedirectResponse(f"{redirect}{sep}{urlencode(query)}", status_code=302)
