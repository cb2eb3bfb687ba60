"""Account deployments: PUT (full replace, 201 + Azure-AsyncOperation), PATCH sku+tags (202 + Location),
DELETE (202 + Location), with Azure's rules.

Sources: research/arm-api.md §1.3 (operations, final-state-via), §1.4 (Deployment shape incl.
currentCapacity/rateLimits, recorded GET body), §3.3 (RequestConflict: one write in flight per account),
§3.4 (InsufficientQuota), §3.6 (capacity within ModelSku min/max/step; PATCH only sku+tags), §3.7
(32 standard deployments per account). Catalogue checks use :mod:`tenantctl.emulator.catalogue`.
"""

from __future__ import annotations

from starlette.responses import Response

from tenantctl.emulator import catalogue, fine_tuned, lro, quota
from tenantctl.emulator.accounts import get_account
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
from tenantctl.emulator.deleted import NS
from tenantctl.emulator.lro import public
from tenantctl.emulator.world import World

BUILTIN_RAI = ("Microsoft.Default", "Microsoft.DefaultV2", "Microsoft.Nil")


def dep_id(account_id: str, name: str) -> str:
    return f"{account_id}/deployments/{name}"


def _not_found(name: str) -> ArmError:
    return ArmError(404, "DeploymentNotFound", f"The specified deployment '{name}' does not exist.")


def _invalid(msg: str, code: str = "InvalidResourceProperties") -> ArmError:
    return ArmError(400, code, msg)


def _validate_capacity(sku_name: str, capacity: float, model: str) -> None:
    rng = catalogue.capacity_range(sku_name)
    step = rng["step"] or 1
    if capacity < rng["minimum"] or capacity > rng["maximum"] or (capacity - rng["minimum"]) % step:
        raise _invalid(
            f"The specified capacity '{capacity:g}' of account deployment is not valid for SKU "
            f"'{sku_name}' of model '{model}'. It should be between {rng['minimum']} and "
            f"{rng['maximum']} with a step of {step}.",
            "InvalidCapacity",
        )


def _rai_exists(world: World, account_id: str, name: str) -> bool:
    if name.lower() in (b.lower() for b in BUILTIN_RAI):
        return True
    return world.store.get("raipolicy", f"{account_id}/raiPolicies/{name}") is not None


def _save(world: World, doc: Doc) -> None:
    world.store.put("deployment", doc["id"], doc, parent=doc["_account"], sub=doc["_sub"])


def _rate_limits(capacity: float) -> list[Doc]:
    return [
        {"key": "request", "renewalPeriod": 10, "count": capacity},
        {"key": "token", "renewalPeriod": 60, "count": capacity * 1000},
    ]


def _put(ctx: Ctx) -> Response:
    world = ctx.world
    body = ctx.json_body()
    name = ctx.params["dep"]
    with world.store.tx():
        account = get_account(world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
        lro.assert_not_busy(world, account)
        did = dep_id(account["id"], name)
        existing = world.store.get("deployment", did)
        if existing is not None:
            name = existing["name"]
        sku = body.get("sku")
        if not isinstance(sku, dict) or not sku.get("name"):
            raise _invalid("The 'sku' of the deployment is required.")
        props: Doc = dict(body.get("properties") or {})
        model = props.get("model")
        if not isinstance(model, dict) or not model.get("name"):
            raise _invalid("The 'model' of the deployment is required.")
        loc = account["location"]
        version = str(model.get("version") or "")
        mv = None
        if version:
            # A model fine-tuned in this account first (only this account may deploy it), then the region's.
            mv = fine_tuned.find(world, account["id"], str(model["name"]), version) or catalogue.find(
                loc, str(model["name"]), version
            )
        else:  # no version: Azure picks the default version
            mv = next(
                (
                    m
                    for m in catalogue.CATALOGUE
                    if m.name.lower() == str(model["name"]).lower() and m.default and catalogue.skus_in(loc, m)
                ),
                None,
            )
        if mv is None or str(model.get("format", "OpenAI")).lower() != "openai":
            raise _invalid(
                f"The model '{model.get('format', 'OpenAI')}/{model['name']}/{version}' is not supported "
                f"in location '{loc}'.",
                "DeploymentModelNotSupported",
            )
        sku_name = next((s for s in catalogue.skus_in(loc, mv) if s.lower() == str(sku["name"]).lower()), None)
        if sku_name is None:
            raise _invalid(
                f"The specified SKU '{sku['name']}' for model '{mv.name} {mv.version}' is not supported "
                f"in this region '{loc}'."
            )
        capacity = float(sku.get("capacity") or catalogue.capacity_range(sku_name)["default"])
        _validate_capacity(sku_name, capacity, mv.name)
        rai = str(props.get("raiPolicyName") or "Microsoft.DefaultV2")
        if not _rai_exists(world, account["id"], rai):
            raise _invalid(f"The specified RAI policy '{rai}' was not found.", "RaiPolicyNotFound")
        if (
            existing is None
            and world.store.count_children("deployment", account["id"]) >= catalogue.MAX_STANDARD_DEPLOYMENTS
        ):
            raise _invalid(
                f"The number of deployments of account '{account['name']}' has reached the limit of "
                f"{catalogue.MAX_STANDARD_DEPLOYMENTS} standard deployments.",
                "DeploymentCountExceeded",
            )
        usage = catalogue.usage_name(sku_name, mv.name)
        quota.check_quota(world, account["_sub"], loc, usage, capacity=capacity, dep_id=did)
        cap = int(capacity) if capacity.is_integer() else capacity
        stamp = iso(now())
        doc: Doc = {
            "id": dep_id(account["id"], name),
            "name": name,
            "type": f"{NS}/accounts/deployments",
            "sku": {"name": sku_name, "capacity": cap},
            "properties": {
                "model": {"format": "OpenAI", "name": mv.name, "version": mv.version},
                "versionUpgradeOption": props.get("versionUpgradeOption") or "OnceNewDefaultVersionAvailable",
                "raiPolicyName": rai,
                "currentCapacity": cap,
                "capabilities": dict(mv.capabilities),
                "rateLimits": _rate_limits(capacity),
                "provisioningState": "Creating" if existing is None else "Updating",
            },
            "systemData": {
                "createdAt": (existing or {}).get("systemData", {}).get("createdAt", stamp),
                "createdBy": str((ctx.claims or {}).get("appid", "")),
                "createdByType": "Application",
                "lastModifiedAt": stamp,
                "lastModifiedBy": str((ctx.claims or {}).get("appid", "")),
                "lastModifiedByType": "Application",
            },
            "etag": f'"{new_guid()}"',
            "_account": account["id"],
            "_sub": account["_sub"],
            "_location": loc,
            "_usage": usage,
        }
        if body.get("tags") is not None:
            doc["tags"] = body["tags"]
        op = lro.begin_write(
            world,
            ctx,
            account,
            action="deployment.write",
            verb="create" if existing is None else "update",
            resource_id=doc["id"],
            location=loc,
        )
        world.store.put("account", account["id"], account, parent=account["_rgId"], sub=account["_sub"])
        _save(world, doc)
    return json_response(public(doc), 201 if existing is None else 200, lro.async_headers(ctx, op))


def _patch(ctx: Ctx) -> Response:
    world = ctx.world
    body = ctx.json_body()
    with world.store.tx():
        account = get_account(world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
        doc = world.store.get("deployment", dep_id(account["id"], ctx.params["dep"]))
        if doc is None:
            raise _not_found(ctx.params["dep"])
        lro.assert_not_busy(world, account)
        sku = body.get("sku")
        if isinstance(sku, dict):
            if sku.get("name") and str(sku["name"]).lower() != doc["sku"]["name"].lower():
                raise _invalid(
                    "Changing the SKU name of an existing deployment is not supported; delete and "
                    "recreate the deployment."
                )
            if sku.get("capacity") is not None:
                capacity = float(sku["capacity"])
                _validate_capacity(doc["sku"]["name"], capacity, doc["properties"]["model"]["name"])
                quota.check_quota(
                    world, doc["_sub"], doc["_location"], doc["_usage"], capacity=capacity, dep_id=doc["id"]
                )
                cap = int(capacity) if capacity.is_integer() else capacity
                doc["sku"]["capacity"] = cap
                doc["properties"]["currentCapacity"] = cap
                doc["properties"]["rateLimits"] = _rate_limits(capacity)
        if "tags" in body:
            doc["tags"] = body["tags"]
        doc["properties"]["provisioningState"] = "Updating"
        op = lro.begin_write(
            world,
            ctx,
            account,
            action="deployment.write",
            verb="update",
            resource_id=doc["id"],
            location=doc["_location"],
            extra={"result": "deployment"},
        )
        world.store.put("account", account["id"], account, parent=account["_rgId"], sub=account["_sub"])
        _save(world, doc)
    return empty_response(202, lro.location_headers(ctx, op))


def _delete(ctx: Ctx) -> Response:
    world = ctx.world
    with world.store.tx():
        account = get_account(world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
        doc = world.store.get("deployment", dep_id(account["id"], ctx.params["dep"]))
        if doc is None:
            return empty_response(204)
        lro.assert_not_busy(world, account)
        doc["properties"]["provisioningState"] = "Deleting"
        op = lro.begin_write(
            world,
            ctx,
            account,
            action="deployment.delete",
            verb="delete",
            resource_id=doc["id"],
            location=doc["_location"],
        )
        world.store.put("account", account["id"], account, parent=account["_rgId"], sub=account["_sub"])
        _save(world, doc)
    return empty_response(202, lro.location_headers(ctx, op))


def _finish_write(world: World, op: Doc) -> None:
    doc = world.store.get("deployment", op["resourceId"])
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op["error"] else "Succeeded"
        _save(world, doc)


def _finish_delete(world: World, op: Doc) -> None:
    doc = world.store.get("deployment", op["resourceId"])
    if doc is None:
        return
    if op["error"]:
        doc["properties"]["provisioningState"] = "Succeeded"
        _save(world, doc)
    else:
        world.store.delete("deployment", doc["id"])


lro.FINALIZERS.update({"deployment.write": _finish_write, "deployment.delete": _finish_delete})


def _get(ctx: Ctx) -> Response:
    account = get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
    doc = ctx.world.store.get("deployment", dep_id(account["id"], ctx.params["dep"]))
    if doc is None:
        raise _not_found(ctx.params["dep"])
    return json_response(public(doc))


def _list(ctx: Ctx) -> Response:
    account = get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
    return ctx.page([public(d) for d in ctx.world.store.children("deployment", account["id"])])


def register(router: Router) -> None:
    base = (
        "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/"
        "{name}/deployments"
    )
    read = f"{NS}/accounts/deployments/read"
    router.add("GET", base, _list, "deployments.list", read)
    router.add("GET", base + "/{dep}", _get, "deployments.get", read)
    router.add("PUT", base + "/{dep}", _put, "deployments.begin_create_or_update", f"{NS}/accounts/deployments/write")
    router.add("PATCH", base + "/{dep}", _patch, "deployments.begin_update", f"{NS}/accounts/deployments/write")
    router.add("DELETE", base + "/{dep}", _delete, "deployments.begin_delete", f"{NS}/accounts/deployments/delete")
