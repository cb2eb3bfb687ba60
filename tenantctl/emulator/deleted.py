"""Soft-deleted accounts: the 48 h hold, deletedAccounts get/list, purge, and the global subdomain registry.

Sources (research/arm-api.md §3.5 and the recorded softdelete traffic in
specs/recorded-arm-traffic-cognitiveservices.json): deleting an account keeps it for 48 h with
``properties.deletionDate`` / ``scheduledPurgeDate``, id
``/subscriptions/{s}/providers/Microsoft.CognitiveServices/locations/{loc}/resourceGroups/{rg}/deletedAccounts/{name}``
and type ``Microsoft.CognitiveServices/deletedAccounts``; its custom subdomain stays taken
(``CustomDomainInUse``, exact message) until purge (``deleted_accounts.begin_purge``) or the hold expires.
Subdomains are global across subscriptions; ``check_domain_availability`` reads the same registry.
"""

from __future__ import annotations

from starlette.responses import Response

from tenantctl.emulator import lro
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, iso, json_response, now
from tenantctl.emulator.lro import public
from tenantctl.emulator.world import World

NS = "Microsoft.CognitiveServices"
CHILD_KINDS = ("deployment", "raipolicy", "raiblocklist", "raiblocklistitem")


def deleted_id(sub: str, location: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/providers/{NS}/locations/{location}/resourceGroups/{rg}/deletedAccounts/{name}"


def expire_deleted(world: World, sub: str) -> list[Doc]:
    """Deleted accounts of ``sub`` still on hold; those past scheduledPurgeDate are purged now."""
    alive = []
    for d in world.store.in_subscription("deleted_account", sub):
        if d["_purgeAt"] <= now():
            purge_now(world, d)
        else:
            alive.append(d)
    return alive


def purge_now(world: World, deleted: Doc) -> None:
    world.store.delete("deleted_account", deleted["id"])
    sub_domain = deleted.get("properties", {}).get("customSubDomainName")
    if sub_domain:
        world.store.delete("domain", sub_domain)


def find_deleted(world: World, sub: str, rg: str, name: str) -> Doc | None:
    for d in expire_deleted(world, sub):
        if d["_rg"].lower() == rg.lower() and d["name"].lower() == name.lower():
            return d
    return None


def domain_in_use(subdomain: str) -> ArmError:
    return ArmError(
        409,
        "CustomDomainInUse",
        f"Please pick a different name. The subdomain name '{subdomain}' is "
        "not available as it's already used by a resource. If the resource using the name was deleted "
        "in the last 48 hours, you may need to purge the deleted resource. Learn more at "
        '"https://go.microsoft.com/fwlink/?linkid=2215493"',
    )


def soft_delete(world: World, doc: Doc) -> None:
    """Move an account (and its children) into the 48 h soft-delete hold."""
    t = now()
    children: dict[str, list[Doc]] = {}
    for kind in CHILD_KINDS:
        items = [
            c for c in world.store.in_subscription(kind, doc["_sub"]) if c["_account"].lower() == doc["id"].lower()
        ]
        for c in items:
            c["properties"]["provisioningState"] = "Succeeded"
            world.store.delete(kind, c["id"])
        children[kind] = items
    doc.pop("_busyUntil", None)
    doc.pop("_before", None)
    doc["properties"]["provisioningState"] = "Succeeded"
    did = deleted_id(doc["_sub"], doc["location"], doc["_rg"], doc["name"])
    hold = world.settings.soft_delete_hours * 3600
    deleted = {
        **public(doc),
        "id": did,
        "type": f"{NS}/deletedAccounts",
        "properties": {**doc["properties"], "deletionDate": iso(t), "scheduledPurgeDate": iso(t + hold)},
        "_account": doc,
        "_children": children,
        "_rg": doc["_rg"],
        "_purgeAt": t + hold,
    }
    world.store.put("deleted_account", did, deleted, sub=doc["_sub"])
    world.store.delete("account", doc["id"])


def _finish_rg_delete(world: World, op: Doc) -> None:
    for acct in world.store.children("account", op["resourceId"]):
        soft_delete(world, acct)
    world.store.delete("rg", op["resourceId"])


def _finish_purge(world: World, op: Doc) -> None:
    deleted = world.store.get("deleted_account", op["resourceId"])
    if deleted is not None and not op["error"]:
        purge_now(world, deleted)


def _deleted_public(d: Doc) -> Doc:
    return public(d)


def _deleted_list(ctx: Ctx) -> Response:
    return ctx.page([_deleted_public(d) for d in expire_deleted(ctx.world, ctx.params["subscriptionId"])])


def _deleted_lookup(ctx: Ctx) -> Doc:
    sub = ctx.params["subscriptionId"]
    expire_deleted(ctx.world, sub)
    did = deleted_id(sub, ctx.params["location"].replace(" ", "").lower(), ctx.params["rg"], ctx.params["name"])
    d = ctx.world.store.get("deleted_account", did)
    if d is None:
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{NS}/deletedAccounts/{ctx.params['name']}' under "
            f"resource group '{ctx.params['rg']}' was not found.",
        )
    return d


def _deleted_get(ctx: Ctx) -> Response:
    return json_response(_deleted_public(_deleted_lookup(ctx)))


def _purge(ctx: Ctx) -> Response:
    d = _deleted_lookup(ctx)
    op = lro.start(
        ctx.world,
        ctx,
        action="purge",
        resource_id=d["id"],
        sub=ctx.params["subscriptionId"].lower(),
        location=d["location"],
        verb="purge",
    )
    return empty_response(202, lro.location_headers(ctx, op))


def _check_domain(ctx: Ctx) -> Response:
    body = ctx.json_body()
    subdomain = str(body.get("subdomainName", ""))
    taken = ctx.world.store.get("domain", subdomain) is not None if subdomain else True
    doc: Doc = {
        "isSubdomainAvailable": not taken,
        "subdomainName": subdomain,
        "type": body.get("type", f"{NS}/accounts"),
        "kind": body.get("kind"),
    }
    if taken:
        doc["reason"] = f"Sub domain name '{subdomain}' is not valid or has been occupied by another resource."
    return json_response(doc)


lro.FINALIZERS.update({"rg.delete": _finish_rg_delete, "purge": _finish_purge})


def register(router: Router) -> None:
    prov = "/subscriptions/{subscriptionId}/providers/Microsoft.CognitiveServices"
    one = prov + "/locations/{location}/resourceGroups/{rg}/deletedAccounts/{name}"
    read = f"{NS}/locations/resourceGroups/deletedAccounts/read"
    router.add("GET", prov + "/deletedAccounts", _deleted_list, "deleted_accounts.list", read)
    router.add("GET", one, _deleted_get, "deleted_accounts.get", read)
    router.add(
        "DELETE", one, _purge, "deleted_accounts.begin_purge", f"{NS}/locations/resourceGroups/deletedAccounts/delete"
    )
    router.add(
        "POST",
        prov + "/checkDomainAvailability",
        _check_domain,
        "check_domain_availability",
        f"{NS}/checkDomainAvailability/action",
    )
