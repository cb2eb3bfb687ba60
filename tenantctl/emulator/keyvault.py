"""Microsoft.KeyVault vaults (management plane) and the Key Vault secrets data plane.

Behaviour sources (README "Key Vault"): vault body and ``properties.vaultUri`` (azure-rest-api-specs
keyvault ``keyvault.json``); the data plane's bearer challenge: an unauthenticated request answers 401
with ``WWW-Authenticate: Bearer authorization="…/{tenant}", resource="https://vault.azure.net"``, and the
client then sends a token for ``https://vault.azure.net/.default`` (Learn "Azure Key Vault REST API error
codes", azure-keyvault-secrets ``challenge_auth_policy``); secret bundles, version ids, soft delete with
``recoveryId``/``scheduledPurgeDate`` and the 409 for a name in the deleted state (azure-rest-api-specs
keyvault data plane ``secrets.json``; Learn "Azure Key Vault soft-delete overview"); RBAC data actions of
"Key Vault Secrets Officer" / "Key Vault Secrets User" / "Key Vault Administrator" (Learn "Azure built-in
roles for Security"), or access policies when ``enableRbacAuthorization`` is false; the 403 text
``ForbiddenByRbac`` (Learn "Azure Key Vault REST API error codes").

Each vault's data plane listens on its own port of the emulator host: ``vaultUri`` is
``https://127.0.0.1:{port}/``. A path-free URL is needed because the SDK parses secret ids as
``{vault}/secrets/{name}/{version}``, and ``<vault>.localhost`` does not resolve everywhere. The request's
host (127.0.0.1) is not a subdomain of ``vault.azure.net``, so a client must be built with
``verify_challenge_resource=False`` against the emulator (the adapter does so only for the emulator).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.responses import Response

from tenantctl.emulator import rbac, tokens
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, json_response, not_found
from tenantctl.emulator.subscriptions import require_rg, rg_id
from tenantctl.emulator.world import World

NS = "Microsoft.KeyVault"
VAULT_RESOURCE = "https://vault.azure.net"
_VAULT_AUDIENCES = (VAULT_RESOURCE, VAULT_RESOURCE + "/")
_VAULT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
RECOVERABLE_DAYS = 90
_SECRETS = f"{NS}/vaults/secrets"


# ------------------------------------------------------------------ management plane


def vault_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{NS}/vaults/{name}"


def _vault_port(doc: Doc) -> int:
    m = re.match(r"^https://[^/]+:(\d+)/?$", str(doc["properties"].get("vaultUri", "")))
    return int(m.group(1)) if m else 0


def open_data_plane(world: World, doc: Doc, host: str = "127.0.0.1") -> None:
    """Listen for the vault's data plane (again, after a restart: on its old port when it is free)."""
    if world.listen is None:
        raise ArmError(500, "InternalServerError", "This emulator cannot serve a Key Vault data plane.")
    port = world.listen(_vault_port(doc))
    world.vault_ports[port] = doc["id"]
    doc["properties"]["vaultUri"] = f"https://{host}:{port}/"


def put_vault(world: World, sub: str, rg: str, name: str, body: Doc) -> tuple[Doc, bool]:
    if not _VAULT_NAME.match(name) or "--" in name:
        raise ArmError(
            400,
            "VaultNameNotValid",
            f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric "
            "characters. The name must begin with a letter, end with a letter or digit, and not contain "
            "consecutive hyphens.",
        )
    props = body.get("properties") or {}
    with world.store.tx():
        rg_doc = require_rg(world, sub, rg)
        vid = vault_id(sub, rg_doc["name"], name)
        existing = world.store.get("vault", vid)
        sub_doc = world.store.get("subscription", sub) or {}
        old = (existing or {}).get("properties", {})
        doc: Doc = {
            "id": vid,
            "name": name,
            "type": f"{NS}/vaults",
            "location": str(body.get("location") or (existing or {}).get("location", "")).replace(" ", "").lower(),
            "tags": body.get("tags") or {},
            "properties": {
                "tenantId": props.get("tenantId") or sub_doc.get("tenantId", ""),
                "sku": props.get("sku") or {"family": "A", "name": "standard"},
                "accessPolicies": props.get("accessPolicies") or [],
                "enableRbacAuthorization": bool(props.get("enableRbacAuthorization", False)),
                "enableSoftDelete": True,
                "softDeleteRetentionInDays": int(props.get("softDeleteRetentionInDays") or RECOVERABLE_DAYS),
                "publicNetworkAccess": props.get("publicNetworkAccess", "Enabled"),
                "provisioningState": "Succeeded",
                "vaultUri": old.get("vaultUri", ""),
            },
        }
        if existing is None or world.vault_ports.get(_vault_port(existing)) != vid:
            open_data_plane(world, doc)
        world.store.put("vault", vid, doc, parent=rg_doc["id"], sub=sub)
    return doc, existing is None


def reopen_vaults(world: World) -> None:
    """A restarted emulator serves the data plane of every stored vault again."""
    for doc in world.store.all("vault"):
        before = doc["properties"]["vaultUri"]
        open_data_plane(world, doc)
        if doc["properties"]["vaultUri"] != before:
            parent, sub = doc["id"].split("/providers/")[0], doc["id"].split("/")[2]
            world.store.put("vault", doc["id"], doc, parent=parent, sub=sub)


def _put(ctx: Ctx) -> Response:
    p = ctx.params
    doc, created = put_vault(ctx.world, p["subscriptionId"], p["rg"], p["name"], ctx.json_body())
    return json_response(doc, 201 if created else 200)


def _get(ctx: Ctx) -> Response:
    p = ctx.params
    doc = ctx.world.store.get("vault", vault_id(p["subscriptionId"], p["rg"], p["name"]))
    if doc is None:
        raise not_found(f"{NS}/vaults", p["name"], p["rg"])
    return json_response(doc)


def register(router: Router) -> None:
    vault = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
    router.add("GET", vault, _get, "vaults.get", f"{NS}/vaults/read")
    router.add("PUT", vault, _put, "vaults.begin_create_or_update", f"{NS}/vaults/write")


# ------------------------------------------------------------------ data plane


class VaultError(Exception):
    """A Key Vault data-plane error answer (same envelope as ARM, other codes)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _challenge(ctx: Ctx, vault: Doc) -> dict[str, str]:
    tenant = vault["properties"]["tenantId"]
    return {"WWW-Authenticate": f'Bearer authorization="{ctx.base}/{tenant}", resource="{VAULT_RESOURCE}"'}


def _authenticate(ctx: Ctx, vault: Doc, header: str) -> Doc:
    if not header:
        missing = "AKV10000: Request is missing a Bearer or PoP token."
        raise VaultError(401, "Unauthorized", missing, _challenge(ctx, vault))
    try:
        claims = tokens.verify_bearer(ctx.world, header, VAULT_RESOURCE, _VAULT_AUDIENCES)
    except ArmError as err:
        raise VaultError(401, "Unauthorized", f"AKV10022: {err.message}", _challenge(ctx, vault)) from None
    if str(claims.get("tid", "")).lower() != str(vault["properties"]["tenantId"]).lower():
        raise VaultError(
            401,
            "Unauthorized",
            "AKV10032: Invalid issuer. Expected one of the vault's tenant; the token is from another tenant.",
            _challenge(ctx, vault),
        )
    return claims


def _authorize(ctx: Ctx, vault: Doc, claims: Doc, data_action: str, permission: str) -> None:
    oid = str(claims.get("oid", "")).lower()
    props = vault["properties"]
    if props["enableRbacAuthorization"]:
        if rbac.grants_data_action(ctx.world, oid, vault["id"], data_action):
            return
        raise VaultError(
            403,
            "Forbidden",
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments "
            "or role definitions were changed recently, please observe propagation time.\r\n"
            f"Caller: appid={claims.get('appid', '')};oid={oid};iss={claims.get('iss', '')}\r\n"
            f"Action: '{data_action}'\r\nResource: '{vault['id'].lower()}'\r\nAssignment: (not found)\r\n"
            f"DecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {vault['name']};location={vault['location']}\r\n",
        )
    for policy in props["accessPolicies"]:
        allowed = [p.lower() for p in (policy.get("permissions") or {}).get("secrets") or []]
        if str(policy.get("objectId", "")).lower() == oid and (permission in allowed or "all" in allowed):
            return
    raise VaultError(
        403,
        "Forbidden",
        f"The user, group or application 'appid={claims.get('appid', '')};oid={oid}' does not have secrets "
        f"{permission} permission on key vault '{vault['name']};location={vault['location']}'. For help resolving "
        "this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
    )


def _secret_key(vault: Doc, name: str) -> str:
    return f"{vault['id']}/secrets/{name}"


def _not_found(name: str) -> VaultError:
    return VaultError(
        404,
        "SecretNotFound",
        f"A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret "
        "you may be able to recover it using the correct recovery command. For help resolving this issue, "
        "please see https://go.microsoft.com/fwlink/?linkid=2125182",
    )


def _attributes(version: Doc) -> Doc:
    return {
        "enabled": version["enabled"],
        "created": version["created"],
        "updated": version["updated"],
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": RECOVERABLE_DAYS,
    }


def _bundle(base: str, name: str, version: Doc, *, with_value: bool) -> Doc:
    doc: Doc = {
        "id": f"{base}/secrets/{name}/{version['version']}",
        "attributes": _attributes(version),
        "tags": version.get("tags") or {},
    }
    if version.get("contentType") is not None:
        doc["contentType"] = version["contentType"]
    if with_value:
        doc["value"] = version["value"]
    return doc


def _set_secret(ctx: Ctx, vault: Doc, name: str) -> Response:
    if not _SECRET_NAME.match(name):
        raise VaultError(400, "BadParameter", f"The request URI contains an invalid name: {name}")
    body = ctx.json_body()
    if not isinstance(body.get("value"), str):
        raise VaultError(400, "BadParameter", "Property 'value' is required and must be a string.")
    world = ctx.world
    key = _secret_key(vault, name)
    with world.store.tx():
        if world.store.get("deletedsecret", key) is not None:
            raise VaultError(
                409,
                "Conflict",
                f"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; "
                "in this state, the secret can only be recovered or purged.",
            )
        doc = world.store.get("secret", key) or {"name": name, "versions": []}
        stamp = int(time.time())
        attrs = body.get("attributes") or {}
        version: Doc = {
            "version": uuid.uuid4().hex,
            "value": body["value"],
            "contentType": body.get("contentType"),
            "tags": body.get("tags") or {},
            "enabled": bool(attrs.get("enabled", True)),
            "created": stamp,
            "updated": stamp,
        }
        doc["versions"].append(version)
        world.store.put("secret", key, doc, parent=vault["id"], sub=vault["id"].split("/")[2])
    return json_response(_bundle(ctx.base, name, version, with_value=True))


def _get_secret(ctx: Ctx, vault: Doc, name: str, version_id: str) -> Response:
    doc = ctx.world.store.get("secret", _secret_key(vault, name))
    if doc is None or not doc["versions"]:
        raise _not_found(name)
    if not version_id:
        return json_response(_bundle(ctx.base, name, doc["versions"][-1], with_value=True))
    for version in doc["versions"]:
        if version["version"] == version_id.lower():
            return json_response(_bundle(ctx.base, name, version, with_value=True))
    raise _not_found(f"{name}/{version_id}")


def _list_versions(ctx: Ctx, vault: Doc, name: str) -> Response:
    doc = ctx.world.store.get("secret", _secret_key(vault, name)) or {"versions": []}
    return json_response(
        {"value": [_bundle(ctx.base, name, v, with_value=False) for v in doc["versions"]], "nextLink": None}
    )


def _list_secrets(ctx: Ctx, vault: Doc) -> Response:
    items = []
    for doc in ctx.world.store.children("secret", vault["id"]):
        item = _bundle(ctx.base, doc["name"], doc["versions"][-1], with_value=False)
        item["id"] = f"{ctx.base}/secrets/{doc['name']}"
        items.append(item)
    return json_response({"value": items, "nextLink": None})


def _deleted_view(ctx: Ctx, doc: Doc) -> Doc:
    view = _bundle(ctx.base, doc["name"], doc["versions"][-1], with_value=False)
    view.update(
        {
            "recoveryId": f"{ctx.base}/deletedsecrets/{doc['name']}",
            "deletedDate": doc["deletedDate"],
            "scheduledPurgeDate": doc["deletedDate"] + RECOVERABLE_DAYS * 86400,
        }
    )
    return view


def _delete_secret(ctx: Ctx, vault: Doc, name: str) -> Response:
    world = ctx.world
    key = _secret_key(vault, name)
    with world.store.tx():
        doc = world.store.get("secret", key)
        if doc is None:
            raise _not_found(name)
        doc["deletedDate"] = int(time.time())
        world.store.delete("secret", key)
        world.store.put("deletedsecret", key, doc, parent=vault["id"], sub=vault["id"].split("/")[2])
    return json_response(_deleted_view(ctx, doc))


def _get_deleted(ctx: Ctx, vault: Doc, name: str) -> Response:
    doc = ctx.world.store.get("deletedsecret", _secret_key(vault, name))
    if doc is None:
        raise VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")
    return json_response(_deleted_view(ctx, doc))


def _purge_deleted(ctx: Ctx, vault: Doc, name: str) -> Response:
    if not ctx.world.store.delete("deletedsecret", _secret_key(vault, name)):
        raise VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")
    return Response(b"", status_code=204)


# (method, path pattern) -> (handler, data action, access-policy permission)
_ROUTES: list[tuple[str, re.Pattern[str], Any, str, str]] = [
    ("GET", re.compile(r"^/secrets/?$"), _list_secrets, f"{_SECRETS}/readMetadata/action", "list"),
    ("GET", re.compile(r"^/secrets/([^/]+)/versions/?$"), _list_versions, f"{_SECRETS}/readMetadata/action", "list"),
    ("PUT", re.compile(r"^/secrets/([^/]+)/?$"), _set_secret, f"{_SECRETS}/setSecret/action", "set"),
    ("GET", re.compile(r"^/secrets/([^/]+)/?([^/]*)/?$"), _get_secret, f"{_SECRETS}/getSecret/action", "get"),
    ("DELETE", re.compile(r"^/secrets/([^/]+)/?$"), _delete_secret, f"{_SECRETS}/delete", "delete"),
    ("GET", re.compile(r"^/deletedsecrets/([^/]+)/?$"), _get_deleted, f"{_SECRETS}/readMetadata/action", "list"),
    ("DELETE", re.compile(r"^/deletedsecrets/([^/]+)/?$"), _purge_deleted, f"{_SECRETS}/purge/action", "purge"),
]


def serve_data_plane(ctx: Ctx, vault_id_: str, authorization: str) -> Response:
    """One request to a vault's data-plane port: challenge, token, RBAC/access policy, then the operation."""
    vault = ctx.world.store.get("vault", vault_id_)
    try:
        if vault is None:
            raise VaultError(404, "VaultNotFound", "The vault this address served no longer exists.")
        claims = _authenticate(ctx, vault, authorization)
        for method, pattern, handler, data_action, permission in _ROUTES:
            m = pattern.match(ctx.path)
            if m is None or method != ctx.method:
                continue
            _authorize(ctx, vault, claims, data_action, permission)
            return handler(ctx, vault, *m.groups())  # type: ignore[no-any-return]
        raise VaultError(400, "BadParameter", f"Unsupported request: {ctx.method} {ctx.path}")
    except VaultError as err:
        return json_response({"error": {"code": err.code, "message": err.message}}, err.status, err.headers)
