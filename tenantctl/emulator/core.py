"""Request context, routing table and ARM response helpers shared by the resource modules.

ARM conventions emulated here (research/arm-api.md §2.3, §3.1, §6): case-insensitive paths, canonical
ids in bodies, error envelope ``{"error": {"code", "message"}}`` with ``Content-Type: application/json``,
absolute URLs (nextLink, LRO headers) built from the request's Host header, ``x-ms-request-id``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.responses import Response

if TYPE_CHECKING:
    from tenantctl.emulator.world import World

Doc = dict[str, Any]


class ArmError(Exception):
    """An ARM error answer; raised anywhere inside a handler."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(rtype: str, name: str, rg: str | None = None) -> ArmError:
    if rtype == "ResourceGroup":
        return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
    where = f" under resource group '{rg}'" if rg else ""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{rtype}/{name}'{where} was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def now() -> float:
    return time.time()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def new_guid() -> str:
    return str(uuid.uuid4())


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(doc, dict) and isinstance(doc.get("etag"), str):
        # ARM repeats a resource's etag in the ETag header (recorded account and deployment PUTs).
        headers = {"ETag": doc["etag"], **(headers or {})}
    body = json.dumps(doc, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def empty_response(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


def error_response(err: ArmError) -> Response:
    return json_response({"error": {"code": err.code, "message": err.message}}, err.status, err.headers)


@dataclass
class Ctx:
    """One ARM/Entra request as the handlers see it."""

    world: World
    method: str
    path: str
    host: str
    query: dict[str, str]
    body: Any
    params: dict[str, str] = field(default_factory=dict)
    claims: Doc | None = None
    form: dict[str, str] = field(default_factory=dict)
    client_host: str = ""

    @property
    def base(self) -> str:
        return f"https://{self.host}"

    @property
    def principal(self) -> str:
        return str((self.claims or {}).get("oid", ""))

    def json_body(self) -> Doc:
        if not isinstance(self.body, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: 'Expected a JSON object'.",
            )
        return self.body

    def page(self, items: list[Doc]) -> Response:
        """``{"value": [...], "nextLink"}`` paging with a skip token in the next URL."""
        size = max(1, int(self.world.settings.page_size))
        try:
            start = int(self.query.get("$skiptoken", "0"))
        except ValueError:
            start = 0
        chunk = items[start : start + size]
        doc: Doc = {"value": chunk}
        if start + size < len(items):
            q = {k: v for k, v in self.query.items() if k != "$skiptoken"}
            q["$skipToken"] = str(start + size)
            doc["nextLink"] = f"{self.base}{self.path}?{urlencode(q)}"
        return json_response(doc)


Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    op: str  # SDK operation name, used for request counting
    action: str | None  # RBAC action; None = no RBAC check (token still verified)


_PARAM = re.compile(r"\{(\w+)\}")


class Router:
    """Case-insensitive regex router; ``{name}`` matches one path segment, ``{name:path}`` several."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, op: str, action: str | None = None) -> None:
        regex = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        regex = re.sub(r"\{(\w+):path\}", r"(?P<\1>.+?)", regex)
        regex = _PARAM.sub(r"(?P<\1>[^/]+)", regex)
        self.routes.append(Route(method, re.compile(f"^{regex}/?$", re.IGNORECASE), handler, op, action))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        allowed = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            if route.method == method:
                return route, m.groupdict()
            allowed = True
        if allowed:
            raise ArmError(405, "MethodNotAllowed", f"The requested method '{method}' is not allowed.")
        return None
