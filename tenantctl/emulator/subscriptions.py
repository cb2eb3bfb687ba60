"""ARM tenant-level surface: cloud metadata, subscriptions, tenants and resource groups.

``/metadata/endpoints`` mirrors management.azure.com/metadata/endpoints (api-version 2022-09-01 answers
a list of clouds; older versions one object) with every ARM/login URL pointing at the emulator's host; its
``name`` and ``audiences`` are those of the emulated cloud (``EmulatorSettings.cloud``).
Resource groups follow azure-mgmt-resource 26 (research/arm-api.md §4.1): PUT 200/201 (not LRO),
HEAD 204/404, DELETE an LRO (202 + Location) that also soft-deletes the accounts inside.
"""

from __future__ import annotations

from starlette.responses import Response

from tenantctl.clouds import DEFAULT_CLOUD, KNOWN_CLOUDS
from tenantctl.emulator import lro
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, json_response, not_found
from tenantctl.emulator.world import World


def _metadata(ctx: Ctx) -> Response:
    base = ctx.base + "/"
    emulated = KNOWN_CLOUDS.get(ctx.world.settings.cloud, KNOWN_CLOUDS[DEFAULT_CLOUD])
    cloud = {
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": [emulated.arm_audience, emulated.resource_manager + "/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": ctx.world.settings.cloud,
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": base,
        "vmImageAliasDoc": "",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    }
    if ctx.query.get("api-version", "2022-09-01") >= "2022-09-01":
        return json_response([cloud])
    return json_response(
        {
            "galleryEndpoint": base,
            "graphEndpoint": "https://graph.windows.net/",
            "portalEndpoint": base,
            "authentication": cloud["authentication"],
        }
    )


def _visible_subscriptions(ctx: Ctx) -> list[Doc]:
    tid = str((ctx.claims or {}).get("tid", ""))
    scopes = [ra["properties"]["scope"].lower() for ra in ctx.world.store.children("roleassignment", ctx.principal)]
    out = []
    for sub in ctx.world.store.all("subscription"):
        if sub["tenantId"] != tid:
            continue
        prefix = f"/subscriptions/{sub['subscriptionId']}"
        if any(s == prefix or s.startswith(prefix + "/") or s == "/" for s in scopes):
            out.append(sub)
    return out


def _list_subscriptions(ctx: Ctx) -> Response:
    return ctx.page(_visible_subscriptions(ctx))


def _get_subscription(ctx: Ctx) -> Response:
    sub = ctx.world.store.get("subscription", ctx.params["subscriptionId"])
    assert sub is not None  # the app checked the subscription exists
    return json_response(sub)


def _list_tenants(ctx: Ctx) -> Response:
    tid = str((ctx.claims or {}).get("tid", ""))
    return ctx.page(
        [
            {
                "id": f"/tenants/{tid}",
                "tenantId": tid,
                "tenantCategory": "Home",
                "displayName": f"Directory {tid[:8]}",
                "defaultDomain": f"{tid[:8]}.onmicrosoft.com",
                "tenantType": "AAD",
            }
        ]
    )


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def require_rg(world: World, sub: str, rg: str) -> Doc:
    doc = world.store.get("rg", rg_id(sub, rg))
    if doc is None:
        raise not_found("ResourceGroup", rg)
    return doc


def _rg_head(ctx: Ctx) -> Response:
    found = ctx.world.store.get("rg", rg_id(ctx.params["subscriptionId"], ctx.params["rg"])) is not None
    return empty_response(204 if found else 404)


def _rg_get(ctx: Ctx) -> Response:
    return json_response(require_rg(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"]))


def _rg_put(ctx: Ctx) -> Response:
    sub, rg = ctx.params["subscriptionId"].lower(), ctx.params["rg"]
    body = ctx.json_body()
    location = str(body.get("location", "")).replace(" ", "").lower()
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    existing = ctx.world.store.get("rg", rg_id(sub, rg))
    if existing is not None and existing.get("properties", {}).get("provisioningState") == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{existing['name']}' is in deprovisioning state and cannot perform this operation.",
        )
    name = existing["name"] if existing else rg
    doc: Doc = {
        "id": rg_id(sub, name),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": existing["location"] if existing else location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    if body.get("managedBy"):
        doc["managedBy"] = body["managedBy"]
    ctx.world.store.put("rg", doc["id"], doc, parent=f"/subscriptions/{sub}", sub=sub)
    return json_response(doc, 200 if existing else 201)


def _rg_patch(ctx: Ctx) -> Response:
    doc = require_rg(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"])
    body = ctx.json_body()
    if "tags" in body:
        doc["tags"] = body["tags"]
    ctx.world.store.put(
        "rg",
        doc["id"],
        doc,
        parent=f"/subscriptions/{ctx.params['subscriptionId']}",
        sub=ctx.params["subscriptionId"],
    )
    return json_response(doc)


def _rg_list(ctx: Ctx) -> Response:
    return ctx.page(ctx.world.store.children("rg", f"/subscriptions/{ctx.params['subscriptionId']}"))


def _rg_delete(ctx: Ctx) -> Response:
    sub = ctx.params["subscriptionId"].lower()
    doc = ctx.world.store.get("rg", rg_id(sub, ctx.params["rg"]))
    if doc is None:
        raise not_found("ResourceGroup", ctx.params["rg"])
    doc["properties"]["provisioningState"] = "Deleting"
    ctx.world.store.put("rg", doc["id"], doc, parent=f"/subscriptions/{sub}", sub=sub)
    op = lro.start(
        ctx.world,
        ctx,
        action="rg.delete",
        resource_id=doc["id"],
        sub=sub,
        location=doc["location"],
        verb="delete",
    )
    return empty_response(202, lro.location_headers(ctx, op))


def register(router: Router) -> None:
    rgs = "/subscriptions/{subscriptionId}/resourcegroups"
    rg_read, rg_write = (
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Resources/subscriptions/resourceGroups/write",
    )
    router.add("GET", "/subscriptions", _list_subscriptions, "subscriptions.list")
    router.add("GET", "/tenants", _list_tenants, "tenants.list")
    router.add(
        "GET",
        "/subscriptions/{subscriptionId}",
        _get_subscription,
        "subscriptions.get",
        "Microsoft.Resources/subscriptions/read",
    )
    router.add("GET", rgs, _rg_list, "resource_groups.list", rg_read)
    router.add("HEAD", rgs + "/{rg}", _rg_head, "resource_groups.check_existence", rg_read)
    router.add("GET", rgs + "/{rg}", _rg_get, "resource_groups.get", rg_read)
    router.add("PUT", rgs + "/{rg}", _rg_put, "resource_groups.create_or_update", rg_write)
    router.add("PATCH", rgs + "/{rg}", _rg_patch, "resource_groups.update", rg_write)
    router.add(
        "DELETE",
        rgs + "/{rg}",
        _rg_delete,
        "resource_groups.begin_delete",
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
    )


def register_public(router: Router) -> None:
    router.add("GET", "/metadata/endpoints", _metadata, "metadata.endpoints")
