"""The Starlette application: one catch-all endpoint dispatching to three routers.

Order of ARM request processing mirrors what a client can observe from Azure: count → latency →
injected fault → token (401) → subscription & tenant (404/401) → throttling (429) → lazy LRO settling →
RBAC (403) → the operation. Entra and the admin routes skip faults and RBAC.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tenantctl.emulator import (
    accounts,
    control,
    deleted,
    deployments,
    entra,
    faults,
    fine_tuned,
    keyvault,
    loganalytics,
    lro,
    metrics,
    monitor,
    network,
    quota,
    rai,
    rbac,
    resourcegraph,
    subscriptions,
    tokens,
)
from tenantctl.emulator.core import ArmError, Ctx, Router, error_response, json_response, new_guid
from tenantctl.emulator.world import World

log = logging.getLogger("tenantctl.emulator")
_SUB = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_OP_STATUS = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.CognitiveServices/locations/[^/]+/"
    r"operationResults/[^/]+/?$",
    re.IGNORECASE,
)
# ARM serves a path with empty segments (``https://management.azure.com//subscriptions/...``, which
# Microsoft's own REST walkthroughs send) as if the slashes were single; clients that join an endpoint
# ending in ``/`` with a path starting with ``/`` produce exactly that.
_EMPTY_SEGMENTS = re.compile(r"/{2,}")

_LOGS_QUERY = re.compile(r"^/v1/workspaces/(?P<workspaceId>[^/]+)/query/?$", re.IGNORECASE)
_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"]


def build_arm_router() -> Router:
    router = Router()
    router.add(
        "GET",
        "/subscriptions/{subscriptionId}/providers/Microsoft.CognitiveServices/locations/{location}/"
        "operationResults/{opId}",
        lro.status_handler,
        "lro.poll",
    )
    for module in (
        subscriptions,
        accounts,
        deleted,
        deployments,
        fine_tuned,
        quota,
        rai,
        rbac,
        network,
        monitor,
        keyvault,
        metrics,
        resourcegraph,
    ):
        module.register(router)  # type: ignore[attr-defined]
    return router


def build_entra_router() -> Router:
    router = Router()
    router.add("GET", "/common/discovery/instance", entra.instance_discovery, "entra.instance_discovery")
    router.add(
        "GET",
        "/{tenant}/v2.0/.well-known/openid-configuration",
        entra.openid_configuration,
        "entra.discovery",
    )
    router.add("GET", "/{tenant}/discovery/v2.0/keys", entra.jwks, "entra.keys")
    router.add("POST", "/{tenant}/oauth2/v2.0/token", entra.token, "entra.token")
    router.add("GET", "/{tenant}/adminconsent", entra.admin_consent, "entra.adminconsent")
    router.add("GET", "/{tenant}/v2.0/adminconsent", entra.admin_consent, "entra.adminconsent")
    return router


class Dispatcher:
    def __init__(self, world: World, admin: control.Admin) -> None:
        self.world = world
        self.admin_router = control.build_router(admin)
        self.public = Router()
        subscriptions.register_public(self.public)
        self.entra = build_entra_router()
        self.arm = build_arm_router()

    async def __call__(self, request: Request) -> Response:
        path = _EMPTY_SEGMENTS.sub("/", request.url.path)
        method = request.method
        ctx = Ctx(
            world=self.world,
            method=method,
            path=path,
            host=request.headers.get("host", "127.0.0.1"),
            query={k.lower(): v for k, v in request.query_params.multi_items()},
            body=None,
            client_host=request.client.host if request.client else "",
        )
        raw = await request.body()
        try:
            served = self._vault_admin_or_logs(request, ctx, raw)
            if served is not None:
                return served
            hit = self.public.match(method, path)
            if hit is not None:
                ctx.params = hit[1]
                return hit[0].handler(ctx)
            if not path.lower().startswith(("/subscriptions", "/tenants", "/providers")):
                hit = self.entra.match(method, path)
                if hit is not None:
                    return self._entra(ctx, hit[0], hit[1], raw)
            return await self._arm(request, ctx, raw)
        except ArmError as err:
            return self._finish(error_response(err))
        except Exception:
            log.exception("emulator handler failed for %s %s", method, path)
            return self._finish(
                error_response(ArmError(500, "InternalServerError", "The emulator failed to process the request."))
            )

    @staticmethod
    def _finish(resp: Response) -> Response:
        rid = new_guid()
        resp.headers["x-ms-request-id"] = rid
        resp.headers["x-ms-correlation-request-id"] = rid
        return resp

    def _vault(self, ctx: Ctx, vault_id: str, raw: bytes, request: Request) -> Response:
        """A request on a vault's own port: the Key Vault data plane, never ARM or Entra."""
        ctx.body = json.loads(raw) if raw else None
        return self._finish(keyvault.serve_data_plane(ctx, vault_id, request.headers.get("authorization", "")))

    def _admin(self, ctx: Ctx, raw: bytes) -> Response:
        if ctx.client_host not in ("127.0.0.1", "::1", "localhost"):
            raise ArmError(403, "Forbidden", "The emulator's admin API is served on loopback only.")
        ctx.body = json.loads(raw) if raw else None
        hit = self.admin_router.match(ctx.method, ctx.path)
        if hit is None:
            raise ArmError(404, "NotFound", f"No admin route {ctx.method} {ctx.path}.")
        ctx.params = hit[1]
        return hit[0].handler(ctx)

    def _entra(self, ctx: Ctx, route: Any, params: dict[str, str], raw: bytes) -> Response:
        self.world.count(route.op, arm=False)
        ctx.params = params
        ctx.form = dict(parse_qsl(raw.decode("utf-8", "replace"))) if raw else {}
        try:
            return route.handler(ctx)  # type: ignore[no-any-return]
        except entra.AadError as err:
            return entra.aad_response(err)

    def _vault_admin_or_logs(self, request: Request, ctx: Ctx, raw: bytes) -> Response | None:
        """The hosts and paths outside ARM: a Key Vault's own port, the control API, Log Analytics."""
        vault = self.world.vault_ports.get(int((request.scope.get("server") or ("", 0))[1] or 0))
        if vault is not None:
            return self._vault(ctx, vault, raw, request)
        if ctx.path.startswith("/_emulator/"):
            return self._admin(ctx, raw)
        logs = _LOGS_QUERY.match(ctx.path) if ctx.method == "POST" else None
        if logs is None:
            return None
        ctx.params = {"workspaceId": logs.group("workspaceId")}
        return self._finish(self._logs(request, ctx, raw))

    def _logs(self, request: Request, ctx: Ctx, raw: bytes) -> Response:
        """Log Analytics data plane: its own audience, no ARM faults/RBAC (a workspace reader role is
        assumed), Log Analytics' error envelope."""
        self.world.count("logs.query", arm=True)
        try:
            ctx.claims = tokens.verify_bearer(
                self.world, request.headers.get("authorization", ""), ctx.base, tokens.LOGS_AUDIENCES
            )
            ctx.body = json.loads(raw) if raw else None
        except ArmError as err:
            return loganalytics.error_response(err.status, err.code, err.message, err.code, err.message)
        except ValueError:
            return loganalytics.error_response(
                400, "BadArgumentError", "The request had some invalid properties", "BadArgumentError",
                "The request body is not valid JSON.",
            )  # fmt: skip
        return loganalytics.handle(ctx)

    async def _arm(self, request: Request, ctx: Ctx, raw: bytes) -> Response:
        world = self.world
        hit = self.arm.match(ctx.method, ctx.path)
        op = hit[0].op if hit else "unknown"
        world.count(op, arm=True)
        if world.settings.latency_ms > 0:
            await asyncio.sleep(world.settings.latency_ms / 1000.0)
        fault = faults.pick_fault(world, ctx.method) if op != "lro.poll" else None
        if fault in ("429", "5xx"):
            raise faults.fault_error(world, fault)
        if fault == "drop-before" and await self._drop(request):
            return Response(b"", status_code=500)
        # metrics:getBatch is Azure Monitor's regional data plane: tokens for https://metrics.monitor.azure.com
        audiences = tokens.METRICS_AUDIENCES if op == "metrics.get_batch" else None  # None: the emulated cloud's ARM
        ctx.claims = tokens.verify_bearer(world, request.headers.get("authorization", ""), ctx.base, audiences)
        extra_headers = self._subscription_gate(ctx)
        if hit is None:
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type could not be found for path '{ctx.path}' "
                f"and api version '{ctx.query.get('api-version', '')}'.",
            )
        route, ctx.params = hit
        lro.settle(world)
        if route.action is not None:
            rbac.authorize(ctx, route.action)
        if raw:
            try:
                ctx.body = json.loads(raw)
            except ValueError:
                raise ArmError(
                    400,
                    "InvalidRequestContent",
                    "The request content was invalid and could not be deserialized.",
                ) from None
        try:
            resp = route.handler(ctx)
        except ArmError as err:
            resp = error_response(err)
        if fault == "drop-after" and await self._drop(request):  # applied, but the answer is lost
            return Response(b"", status_code=500)
        for k, v in extra_headers.items():
            resp.headers[k] = v
        return self._finish(resp)

    def _subscription_gate(self, ctx: Ctx) -> dict[str, str]:
        """404 unknown subscription, 401 token from another tenant, 429 when throttled."""
        m = _SUB.match(ctx.path)
        if not m:
            return {}
        sub = self.world.store.get("subscription", m.group(1))
        if sub is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{m.group(1)}' could not be found.")
        tid = str((ctx.claims or {}).get("tid", "")).lower()
        if sub["tenantId"] != tid:
            raise _wrong_tenant(ctx, tid, sub["tenantId"])
        if self.world.settings.throttle:
            return faults.throttle(self.world, ctx.method, sub["subscriptionId"])
        return {}

    @staticmethod
    async def _drop(request: Request) -> bool:
        if not faults.drop(dict(request.scope)):
            return False
        await asyncio.sleep(0.01)  # let uvicorn notice the lost connection so it sends nothing
        return True


def _wrong_tenant(ctx: Ctx, token_tid: str, sub_tid: str) -> ArmError:
    base = ctx.base
    return ArmError(
        401,
        "InvalidAuthenticationTokenTenant",
        f"The access token is from the wrong issuer "
        f"'{base}/{token_tid}/'. It must match the tenant '{base}/{sub_tid}/' associated with this "
        f"subscription. Please use the authority (URL) '{base}/{sub_tid}' to get the token. Note, if "
        "the subscription is transferred to another tenant there is no impact to the services, but "
        "information about new tenant could take time to propagate (up to an hour). If you just "
        "transferred your subscription and see this error message, please try back later.",
        {
            "WWW-Authenticate": f'Bearer authorization_uri="{base}/{sub_tid}", error="invalid_token", '
            'error_description="The access token is from the wrong issuer."'
        },
    )


def build_app(world: World, admin: control.Admin) -> Starlette:
    dispatcher = Dispatcher(world, admin)
    return Starlette(routes=[Route("/{path:path}", dispatcher.__call__, methods=_METHODS)])


__all__ = ["build_app", "json_response"]
