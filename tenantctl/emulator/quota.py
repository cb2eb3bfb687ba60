"""Quota per subscription × region × usage name, ``usages.list``, ``models.list`` and model capacities.

Deployments of soft-deleted accounts hold their quota until purge (see ``_held_capacities``); the
account count (``OpenAI.S0.AccountCount``) counts live accounts only: no Microsoft page says a deleted
account occupies one of the 30 slots.
InsufficientQuota text follows the real trace quoted in research/arm-api.md §3.4 ("This operation require
N new capacity in quota Tokens Per Minute (thousands) - gpt-4o - GlobalStandard, which is bigger than the
current available capacity A. The current quota usage is U and the quota limit is L for quota ...").
Usage shape: specs/examples/2025-09-01/ListUsages.json; capacities: ListModelCapacities.json.
"""

from __future__ import annotations

from starlette.responses import Response

from tenantctl.emulator import catalogue, deleted
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router
from tenantctl.emulator.world import World


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _loc(location: str) -> str:
    return location.replace(" ", "").lower()


# Retirement dates moved through the control API (kind survives reset(): it is the catalogue, not a resource).
RETIREMENT_KIND = "model_retirement"


def set_model_retirement(world: World, name: str, version: str, retirement: str) -> None:
    """Make ``name`` ``version`` retire on ``retirement`` (ISO 8601) in every region's ``models.list``."""
    key = catalogue.retirement_key(name, version)
    world.store.put(RETIREMENT_KIND, key, {"key": key, "retirement": retirement})


def limit_for(world: World, sub: str, location: str, usage: str) -> float:
    doc = world.store.get("quota", f"{sub}/{_loc(location)}/{usage}")
    return float(doc["limit"]) if doc is not None else float(catalogue.default_limit(usage))


def set_quota(world: World, sub: str, location: str, usage: str, limit: float) -> None:
    world.store.put("quota", f"{sub}/{_loc(location)}/{usage}", {"usage": usage, "limit": limit}, sub=sub)


def account_kinds(world: World, sub: str, location: str) -> list[str]:
    """The kinds of ``sub``'s live accounts in ``location``: what the account limits count (only two fields read)."""
    loc = _loc(location)
    found = world.store.fields_in_subscription("account", sub, ("$.location", "$.kind"))
    return [str(kind) for where, kind in found if where == loc]


_Held = tuple[str, str, str, float]  # (deployment id, location, usage name, capacity)


def _held_capacities(world: World, sub: str) -> list[_Held]:
    """Deployments whose capacity counts against ``sub``'s quota: live ones, and those of soft-deleted accounts.

    A deleted account keeps its deployments until it is purged (Learn "Recover or purge deleted Azure AI
    services resources": provisioned deployments on a deleted resource are billed until purge; the
    Azure-Samples troubleshooting guide: a resource deleted within 48 h may still use quota, purging frees
    it). Purge, or the end of the hold, frees the quota.
    """
    paths = ("$.id", "$._location", "$._usage", "$.sku.capacity")
    held = [
        (str(i), str(loc), str(usage), float(cap or 0))
        for i, loc, usage, cap in world.store.fields_in_subscription("deployment", sub, paths)
    ]
    for account in deleted.expire_deleted(world, sub):
        held += [
            (d["id"], d["_location"], d["_usage"], float(d["sku"].get("capacity") or 0))
            for d in account["_children"].get("deployment", [])
        ]
    return held


def current_usage(world: World, sub: str, location: str, usage: str, exclude: str = "") -> float:
    loc, usage, exclude = _loc(location), usage.lower(), exclude.lower()
    return sum(
        capacity
        for dep_id, where, name, capacity in _held_capacities(world, sub)
        if where == loc and name.lower() == usage and dep_id.lower() != exclude
    )


def check_quota(world: World, sub: str, location: str, usage: str, *, capacity: float, dep_id: str) -> None:
    used = current_usage(world, sub, location, usage, exclude=dep_id)
    own = world.store.get("deployment", dep_id)
    own_cap = float(own["sku"].get("capacity") or 0) if own and own["_usage"].lower() == usage.lower() else 0.0
    limit = limit_for(world, sub, location, usage)
    current = used + own_cap
    need = capacity - own_cap
    if need > 0 and used + capacity > limit:
        display = catalogue.usage_display(usage)
        raise ArmError(
            400,
            "InsufficientQuota",
            f"This operation require {_num(need)} new capacity in quota "
            f"{display}, which is bigger than the current available capacity "
            f"{_num(max(0, limit - current))}. "
            f"The current quota usage is {_num(current)} and the quota limit is {_num(limit)} for quota "
            f"{display}.",
        )


def _usage_doc(name: str, current: float, limit: float) -> Doc:
    return {
        "name": {"value": name, "localizedValue": catalogue.usage_display(name)},
        "currentValue": current,
        "limit": limit,
        "unit": "Count",
        "status": "Included",
    }


def usages(world: World, sub: str, location: str) -> list[Doc]:
    loc = _loc(location)
    kinds = account_kinds(world, sub, loc)
    per_usage: dict[str, float] = {}
    for _, where, name, capacity in _held_capacities(world, sub):
        if where == loc:
            per_usage[name.lower()] = per_usage.get(name.lower(), 0.0) + capacity
    out = [
        _usage_doc(
            catalogue.TOTAL_ACCOUNT_USAGE,
            len(kinds),
            limit_for(world, sub, loc, catalogue.TOTAL_ACCOUNT_USAGE),
        ),
        _usage_doc(
            catalogue.ACCOUNT_COUNT_USAGE,
            sum(1 for k in kinds if k.lower() == "openai"),
            limit_for(world, sub, loc, catalogue.ACCOUNT_COUNT_USAGE),
        ),
    ]
    out += [
        _usage_doc(u, per_usage.get(u.lower(), 0.0), limit_for(world, sub, loc, u))
        for u in catalogue.all_usage_names(loc)
    ]
    return out


def _list_usages(ctx: Ctx) -> Response:
    loc = _loc(ctx.params["location"])
    if loc not in catalogue.regions(ctx.world.settings.cloud):
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{loc}' is not "
            "available for resource type 'Microsoft.CognitiveServices/locations/usages'.",
        )
    items = usages(ctx.world, ctx.params["subscriptionId"], loc)
    flt = ctx.query.get("$filter", "")
    if "eq" in flt:
        wanted = flt.split("eq", 1)[1].strip().strip("'\"").lower()
        items = [u for u in items if u["name"]["value"].lower() == wanted]
    return ctx.page(items)


def _list_models(ctx: Ctx) -> Response:
    moved = {d["key"]: d["retirement"] for d in ctx.world.store.all(RETIREMENT_KIND)}
    return ctx.page(catalogue.model_documents(_loc(ctx.params["location"]), moved))


def _capacities(ctx: Ctx, locations: list[str]) -> Response:
    fmt, name, ver = (
        ctx.query.get("modelformat", ""),
        ctx.query.get("modelname", ""),
        ctx.query.get("modelversion", ""),
    )
    sub = ctx.params["subscriptionId"]
    out: list[Doc] = []
    for loc in locations:
        mv = catalogue.find(loc, name, ver)
        if mv is None:
            continue
        for sku in catalogue.skus_in(loc, mv):
            usage = catalogue.usage_name(sku, mv.name)
            avail = max(0.0, limit_for(ctx.world, sub, loc, usage) - current_usage(ctx.world, sub, loc, usage))
            out.append(
                {
                    "id": f"/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}"
                    "/models/"
                    f"{fmt or 'OpenAI'}.{mv.name}.{mv.version}/skuCapacities/{sku}",
                    "type": "Microsoft.CognitiveServices/locations/models/skuCapacities",
                    "name": sku,
                    "location": loc,
                    "properties": {
                        "model": {"format": fmt or "OpenAI", "name": mv.name, "version": mv.version},
                        "skuName": sku,
                        "availableCapacity": avail,
                        "availableFinetuneCapacity": 0,
                    },
                }
            )
    return ctx.page(out)


def _location_capacities(ctx: Ctx) -> Response:
    return _capacities(ctx, [_loc(ctx.params["location"])])


def _all_capacities(ctx: Ctx) -> Response:
    return _capacities(ctx, list(catalogue.regions(ctx.world.settings.cloud)))


def register(router: Router) -> None:
    prov = "/subscriptions/{subscriptionId}/providers/Microsoft.CognitiveServices"
    read = "Microsoft.CognitiveServices/locations/usages/read"
    router.add("GET", prov + "/locations/{location}/usages", _list_usages, "usages.list", read)
    router.add(
        "GET",
        prov + "/locations/{location}/models",
        _list_models,
        "models.list",
        "Microsoft.CognitiveServices/locations/models/read",
    )
    router.add(
        "GET",
        prov + "/locations/{location}/modelCapacities",
        _location_capacities,
        "location_based_model_capacities.list",
        "Microsoft.CognitiveServices/locations/modelCapacities/read",
    )
    router.add(
        "GET",
        prov + "/modelCapacities",
        _all_capacities,
        "model_capacities.list",
        "Microsoft.CognitiveServices/modelCapacities/read",
    )
