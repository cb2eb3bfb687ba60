"""Microsoft.Network: virtual networks, subnets, private DNS zones, private endpoints and their DNS zone groups.

Behaviour sources (README "Network"): a private endpoint lives in the region *and subscription* of its
virtual network (Learn "What is a private endpoint?"); its subnet is referenced by id and must exist; a
Cognitive Services account exposes one private-link group id, ``account`` (Learn "Configure virtual
networks for Azure AI services"); a connection made by a caller who may approve it is auto-approved
(status ``Approved``, description ``Auto-Approved``) and shows up in the account's
``privateEndpointConnections``; private DNS zones are ``global`` resources (azure-rest-api-specs
privatedns). Virtual networks, subnets and zones answer their PUT synchronously with
``provisioningState: Succeeded`` (the ARM RPC allows it; azure-mgmt-core's poller finishes on it);
private endpoints and zone groups are long-running (201 + ``Azure-AsyncOperation``).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from tenantctl.emulator import lro
from tenantctl.emulator.accounts import save_account
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, json_response, new_guid, not_found
from tenantctl.emulator.lro import public
from tenantctl.emulator.subscriptions import require_rg, rg_id
from tenantctl.emulator.world import World

NS = "Microsoft.Network"
ACCOUNT_GROUP_ID = "account"
_SUBNET_ID = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)"
    r"/subnets/([^/]+)$",
    re.IGNORECASE,
)
_ACCOUNT_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$",
    re.IGNORECASE,
)


def _etag() -> str:
    return f'W/"{new_guid()}"'


def _location(value: Any) -> str:
    return str(value or "").replace(" ", "").lower()


def vnet_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{NS}/virtualNetworks/{name}"


def _save(world: World, kind: str, doc: Doc, parent: str) -> None:
    world.store.put(kind, doc["id"], doc, parent=parent, sub=doc["_sub"])


# ------------------------------------------------------------------ virtual networks and subnets


def _subnet_doc(vnet: Doc, name: str, props: Doc, existing: Doc | None) -> Doc:
    prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
    kept = (existing or {}).get("properties", {})
    return {
        "id": f"{vnet['id']}/subnets/{name}",
        "name": name,
        "type": f"{NS}/virtualNetworks/subnets",
        "etag": _etag(),
        "properties": {
            "addressPrefix": prefix or kept.get("addressPrefix", ""),
            "privateEndpointNetworkPolicies": props.get("privateEndpointNetworkPolicies", "Disabled"),
            "privateEndpoints": kept.get("privateEndpoints", []),
            "provisioningState": "Succeeded",
        },
        "_sub": vnet["_sub"],
        "_location": vnet["location"],
    }


def put_virtual_network(world: World, sub: str, rg: str, name: str, body: Doc) -> tuple[Doc, bool]:
    """Create or update a virtual network and the subnets listed in its body (control API shares it)."""
    with world.store.tx():
        rg_doc = require_rg(world, sub, rg)
        vid = vnet_id(sub, rg_doc["name"], name)
        existing = world.store.get("vnet", vid)
        location = _location(body.get("location") or (existing or {}).get("location"))
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        props = body.get("properties") or {}
        doc: Doc = {
            "id": vid,
            "name": (existing or {}).get("name", name),
            "type": f"{NS}/virtualNetworks",
            "location": location,
            "etag": _etag(),
            "properties": {
                "addressSpace": props.get("addressSpace") or {"addressPrefixes": ["10.0.0.0/16"]},
                "provisioningState": "Succeeded",
                "resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or new_guid(),
            },
            "_sub": sub,
        }
        if body.get("tags") is not None:
            doc["tags"] = body["tags"]
        _save(world, "vnet", doc, rg_doc["id"])
        for subnet in props.get("subnets") or []:
            sname = str(subnet.get("name", ""))
            old = world.store.get("subnet", f"{vid}/subnets/{sname}")
            _save(world, "subnet", _subnet_doc(doc, sname, subnet.get("properties") or {}, old), vid)
    return doc, existing is None


def _vnet_view(world: World, doc: Doc) -> Doc:
    view = public(doc)
    view["properties"] = dict(
        view["properties"], subnets=[public(s) for s in world.store.children("subnet", doc["id"])]
    )
    return view


def _get_vnet_doc(world: Any, sub: str, rg: str, name: str) -> Doc:
    doc = world.store.get("vnet", vnet_id(sub, rg, name))
    if doc is None:
        raise not_found(f"{NS}/virtualNetworks", name, rg)
    return doc  # type: ignore[no-any-return]


def _put_vnet(ctx: Ctx) -> Response:
    p = ctx.params
    doc, created = put_virtual_network(ctx.world, p["subscriptionId"], p["rg"], p["name"], ctx.json_body())
    return json_response(_vnet_view(ctx.world, doc), 201 if created else 200)


def _get_vnet(ctx: Ctx) -> Response:
    p = ctx.params
    return json_response(_vnet_view(ctx.world, _get_vnet_doc(ctx.world, p["subscriptionId"], p["rg"], p["name"])))


def _put_subnet(ctx: Ctx) -> Response:
    p = ctx.params
    world = ctx.world
    with world.store.tx():
        vnet = _get_vnet_doc(world, p["subscriptionId"], p["rg"], p["name"])
        sid = f"{vnet['id']}/subnets/{p['subnet']}"
        old = world.store.get("subnet", sid)
        doc = _subnet_doc(vnet, p["subnet"], ctx.json_body().get("properties") or {}, old)
        _save(world, "subnet", doc, vnet["id"])
    return json_response(public(doc), 200 if old else 201)


def _get_subnet(ctx: Ctx) -> Response:
    p = ctx.params
    vnet = _get_vnet_doc(ctx.world, p["subscriptionId"], p["rg"], p["name"])
    doc = ctx.world.store.get("subnet", f"{vnet['id']}/subnets/{p['subnet']}")
    if doc is None:
        raise not_found(f"{NS}/virtualNetworks/subnets", f"{p['name']}/{p['subnet']}", p["rg"])
    return json_response(public(doc))


# ------------------------------------------------------------------ private DNS zones


def zone_id(sub: str, rg: str, zone: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{NS}/privateDnsZones/{zone}"


def put_private_dns_zone(world: World, sub: str, rg: str, zone: str, tags: Any = None) -> tuple[Doc, bool]:
    with world.store.tx():
        rg_doc = require_rg(world, sub, rg)
        zid = zone_id(sub, rg_doc["name"], zone)
        existing = world.store.get("dnszone", zid)
        doc: Doc = {
            "id": zid,
            "name": zone.lower(),
            "type": f"{NS}/privateDnsZones",
            "location": "global",  # private DNS zones are global resources
            "etag": new_guid(),
            "properties": {"provisioningState": "Succeeded", "numberOfRecordSets": 1},
            "_sub": sub,
        }
        if tags is not None:
            doc["tags"] = tags
        _save(world, "dnszone", doc, rg_doc["id"])
    return doc, existing is None


def _put_zone(ctx: Ctx) -> Response:
    p = ctx.params
    body = ctx.json_body()
    doc, created = put_private_dns_zone(ctx.world, p["subscriptionId"], p["rg"], p["zone"], body.get("tags"))
    return json_response(public(doc), 201 if created else 200)


def _get_zone(ctx: Ctx) -> Response:
    p = ctx.params
    doc = ctx.world.store.get("dnszone", zone_id(p["subscriptionId"], p["rg"], p["zone"]))
    if doc is None:
        raise not_found(f"{NS}/privateDnsZones", p["zone"], p["rg"])
    return json_response(public(doc))


# ------------------------------------------------------------------ private endpoints


def _pe_id(ctx: Ctx) -> str:
    p = ctx.params
    return f"{rg_id(p['subscriptionId'], p['rg'])}/providers/{NS}/privateEndpoints/{p['name']}"


def _invalid_reference(what: str, rid: str) -> ArmError:
    return ArmError(
        400,
        "InvalidResourceReference",
        f"Resource {rid} referenced by resource {what} was not found. Please make sure that the referenced "
        "resource exists, and that both resources are in the same region.",
    )


def _resolve_subnet(world: World, pe_id: str, sub: str, props: Doc, location: str) -> Doc:
    subnet_ref = str((props.get("subnet") or {}).get("id", ""))
    m = _SUBNET_ID.match(subnet_ref)
    if m is None:
        raise ArmError(
            400,
            "LinkedInvalidPropertyId",
            f"Property id '{subnet_ref}' at path 'properties.subnet.id' is invalid. Expect fully qualified "
            "resource Id that start with '/subscriptions/{subscriptionId}' or "
            "'/providers/{resourceProviderNamespace}/'.",
        )
    subnet = world.store.get("subnet", subnet_ref)
    if subnet is None:
        raise _invalid_reference(pe_id, subnet_ref)
    # A private endpoint must be in the same region and subscription as its virtual network.
    if subnet["_location"] != location or m.group(1).lower() != sub.lower():
        raise ArmError(
            400,
            "InvalidResourceReference",
            f"Resource {subnet_ref} referenced by resource {pe_id} was not found. Please make sure that the "
            "referenced resource exists, and that both resources are in the same region.",
        )
    return subnet


def _connections(world: World, pe_id: str, props: Doc, manual: bool) -> list[Doc]:
    out = []
    for conn in props.get("manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections") or []:
        cprops = conn.get("properties") or {}
        target = str(cprops.get("privateLinkServiceId", ""))
        if not _ACCOUNT_ID.match(target) or world.store.get("account", target) is None:
            raise _invalid_reference(pe_id, target)
        groups = [str(g) for g in cprops.get("groupIds") or []]
        if [g.lower() for g in groups] != [ACCOUNT_GROUP_ID]:
            raise ArmError(
                400,
                "PrivateEndpointBadRequest",
                f"Call to {target} failed. Error message: The group id(s) {groups} are not valid; "
                f"supported: ['{ACCOUNT_GROUP_ID}'].",
            )
        state = (
            {"status": "Pending", "description": cprops.get("requestMessage", ""), "actionsRequired": "None"}
            if manual
            else {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}
        )
        out.append(
            {
                "name": conn.get("name") or target.rsplit("/", 1)[-1],
                "id": f"{pe_id}/{'manualPrivateLinkServiceConnections' if manual else 'privateLinkServiceConnections'}"
                f"/{conn.get('name') or target.rsplit('/', 1)[-1]}",
                "type": f"{NS}/privateEndpoints/privateLinkServiceConnections",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateLinkServiceId": target,
                    "groupIds": groups,
                    "requestMessage": cprops.get("requestMessage"),
                    "privateLinkServiceConnectionState": state,
                },
            }
        )
    return out


def _link_account(world: World, pe: Doc, conn: Doc) -> None:
    """The account's side of the connection: ``properties.privateEndpointConnections``."""
    account = world.store.get("account", conn["properties"]["privateLinkServiceId"])
    if account is None:
        return
    name = f"{pe['name']}.{pe['properties']['resourceGuid']}"
    entry = {
        "id": f"{account['id']}/privateEndpointConnections/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
        "location": account["location"],
        "properties": {
            "privateEndpoint": {"id": pe["id"]},
            "groupIds": conn["properties"]["groupIds"],
            "privateLinkServiceConnectionState": conn["properties"]["privateLinkServiceConnectionState"],
            "provisioningState": "Succeeded",
        },
    }
    kept = [
        c
        for c in account["properties"].get("privateEndpointConnections", [])
        if c["properties"]["privateEndpoint"]["id"].lower() != pe["id"].lower()
    ]
    account["properties"]["privateEndpointConnections"] = [*kept, entry]
    save_account(world, account)


def _unlink_accounts(world: World, pe: Doc) -> None:
    for conn in pe["properties"].get("privateLinkServiceConnections", []) + pe["properties"].get(
        "manualPrivateLinkServiceConnections", []
    ):
        account = world.store.get("account", conn["properties"]["privateLinkServiceId"])
        if account is None:
            continue
        account["properties"]["privateEndpointConnections"] = [
            c
            for c in account["properties"].get("privateEndpointConnections", [])
            if c["properties"]["privateEndpoint"]["id"].lower() != pe["id"].lower()
        ]
        save_account(world, account)


def _put_pe(ctx: Ctx) -> Response:
    world = ctx.world
    p = ctx.params
    body = ctx.json_body()
    props: Doc = body.get("properties") or {}
    with world.store.tx():
        rg_doc = require_rg(world, p["subscriptionId"], p["rg"])
        pid = _pe_id(ctx)
        existing = world.store.get("privateendpoint", pid)
        location = _location(body.get("location") or (existing or {}).get("location"))
        subnet = _resolve_subnet(world, pid, p["subscriptionId"], props, location)
        auto = _connections(world, pid, props, manual=False)
        manual = _connections(world, pid, props, manual=True)
        old_props = (existing or {}).get("properties", {})
        doc: Doc = {
            "id": pid,
            "name": (existing or {}).get("name", p["name"]),
            "type": f"{NS}/privateEndpoints",
            "location": location,
            "etag": _etag(),
            "properties": {
                "provisioningState": "Updating" if existing else "Creating",
                "resourceGuid": old_props.get("resourceGuid") or new_guid(),
                "subnet": {"id": subnet["id"]},
                "privateLinkServiceConnections": auto,
                "manualPrivateLinkServiceConnections": manual,
                "customNetworkInterfaceName": props.get("customNetworkInterfaceName", ""),
                "networkInterfaces": [
                    {"id": f"{rg_doc['id']}/providers/{NS}/networkInterfaces/{p['name']}.nic.{new_guid()}"}
                ],
                "customDnsConfigs": [],
            },
            "_sub": p["subscriptionId"],
        }
        if body.get("tags") is not None:
            doc["tags"] = body["tags"]
        _save(world, "privateendpoint", doc, rg_doc["id"])
        for conn in auto + manual:
            _link_account(world, doc, conn)
        op = lro.start(
            world,
            ctx,
            action="network.write",
            resource_id=pid,
            sub=p["subscriptionId"],
            location=location,
            verb="update" if existing else "create",
            extra={"kind": "privateendpoint", "parent": rg_doc["id"]},
        )
    return json_response(public(doc), 200 if existing else 201, lro.async_headers(ctx, op))


def _get_pe_doc(ctx: Ctx) -> Doc:
    doc = ctx.world.store.get("privateendpoint", _pe_id(ctx))
    if doc is None:
        raise not_found(f"{NS}/privateEndpoints", ctx.params["name"], ctx.params["rg"])
    return doc


def _get_pe(ctx: Ctx) -> Response:
    return json_response(public(_get_pe_doc(ctx)))


def _list_pe(ctx: Ctx) -> Response:
    require_rg(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"])
    rid = rg_id(ctx.params["subscriptionId"], ctx.params["rg"])
    return ctx.page([public(d) for d in ctx.world.store.children("privateendpoint", rid)])


def _delete_pe(ctx: Ctx) -> Response:
    world = ctx.world
    with world.store.tx():
        doc = world.store.get("privateendpoint", _pe_id(ctx))
        if doc is None:
            return empty_response(204)
        doc["properties"]["provisioningState"] = "Deleting"
        _save(world, "privateendpoint", doc, rg_id(ctx.params["subscriptionId"], ctx.params["rg"]))
        op = lro.start(
            world,
            ctx,
            action="network.delete",
            resource_id=doc["id"],
            sub=doc["_sub"],
            location=doc["location"],
            verb="delete",
            extra={"kind": "privateendpoint"},
        )
    return empty_response(202, lro.location_headers(ctx, op))


# ------------------------------------------------------------------ private DNS zone groups


def _put_zone_group(ctx: Ctx) -> Response:
    world = ctx.world
    p = ctx.params
    with world.store.tx():
        pe = _get_pe_doc(ctx)
        gid = f"{pe['id']}/privateDnsZoneGroups/{p['group']}"
        existing = world.store.get("dnszonegroup", gid)
        configs = []
        for config in (ctx.json_body().get("properties") or {}).get("privateDnsZoneConfigs") or []:
            zid = str((config.get("properties") or {}).get("privateDnsZoneId", ""))
            if world.store.get("dnszone", zid) is None:
                raise _invalid_reference(gid, zid)
            zone = zid.rsplit("/", 1)[-1]
            configs.append(
                {
                    "name": config.get("name") or zone.replace(".", "-"),
                    "properties": {
                        "privateDnsZoneId": zid,
                        "recordSets": [
                            {
                                "recordType": "A",
                                "recordSetName": pe["name"],
                                "fqdn": f"{pe['name']}.{zone}",
                                "provisioningState": "Succeeded",
                                "ttl": 10,
                                "ipAddresses": ["10.0.0.4"],
                            }
                        ],
                    },
                }
            )
        doc: Doc = {
            "id": gid,
            "name": p["group"],
            "etag": _etag(),
            "properties": {
                "provisioningState": "Updating" if existing else "Creating",
                "privateDnsZoneConfigs": configs,
            },
            "_sub": pe["_sub"],
        }
        _save(world, "dnszonegroup", doc, pe["id"])
        op = lro.start(
            world,
            ctx,
            action="network.write",
            resource_id=gid,
            sub=pe["_sub"],
            location=pe["location"],
            verb="update" if existing else "create",
            extra={"kind": "dnszonegroup", "parent": pe["id"]},
        )
    return json_response(public(doc), 200 if existing else 201, lro.async_headers(ctx, op))


def _get_zone_group(ctx: Ctx) -> Response:
    pe = _get_pe_doc(ctx)
    doc = ctx.world.store.get("dnszonegroup", f"{pe['id']}/privateDnsZoneGroups/{ctx.params['group']}")
    if doc is None:
        raise not_found(f"{NS}/privateEndpoints/privateDnsZoneGroups", ctx.params["group"], ctx.params["rg"])
    return json_response(public(doc))


def _list_zone_groups(ctx: Ctx) -> Response:
    pe = _get_pe_doc(ctx)
    return ctx.page([public(d) for d in ctx.world.store.children("dnszonegroup", pe["id"])])


def _finish_write(world: World, op: Doc) -> None:
    kind = op["extra"]["kind"]
    doc = world.store.get(kind, op["resourceId"])
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op["error"] else "Succeeded"
        _save(world, kind, doc, op["extra"]["parent"])


def _finish_delete(world: World, op: Doc) -> None:
    doc = world.store.get("privateendpoint", op["resourceId"])
    if doc is None or op["error"]:
        return
    _unlink_accounts(world, doc)
    for group in world.store.children("dnszonegroup", doc["id"]):
        world.store.delete("dnszonegroup", group["id"])
    world.store.delete("privateendpoint", doc["id"])


lro.FINALIZERS.update({"network.write": _finish_write, "network.delete": _finish_delete})


def register(router: Router) -> None:
    rgp = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.Network"
    vnet, pe, zone = rgp + "/virtualNetworks/{name}", rgp + "/privateEndpoints", rgp + "/privateDnsZones/{zone}"
    router.add("GET", vnet, _get_vnet, "virtual_networks.get", f"{NS}/virtualNetworks/read")
    router.add("PUT", vnet, _put_vnet, "virtual_networks.begin_create_or_update", f"{NS}/virtualNetworks/write")
    router.add("GET", vnet + "/subnets/{subnet}", _get_subnet, "subnets.get", f"{NS}/virtualNetworks/subnets/read")
    router.add(
        "PUT",
        vnet + "/subnets/{subnet}",
        _put_subnet,
        "subnets.begin_create_or_update",
        f"{NS}/virtualNetworks/subnets/write",
    )
    router.add("GET", zone, _get_zone, "private_zones.get", f"{NS}/privateDnsZones/read")
    router.add("PUT", zone, _put_zone, "private_zones.begin_create_or_update", f"{NS}/privateDnsZones/write")
    router.add("GET", pe, _list_pe, "private_endpoints.list", f"{NS}/privateEndpoints/read")
    router.add("GET", pe + "/{name}", _get_pe, "private_endpoints.get", f"{NS}/privateEndpoints/read")
    router.add(
        "PUT", pe + "/{name}", _put_pe, "private_endpoints.begin_create_or_update", f"{NS}/privateEndpoints/write"
    )
    router.add("DELETE", pe + "/{name}", _delete_pe, "private_endpoints.begin_delete", f"{NS}/privateEndpoints/delete")
    groups = pe + "/{name}/privateDnsZoneGroups"
    router.add("GET", groups, _list_zone_groups, "private_dns_zone_groups.list", f"{NS}/privateEndpoints/read")
    router.add(
        "GET", groups + "/{group}", _get_zone_group, "private_dns_zone_groups.get", f"{NS}/privateEndpoints/read"
    )
    router.add(
        "PUT",
        groups + "/{group}",
        _put_zone_group,
        "private_dns_zone_groups.begin_create_or_update",
        f"{NS}/privateEndpoints/privateDnsZoneGroups/write",
    )
