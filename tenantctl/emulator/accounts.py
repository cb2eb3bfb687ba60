"""Microsoft.CognitiveServices accounts: create/update/delete LROs, restore, subdomains, account limits.

Behaviour sources (research/arm-api.md): PUT → 201 + Azure-AsyncOperation with provisioningState
"Creating" (§2.2/§2.3, recorded traffic); soft delete with a 48 h hold, ``deletionDate`` /
``scheduledPurgeDate``, deletedAccounts ids and type (§3.5, recorded softdelete traffic);
``FlagMustBeSetForRestore`` and ``CustomDomainInUse`` exact messages (§3.5); 30 OpenAI accounts per
region per subscription (§3.7). Endpoint ``https://{subdomain}.openai.azure.com/`` for kind OpenAI.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.responses import Response

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS
from tenantctl.emulator import catalogue, lro
from tenantctl.emulator.core import (
    ArmError,
    Ctx,
    Doc,
    Router,
    empty_response,
    iso,
    json_response,
    new_guid,
    now,
)
from tenantctl.emulator.deleted import NS, domain_in_use, find_deleted, soft_delete
from tenantctl.emulator.lro import public
from tenantctl.emulator.quota import account_kinds, limit_for
from tenantctl.emulator.subscriptions import require_rg, rg_id
from tenantctl.emulator.world import World

_READONLY = {
    "provisioningState",
    "endpoint",
    "internalId",
    "dateCreated",
    "restore",
    "deletionDate",
    "scheduledPurgeDate",
    "endpoints",
    "capabilities",
    "callRateLimit",
    "quotaLimit",
    "skuChangeInfo",
    "isMigrated",
    "privateEndpointConnections",
    "abusePenalty",
    "commitmentPlanAssociations",
}


def account_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{NS}/accounts/{name}"


def get_account(world: World, sub: str, rg: str, name: str) -> Doc:
    doc = world.store.get("account", account_id(sub, rg, name))
    if doc is None:
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{NS}/accounts/{name}' under resource group "
            f"'{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )
    return doc


def save_account(world: World, doc: Doc) -> None:
    world.store.put("account", doc["id"], doc, parent=doc["_rgId"], sub=doc["_sub"])


def _etag() -> str:
    return f'"{new_guid()}"'


def _endpoint(kind: str, subdomain: str | None, location: str, cloud: str) -> str:
    if subdomain:
        # {sub}.openai.azure.com / .us / .cn, and cognitiveservices.azure.* beside it, per cloud.
        openai = KNOWN_CLOUDS.get(cloud, KNOWN_CLOUDS[DEFAULT_CLOUD]).openai_suffix
        host = openai if kind.lower() == "openai" else "cognitiveservices." + openai.split(".", 1)[1]
        return f"https://{subdomain}.{host}/"
    return f"https://{location}.api.cognitive.microsoft.com/"


def _check_location(location: str, cloud: str) -> None:
    available = catalogue.regions(cloud)
    if location not in available:
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{location}' is not "
            f"available for resource type '{NS}/accounts'. List of available regions for the resource "
            f"type is '{','.join(available)}'.",
        )


def _check_account_count(world: World, sub: str, location: str, kind: str) -> None:
    same = account_kinds(world, sub, location)
    total_limit = limit_for(world, sub, location, catalogue.TOTAL_ACCOUNT_USAGE)
    if len(same) >= total_limit:
        raise ArmError(
            400,
            "QuotaExceeded",
            f"Operation failed: the subscription '{sub}' has reached its quota of "
            f"{int(total_limit)} Cognitive Services accounts in region '{location}'.",
        )
    if kind.lower() != "openai":
        return
    openai_limit = limit_for(world, sub, location, catalogue.ACCOUNT_COUNT_USAGE)
    if sum(1 for kind in same if kind.lower() == "openai") >= openai_limit:
        raise ArmError(
            400,
            "QuotaExceeded",
            f"Operation failed: the subscription '{sub}' has reached its quota of "
            f"{int(openai_limit)} Azure OpenAI resources in region '{location}' (usage "
            f"'{catalogue.ACCOUNT_COUNT_USAGE}'). Delete and purge unused resources or use another "
            "region.",
        )


def _identity(world: World, sub: str, requested: Any, existing: Doc | None) -> Doc | None:
    if not isinstance(requested, dict) or str(requested.get("type", "None")).lower() == "none":
        return None
    old = (existing or {}).get("identity") or {}
    sub_doc = world.store.get("subscription", sub) or {}
    ident: Doc = {"type": requested.get("type"), "tenantId": sub_doc.get("tenantId")}
    if "systemassigned" in str(requested["type"]).lower():
        ident["principalId"] = old.get("principalId") or new_guid()
        world.store.put(
            "principal",
            ident["principalId"],
            {
                "objectId": ident["principalId"],
                "directory": sub_doc.get("tenantId", ""),
                "type": "ServicePrincipal",
            },
        )
    if requested.get("userAssignedIdentities"):
        ident["userAssignedIdentities"] = {
            k: {"principalId": new_guid(), "clientId": new_guid()} for k in requested["userAssignedIdentities"]
        }
    return ident


def _system_data(ctx: Ctx, created: str | None = None) -> Doc:
    stamp = iso(now())
    who = str((ctx.claims or {}).get("appid", ""))
    return {
        "createdBy": who,
        "createdByType": "Application",
        "createdAt": created or stamp,
        "lastModifiedBy": who,
        "lastModifiedByType": "Application",
        "lastModifiedAt": stamp,
    }


def _put(ctx: Ctx) -> Response:  # noqa: PLR0912 - the ARM rules for account PUT are one sequence
    sub, rg, name = ctx.params["subscriptionId"].lower(), ctx.params["rg"], ctx.params["name"]
    world = ctx.world
    body = ctx.json_body()
    props: Doc = dict(body.get("properties") or {})
    with world.store.tx():
        rg_doc = require_rg(world, sub, rg)
        rg = rg_doc["name"]
        aid = account_id(sub, rg, name)
        existing = world.store.get("account", aid)
        if existing is None:
            deleted = find_deleted(world, sub, rg, name)
            if deleted is not None:
                if props.get("restore") is not True:
                    raise ArmError(
                        409,
                        "FlagMustBeSetForRestore",
                        f"An existing resource with ID '{aid}' has been "
                        "soft-deleted. To restore the resource, you must specify 'restore' to be 'true' "
                        "in the property. If you don't want to restore existing resource, please purge "
                        "it first.",
                    )
                return _restore(ctx, deleted)
        else:
            lro.assert_not_busy(world, existing)
            name = existing["name"]
        location = str(body.get("location") or (existing or {}).get("location", "")).replace(" ", "").lower()
        _check_location(location, world.settings.cloud)
        if existing is not None and existing["location"] != location:
            raise ArmError(
                400,
                "InvalidResourceLocation",
                f"The resource '{name}' already exists in location "
                f"'{existing['location']}' in resource group '{rg}'. A resource with the same name cannot "
                f"be created in location '{location}'. Please select a new resource name.",
            )
        kind = str(body.get("kind") or (existing or {}).get("kind") or "")
        if not kind:
            raise ArmError(400, "KindRequired", "The kind property is required for this definition.")
        sku = body.get("sku") or (existing or {}).get("sku")
        if not isinstance(sku, dict) or not sku.get("name"):
            raise ArmError(400, "SkuRequired", "The sku property is required for this definition.")
        if existing is None:
            _check_account_count(world, sub, location, kind)
        subdomain = props.get("customSubDomainName") or (existing or {}).get("properties", {}).get(
            "customSubDomainName"
        )
        if subdomain:
            owner = world.store.get("domain", subdomain)
            if owner is not None and owner["accountId"].lower() != aid.lower():
                raise domain_in_use(subdomain)
            world.store.put("domain", subdomain, {"accountId": aid, "subdomain": subdomain.lower()})
        old_props = (existing or {}).get("properties", {})
        new_props: Doc = {k: v for k, v in props.items() if k not in _READONLY}
        if subdomain:
            new_props["customSubDomainName"] = subdomain
        new_props.setdefault("publicNetworkAccess", "Enabled")
        new_props.update(
            {
                "endpoint": _endpoint(kind, subdomain, location, world.settings.cloud),
                "internalId": old_props.get("internalId") or new_guid().replace("-", ""),
                "dateCreated": old_props.get("dateCreated") or iso(now()),
                "isMigrated": False,
                # Connections belong to the private endpoints (network.py), not to the account's body.
                "privateEndpointConnections": old_props.get("privateEndpointConnections", []),
                "apiProperties": new_props.get("apiProperties", {}),
                "provisioningState": "Creating" if existing is None else "Updating",
            }
        )
        doc: Doc = {
            "id": aid,
            "name": name,
            "type": f"{NS}/accounts",
            "location": location,
            "kind": kind,
            "sku": {"name": sku["name"]},
            "etag": _etag(),
            "properties": new_props,
            "systemData": _system_data(ctx, (existing or {}).get("systemData", {}).get("createdAt")),
            "_sub": sub,
            "_rg": rg,
            "_rgId": rg_doc["id"],
            "_keyGeneration": (existing or {}).get("_keyGeneration", {}),  # an update keeps the keys
        }
        if body.get("tags") is not None:
            doc["tags"] = body["tags"]
        ident = _identity(world, sub, body.get("identity"), existing)
        if ident is not None:
            doc["identity"] = ident
        op = lro.begin_write(world, ctx, doc, action="account.write", verb="create" if existing is None else "update")
        save_account(world, doc)
    return json_response(public(doc), 201 if existing is None else 200, lro.async_headers(ctx, op))


def _restore(ctx: Ctx, deleted: Doc) -> Response:
    world = ctx.world
    doc: Doc = dict(deleted["_account"])
    doc["properties"]["provisioningState"] = "Creating"
    doc["etag"] = _etag()
    op = lro.begin_write(world, ctx, doc, action="account.write", verb="create")
    save_account(world, doc)
    for kind, children in deleted["_children"].items():
        for child in children:
            world.store.put(kind, child["id"], child, parent=child.get("_parent", child["_account"]), sub=doc["_sub"])
    world.store.delete("deleted_account", deleted["id"])
    return json_response(public(doc), 201, lro.async_headers(ctx, op))


def _patch(ctx: Ctx) -> Response:
    world = ctx.world
    body = ctx.json_body()
    with world.store.tx():
        doc = get_account(world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
        lro.assert_not_busy(world, doc)
        if "tags" in body:
            doc["tags"] = body["tags"]
        if isinstance(body.get("sku"), dict) and body["sku"].get("name"):
            doc["sku"] = {"name": body["sku"]["name"]}
        props = {k: v for k, v in (body.get("properties") or {}).items() if k not in _READONLY}
        if (
            "customSubDomainName" in props
            and props["customSubDomainName"] != doc["properties"].get("customSubDomainName")
            and doc["properties"].get("customSubDomainName")
        ):
            raise ArmError(
                400,
                "CustomSubDomainNameCannotBeChanged",
                "The custom subdomain name of an account cannot be changed once set.",
            )
        doc["properties"].update(props)
        if "identity" in body:
            ident = _identity(world, doc["_sub"], body["identity"], doc)
            doc.pop("identity", None)
            if ident is not None:
                doc["identity"] = ident
        doc["properties"]["provisioningState"] = "Updating"
        doc["etag"] = _etag()
        doc["systemData"] = _system_data(ctx, doc.get("systemData", {}).get("createdAt"))
        op = lro.begin_write(world, ctx, doc, action="account.write", verb="update")
        save_account(world, doc)
    return json_response(public(doc), 200, lro.async_headers(ctx, op))


def _delete(ctx: Ctx) -> Response:
    world = ctx.world
    with world.store.tx():
        doc = world.store.get("account", account_id(ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"]))
        if doc is None:
            return empty_response(204)
        lro.assert_not_busy(world, doc)
        doc["_before"] = doc["properties"]["provisioningState"]
        doc["properties"]["provisioningState"] = "Deleting"
        op = lro.begin_write(world, ctx, doc, action="account.delete", verb="delete")
        save_account(world, doc)
    return empty_response(202, lro.location_headers(ctx, op))


def _finish_write(world: World, op: Doc) -> None:
    doc = world.store.get("account", op["resourceId"])
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op["error"] else "Succeeded"
        save_account(world, doc)


def _finish_delete(world: World, op: Doc) -> None:
    doc = world.store.get("account", op["resourceId"])
    if doc is None:
        return
    if op["error"]:
        doc["properties"]["provisioningState"] = doc.pop("_before", "Succeeded")
        save_account(world, doc)
        return
    soft_delete(world, doc)


lro.FINALIZERS.update(
    {
        "account.write": _finish_write,
        "account.delete": _finish_delete,
    }
)


def _get(ctx: Ctx) -> Response:
    return json_response(
        public(get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"]))
    )


def _list_rg(ctx: Ctx) -> Response:
    require_rg(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"])
    rid = rg_id(ctx.params["subscriptionId"], ctx.params["rg"])
    return ctx.page([public(a) for a in ctx.world.store.children("account", rid)])


def _list_sub(ctx: Ctx) -> Response:
    return ctx.page([public(a) for a in ctx.world.store.in_subscription("account", ctx.params["subscriptionId"])])


def _keys(doc: Doc) -> Doc:
    # Derived from the account's internal id and a per-key generation, so a regenerated key differs from
    # every earlier one while the emulator stores no key material.
    seed = doc["properties"]["internalId"]
    generation = doc.get("_keyGeneration") or {}
    return {
        name: hashlib.sha256(f"{seed}{name[-1]}:{generation.get(name, 0)}".encode()).hexdigest()
        for name in ("key1", "key2")
    }


def _refuse_without_local_auth(doc: Doc, verb: str) -> None:
    # Azure answers listKeys on an account with disableLocalAuth=true with this 400 (README "Keys").
    if doc["properties"].get("disableLocalAuth"):
        raise ArmError(400, "BadRequest", f"Failed to {verb} key. disableLocalAuth is set to be true")


def _list_keys(ctx: Ctx) -> Response:
    doc = get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
    _refuse_without_local_auth(doc, "list")
    return json_response(_keys(doc))


def _regenerate_key(ctx: Ctx) -> Response:
    world = ctx.world
    key_name = str(ctx.json_body().get("keyName", ""))
    if key_name.lower() not in ("key1", "key2"):
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: keyName '{key_name}' is not one "
            "of 'Key1', 'Key2'.",
        )
    with world.store.tx():
        doc = get_account(world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
        _refuse_without_local_auth(doc, "regenerate")
        generation = dict(doc.get("_keyGeneration") or {})
        generation[key_name.lower()] = generation.get(key_name.lower(), 0) + 1
        doc["_keyGeneration"] = generation
        save_account(world, doc)
    return json_response(_keys(doc))


def register(router: Router) -> None:
    acct = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts"
    prov = "/subscriptions/{subscriptionId}/providers/Microsoft.CognitiveServices"
    read, write, delete = f"{NS}/accounts/read", f"{NS}/accounts/write", f"{NS}/accounts/delete"
    router.add("GET", acct, _list_rg, "accounts.list_by_resource_group", read)
    router.add("GET", acct + "/{name}", _get, "accounts.get", read)
    router.add("PUT", acct + "/{name}", _put, "accounts.begin_create", write)
    router.add("PATCH", acct + "/{name}", _patch, "accounts.begin_update", write)
    router.add("DELETE", acct + "/{name}", _delete, "accounts.begin_delete", delete)
    router.add("POST", acct + "/{name}/listKeys", _list_keys, "accounts.list_keys", f"{NS}/accounts/listKeys/action")
    router.add(
        "POST",
        acct + "/{name}/regenerateKey",
        _regenerate_key,
        "accounts.regenerate_key",
        f"{NS}/accounts/regenerateKey/action",
    )
    router.add("GET", prov + "/accounts", _list_sub, "accounts.list", read)
