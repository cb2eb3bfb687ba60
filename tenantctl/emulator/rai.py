"""RAI policies, blocklists and blocklist items of an account.

Shapes: specs/examples/2025-06-01/PutRaiPolicy.json and research/arm-api.md §1.3/§1.4: PUT answers 200/201
synchronously (not an LRO); DELETE is an LRO with ``final-state-via: location`` (202 + Location);
``addRaiBlocklistItems`` takes a JSON array; a policy referenced by a deployment cannot be deleted.
Writes respect the one-write-in-flight rule of the account (RequestConflict).
"""

from __future__ import annotations

from starlette.responses import Response

from tenantctl.emulator import lro
from tenantctl.emulator.accounts import get_account
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, json_response, new_guid
from tenantctl.emulator.deleted import NS
from tenantctl.emulator.deployments import BUILTIN_RAI
from tenantctl.emulator.lro import public

_TYPES = {"raipolicy": "raiPolicies", "raiblocklist": "raiBlocklists"}


def _account(ctx: Ctx) -> Doc:
    return get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])


def _builtin_policy(account: Doc, name: str) -> Doc:
    filters = [
        {"name": n, "blocking": True, "enabled": True, "severityThreshold": "Medium", "source": s}
        for n in ("Hate", "Sexual", "Selfharm", "Violence")
        for s in ("Prompt", "Completion")
    ]
    return {
        "id": f"{account['id']}/raiPolicies/{name}",
        "name": name,
        "type": f"{NS}/accounts/raiPolicies",
        "properties": {"type": "SystemManaged", "mode": "Blocking", "contentFilters": filters},
    }


def _put_child(ctx: Ctx, kind: str, rid: str, *, parent: str, account: Doc, body: Doc, rtype: str) -> Response:
    existing = ctx.world.store.get(kind, rid)
    doc: Doc = {
        "id": existing["id"] if existing else rid,
        "name": (existing or {}).get("name", rid.rsplit("/", 1)[1]),
        "type": rtype,
        "etag": f'"{new_guid()}"',
        "properties": dict(body.get("properties") or {}),
        "_account": account["id"],
        "_parent": parent,
        "_sub": account["_sub"],
    }
    if kind == "raipolicy":
        doc["properties"]["type"] = "UserManaged"
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    ctx.world.store.put(kind, doc["id"], doc, parent=parent, sub=account["_sub"])
    return json_response(public(doc), 200 if existing else 201)


def _delete_response(ctx: Ctx, account: Doc, rid: str) -> Response:
    op = lro.start(
        ctx.world,
        ctx,
        action="noop",
        resource_id=rid,
        sub=account["_sub"],
        location=account["location"],
        verb="delete",
        account_id=account["id"],
    )
    return empty_response(202, lro.location_headers(ctx, op))


# ---- policies


def _policy_id(account: Doc, name: str) -> str:
    return f"{account['id']}/raiPolicies/{name}"


def _put_policy(ctx: Ctx) -> Response:
    body = ctx.json_body()
    with ctx.world.store.tx():
        account = _account(ctx)
        lro.assert_not_busy(ctx.world, account)
        name = ctx.params["item"]
        if name.lower() in (b.lower() for b in BUILTIN_RAI):
            raise ArmError(
                400,
                "InvalidResourceProperties",
                f"The RAI policy name '{name}' is reserved for system managed policies.",
            )
        for bl in (body.get("properties") or {}).get("customBlocklists") or []:
            bid = f"{account['id']}/raiBlocklists/{bl.get('blocklistName')}"
            if ctx.world.store.get("raiblocklist", bid) is None:
                raise ArmError(
                    400,
                    "InvalidResourceProperties",
                    f"The custom blocklist '{bl.get('blocklistName')}' does not exist.",
                )
        return _put_child(
            ctx,
            "raipolicy",
            _policy_id(account, name),
            parent=account["id"],
            account=account,
            body=body,
            rtype=f"{NS}/accounts/raiPolicies",
        )


def _get_policy(ctx: Ctx) -> Response:
    account = _account(ctx)
    name = ctx.params["item"]
    builtin = next((b for b in BUILTIN_RAI if b.lower() == name.lower()), None)
    if builtin:
        return json_response(_builtin_policy(account, builtin))
    doc = ctx.world.store.get("raipolicy", _policy_id(account, name))
    if doc is None:
        raise ArmError(404, "NotFound", f"The specified RAI policy '{name}' was not found.")
    return json_response(public(doc))


def _list_policies(ctx: Ctx) -> Response:
    account = _account(ctx)
    items = [_builtin_policy(account, b) for b in BUILTIN_RAI[:2]]
    items += [public(d) for d in ctx.world.store.children("raipolicy", account["id"])]
    return ctx.page(items)


def _delete_policy(ctx: Ctx) -> Response:
    with ctx.world.store.tx():
        account = _account(ctx)
        rid = _policy_id(account, ctx.params["item"])
        doc = ctx.world.store.get("raipolicy", rid)
        if doc is None:
            return empty_response(204)
        lro.assert_not_busy(ctx.world, account)
        users = [
            d["name"]
            for d in ctx.world.store.children("deployment", account["id"])
            if d["properties"].get("raiPolicyName", "").lower() == doc["name"].lower()
        ]
        if users:
            raise ArmError(
                409,
                "RaiPolicyInUse",
                f"The RAI policy '{doc['name']}' cannot be deleted because it is "
                f"used by deployment(s) '{', '.join(users)}'.",
            )
        ctx.world.store.delete("raipolicy", rid)
        return _delete_response(ctx, account, rid)


# ---- blocklists


def _bl_id(account: Doc, name: str) -> str:
    return f"{account['id']}/raiBlocklists/{name}"


def _require_bl(ctx: Ctx, account: Doc) -> Doc:
    doc = ctx.world.store.get("raiblocklist", _bl_id(account, ctx.params["bl"]))
    if doc is None:
        raise ArmError(404, "NotFound", f"The specified RAI blocklist '{ctx.params['bl']}' was not found.")
    return doc


def _put_bl(ctx: Ctx) -> Response:
    body = ctx.json_body()
    with ctx.world.store.tx():
        account = _account(ctx)
        lro.assert_not_busy(ctx.world, account)
        return _put_child(
            ctx,
            "raiblocklist",
            _bl_id(account, ctx.params["bl"]),
            parent=account["id"],
            account=account,
            body=body,
            rtype=f"{NS}/accounts/raiBlocklists",
        )


def _get_bl(ctx: Ctx) -> Response:
    return json_response(public(_require_bl(ctx, _account(ctx))))


def _list_bl(ctx: Ctx) -> Response:
    account = _account(ctx)
    return ctx.page([public(d) for d in ctx.world.store.children("raiblocklist", account["id"])])


def _delete_bl(ctx: Ctx) -> Response:
    with ctx.world.store.tx():
        account = _account(ctx)
        rid = _bl_id(account, ctx.params["bl"])
        if ctx.world.store.get("raiblocklist", rid) is None:
            return empty_response(204)
        lro.assert_not_busy(ctx.world, account)
        for item in ctx.world.store.children("raiblocklistitem", rid):
            ctx.world.store.delete("raiblocklistitem", item["id"])
        ctx.world.store.delete("raiblocklist", rid)
        return _delete_response(ctx, account, rid)


# ---- blocklist items


def _put_item(ctx: Ctx) -> Response:
    body = ctx.json_body()
    with ctx.world.store.tx():
        account = _account(ctx)
        lro.assert_not_busy(ctx.world, account)
        bl = _require_bl(ctx, account)
        rid = f"{bl['id']}/raiBlocklistItems/{ctx.params['item']}"
        return _put_child(
            ctx,
            "raiblocklistitem",
            rid,
            parent=bl["id"],
            account=account,
            body=body,
            rtype=f"{NS}/accounts/raiBlocklists/raiBlocklistItems",
        )


def _get_item(ctx: Ctx) -> Response:
    bl = _require_bl(ctx, _account(ctx))
    doc = ctx.world.store.get("raiblocklistitem", f"{bl['id']}/raiBlocklistItems/{ctx.params['item']}")
    if doc is None:
        raise ArmError(404, "NotFound", f"The specified RAI blocklist item '{ctx.params['item']}' was not found.")
    return json_response(public(doc))


def _list_items(ctx: Ctx) -> Response:
    bl = _require_bl(ctx, _account(ctx))
    return ctx.page([public(d) for d in ctx.world.store.children("raiblocklistitem", bl["id"])])


def _delete_item(ctx: Ctx) -> Response:
    with ctx.world.store.tx():
        account = _account(ctx)
        bl = _require_bl(ctx, account)
        rid = f"{bl['id']}/raiBlocklistItems/{ctx.params['item']}"
        if not ctx.world.store.delete("raiblocklistitem", rid):
            return empty_response(204)
        return _delete_response(ctx, account, rid)


def _batch_add(ctx: Ctx) -> Response:
    if not isinstance(ctx.body, list):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON array of blocklist items.")
    with ctx.world.store.tx():
        account = _account(ctx)
        lro.assert_not_busy(ctx.world, account)
        bl = _require_bl(ctx, account)
        for item in ctx.body:
            rid = f"{bl['id']}/raiBlocklistItems/{item.get('name')}"
            doc = {
                "id": rid,
                "name": item.get("name"),
                "type": f"{NS}/accounts/raiBlocklists/raiBlocklistItems",
                "properties": dict(item.get("properties") or {}),
                "_account": account["id"],
                "_parent": bl["id"],
                "_sub": account["_sub"],
            }
            ctx.world.store.put("raiblocklistitem", rid, doc, parent=bl["id"], sub=account["_sub"])
        return json_response(public(bl))


def _batch_delete(ctx: Ctx) -> Response:
    names = ctx.body if isinstance(ctx.body, list) else []
    with ctx.world.store.tx():
        account = _account(ctx)
        lro.assert_not_busy(ctx.world, account)
        bl = _require_bl(ctx, account)
        for name in names:
            ctx.world.store.delete("raiblocklistitem", f"{bl['id']}/raiBlocklistItems/{name}")
    return empty_response(204)


def register(router: Router) -> None:
    acct = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{name}"
    pol, bls = acct + "/raiPolicies", acct + "/raiBlocklists"
    pr, pw, pd = (f"{NS}/accounts/raiPolicies/{v}" for v in ("read", "write", "delete"))
    br, bw, bd = (f"{NS}/accounts/raiBlocklists/{v}" for v in ("read", "write", "delete"))
    router.add("GET", pol, _list_policies, "rai_policies.list", pr)
    router.add("GET", pol + "/{item}", _get_policy, "rai_policies.get", pr)
    router.add("PUT", pol + "/{item}", _put_policy, "rai_policies.create_or_update", pw)
    router.add("DELETE", pol + "/{item}", _delete_policy, "rai_policies.begin_delete", pd)
    router.add("GET", bls, _list_bl, "rai_blocklists.list", br)
    router.add("GET", bls + "/{bl}", _get_bl, "rai_blocklists.get", br)
    router.add("PUT", bls + "/{bl}", _put_bl, "rai_blocklists.create_or_update", bw)
    router.add("DELETE", bls + "/{bl}", _delete_bl, "rai_blocklists.begin_delete", bd)
    router.add("POST", bls + "/{bl}/addRaiBlocklistItems", _batch_add, "rai_blocklist_items.batch_add", bw)
    router.add("POST", bls + "/{bl}/deleteRaiBlocklistItems", _batch_delete, "rai_blocklist_items.batch_delete", bw)
    router.add("GET", bls + "/{bl}/raiBlocklistItems", _list_items, "rai_blocklist_items.list", br)
    router.add("GET", bls + "/{bl}/raiBlocklistItems/{item}", _get_item, "rai_blocklist_items.get", br)
    router.add("PUT", bls + "/{bl}/raiBlocklistItems/{item}", _put_item, "rai_blocklist_items.create_or_update", bw)
    router.add("DELETE", bls + "/{bl}/raiBlocklistItems/{item}", _delete_item, "rai_blocklist_items.begin_delete", bd)
