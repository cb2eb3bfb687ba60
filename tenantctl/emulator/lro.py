"""Long-running operations, computed lazily from timestamps so they survive restarts.

What the azure-mgmt-core pollers expect (research/arm-api.md §2.1, §2.3, recorded ARM in
specs/recorded-arm-traffic-cognitiveservices.json): ``Azure-AsyncOperation`` URLs under
``/subscriptions/{s}/providers/Microsoft.CognitiveServices/locations/{loc}/operationResults/{id}`` answering
``{"id","name","status","startTime","endTime"}`` (``Failed`` carries ``error``), or a ``Location``
monitor answering 202 while running and then 200 with the result (or 204). ``Retry-After`` is sent per
settings (``0`` omits it). Every write records an op with ``endsAt = now + lro_seconds``; ``settle()``
applies finished ops (provisioningState, deletions) at the next request, in any process.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from starlette.responses import Response

from tenantctl.emulator.core import ArmError, Ctx, Doc, empty_response, iso, json_response, new_guid, now
from tenantctl.emulator.world import World

# action -> finalizer(world, op) run once when the op's time is up; modules register theirs.
FINALIZERS: dict[str, Callable[[World, Doc], None]] = {}

_RESCAN_SECONDS = 0.5
_PENDING = "pending"  # the parent column of ops not yet settled (indexed lookup)
_RUNNING = {"create": "Creating", "update": "Updating", "delete": "Deleting", "purge": "Deleting"}


def conflict(account_id: str) -> ArmError:
    # Exact Azure text (research/arm-api.md §3.3); deliberately no Retry-After (the SDK would retry it).
    return ArmError(
        409,
        "RequestConflict",
        f"Another operation is being performed on the parent resource '{account_id}'. Please try again later.",
    )


def assert_not_busy(world: World, account: Doc) -> None:
    if now() < float(account.get("_busyUntil", 0.0)):
        raise conflict(account["id"])


def mark_busy(world: World, account: Doc) -> None:
    account["_busyUntil"] = now() + max(0.0, world.settings.lro_seconds)


def begin_write(
    world: World,
    ctx: Ctx,
    account: Doc,
    *,
    action: str,
    verb: str,
    resource_id: str | None = None,
    location: str | None = None,
    extra: Doc | None = None,
) -> Doc:
    """One write on an account or its children: mark the account busy, so that a second write
    meanwhile gets 409 RequestConflict as in Azure, and start the write's long-running operation."""
    mark_busy(world, account)
    return start(
        world,
        ctx,
        action=action,
        resource_id=resource_id or account["id"],
        sub=account["_sub"],
        location=location or account["location"],
        verb=verb,
        account_id=account["id"],
        extra=extra,
    )


def start(
    world: World,
    ctx: Ctx,
    *,
    action: str,
    resource_id: str,
    sub: str,
    location: str,
    verb: str,
    account_id: str = "",
    extra: Doc | None = None,
) -> Doc:
    """Record an operation; ``verb`` is create/update/delete/purge (drives the in-progress status)."""
    started = now()
    op: Doc = {
        "id": new_guid(),
        "action": action,
        "verb": verb,
        "resourceId": resource_id,
        "sub": sub,
        "location": location.replace(" ", "").lower(),
        "accountId": account_id,
        "startedAt": started,
        "endsAt": started + max(0.0, world.settings.lro_seconds),
        "status": "pending",
        "error": None,
        "extra": extra or {},
    }
    faults = world.faults
    if faults.lro_fail_rate > 0 and ctx.method in faults.methods and world.rng.random() < faults.lro_fail_rate:
        op["error"] = {
            "code": "InternalServerError",
            "message": "An internal error occurred while processing the operation (injected fault).",
        }
    world.store.put("op", op["id"], op, parent=_PENDING, sub=sub)
    world.next_due = min(world.next_due, op["endsAt"]) if world.next_due > -math.inf else op["endsAt"]
    return op


def settle(world: World) -> None:
    """Apply every pending op whose time has come (the lazy state machine)."""
    t = now()
    # Fast path; the periodic rescan picks up ops written by another process sharing the state file.
    if t < world.next_due and t - world.last_scan < _RESCAN_SECONDS:
        return
    world.last_scan = t
    with world.store.tx() as store:
        nxt = math.inf
        for op in store.children("op", _PENDING):  # only pending ops: finished ones pile up
            if op["status"] != "pending":
                continue
            if op["endsAt"] > t:
                nxt = min(nxt, op["endsAt"])
                continue
            op["status"] = "Failed" if op["error"] else "Succeeded"
            finalizer = FINALIZERS.get(op["action"])
            if finalizer is not None:
                finalizer(world, op)
            store.put("op", op["id"], op, sub=op["sub"])
        world.next_due = nxt


def op_url(ctx: Ctx, op: Doc) -> str:
    return (
        f"{ctx.base}/subscriptions/{op['sub']}/providers/Microsoft.CognitiveServices/locations/"
        f"{op['location']}/operationResults/{op['id']}?api-version=2017-04-18"
    )


def _retry(ctx: Ctx) -> dict[str, str]:
    ra = ctx.world.settings.retry_after
    return {"Retry-After": str(ra)} if ra > 0 else {}


def async_headers(ctx: Ctx, op: Doc) -> dict[str, str]:
    return {"Azure-AsyncOperation": op_url(ctx, op), **_retry(ctx)}


def location_headers(ctx: Ctx, op: Doc) -> dict[str, str]:
    return {"Location": op_url(ctx, op) + "&monitor=location", **_retry(ctx)}


def status_handler(ctx: Ctx) -> Response:
    """GET of an operationResults URL: async-operation status body, or a Location monitor."""
    op = ctx.world.store.get("op", ctx.params["opId"])
    if op is None or op["sub"].lower() != ctx.params["subscriptionId"].lower():
        raise ArmError(404, "OperationNotFound", f"The operation '{ctx.params['opId']}' could not be found.")
    status = op["status"]
    if ctx.query.get("monitor") == "location":
        if status == "pending":
            return empty_response(202, location_headers(ctx, op))
        if status == "Failed":
            raise ArmError(400, op["error"]["code"], op["error"]["message"])
        result = op["extra"].get("result")
        if result == "deployment":
            doc = ctx.world.store.get("deployment", op["resourceId"])
            if doc is not None:
                return json_response(public(doc))
        return empty_response(204)
    body: Doc = {
        "id": f"/subscriptions/{op['sub']}/providers/Microsoft.CognitiveServices/locations/{op['location']}"
        f"/operationResults/{op['id']}",
        "name": op["id"],
        "startTime": iso(op["startedAt"]),
    }
    if status == "pending":
        body["status"] = _RUNNING.get(op["verb"], "InProgress")
        return json_response(body, 200, _retry(ctx))
    body["status"] = status
    body["endTime"] = iso(op["endsAt"])
    if status == "Failed":
        body["error"] = op["error"]
    return json_response(body)


def public(doc: Doc) -> Doc:
    """A stored document without the emulator's private ``_`` fields."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
