"""Azure Resource Graph: ``POST /providers/Microsoft.ResourceGraph/resources`` over the emulator's accounts.

Only the query shape tenantctl sends is understood (README "Resource Graph" cites each behaviour)::

    resources | where type =~ '<type>' and tags['<key>'] =~ '<value>' [and ...]
              | project <column>, ... | order by <column> [asc|desc]

(``==`` compares case-sensitively, ``=~`` case-insensitively; ``project`` and ``order by`` are optional).
Anything else is answered 400 with Resource Graph's envelope: code ``BadRequest`` with an
``InvalidQuery`` detail.  Rows come from the store's accounts in the requested subscriptions that the
caller may read (RBAC as for an ARM read; subscriptions it cannot see are left out, as Resource Graph
does); ``objectArray`` answers page by ``$top`` (at most 1,000) and an opaque ``$skipToken``, which is
only offered when the query projects ``id`` (otherwise the answer says ``resultTruncated``).  Every
answer carries ``x-ms-user-quota-remaining`` / ``x-ms-user-quota-resets-after`` from a per-caller
window (settings ``resource_graph_quota`` / ``resource_graph_window``); past it, 429.  With
``resource_graph_lag`` the index trails ARM: accounts created within the lag are not there yet, and
accounts deleted within it still are, as they were.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from typing import Any

from starlette.responses import Response

from tenantctl.emulator import rbac
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, json_response, new_guid, now
from tenantctl.emulator.deleted import NS
from tenantctl.emulator.lro import public
from tenantctl.emulator.world import World

__all__ = ["register"]

_MAX_TOP = 1000
_COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)
_STRING = r"'((?:[^'\\]|\\.)*)'"
_CONDITION = re.compile(
    rf"^(type|name|location|kind|resourceGroup|subscriptionId|tags\[{_STRING}\])\s*(=~|==)\s*{_STRING}$"
)
_ORDER = re.compile(r"^order\s+by\s+(\w+)(?:\s+(asc|desc))?$", re.IGNORECASE)


class _InvalidQueryError(Exception):
    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


def _invalid(message: str, token: str) -> Response:
    """Resource Graph's answer to a query it cannot run: BadRequest, with InvalidQuery and the parser's detail."""
    rid = new_guid()
    return json_response(
        {
            "error": {
                "code": "BadRequest",
                "message": f"Please provide below info when asking for support: timestamp = "
                f"{dt.datetime.now(dt.timezone.utc).isoformat()}, correlationId = {rid}.",
                "details": [
                    {
                        "code": "InvalidQuery",
                        "message": "Query is invalid. Please refer to the documentation for the Azure Resource "
                        "Graph service and fix the query before retrying.",
                    },
                    {"code": "ParserFailure", "message": message, "token": token},
                ],
            }
        },
        400,
    )


def _split_stages(query: str) -> list[str]:
    """The ``|``-separated stages, quotes respected."""
    stages: list[str] = []
    current: list[str] = []
    quoted = False
    for char in query:
        if char == "'":
            quoted = not quoted
        if char == "|" and not quoted:
            stages.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    stages.append("".join(current).strip())
    return stages


def _split_and(clause: str) -> list[str]:
    parts = re.split(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", clause, flags=re.IGNORECASE)
    return [p.strip() for p in parts]


class _Query:
    """The parsed subset: filters, projected columns (None = all) and an order."""

    def __init__(self, text: str) -> None:
        stages = _split_stages(text)
        if stages[0].lower() != "resources":
            raise _InvalidQueryError("only the resources table is served here", stages[0])
        self.filters: list[tuple[str, str | None, bool, str]] = []  # (column, tag key, case-insensitive, value)
        self.columns: list[str] | None = None
        self.order: tuple[str, bool] | None = None  # (column, descending)
        for stage in stages[1:]:
            head = stage.split(None, 1)[0].lower() if stage else ""
            if head == "where":
                self._where(stage[len("where") :].strip())
            elif head == "project":
                self._project(stage[len("project") :].strip())
            elif head == "order":
                self._order(stage)
            else:
                raise _InvalidQueryError(f"unsupported operator '{head}'", stage)

    def _where(self, clause: str) -> None:
        for condition in _split_and(clause):
            m = _CONDITION.match(condition)
            if m is None:
                raise _InvalidQueryError("unsupported condition", condition)
            column, tag, op, value = m.group(1), m.group(2), m.group(3), m.group(4)
            self.filters.append(("tags" if tag is not None else column, tag, op == "=~", value))

    def _project(self, clause: str) -> None:
        columns = [c.strip() for c in clause.split(",")]
        unknown = [c for c in columns if c not in _COLUMNS]
        if unknown or not columns:
            raise _InvalidQueryError(f"unknown column '{(unknown or [''])[0]}'", clause)
        self.columns = columns

    def _order(self, stage: str) -> None:
        m = _ORDER.match(stage)
        if m is None or m.group(1) not in _COLUMNS:
            raise _InvalidQueryError("unsupported order", stage)
        self.order = (m.group(1), (m.group(2) or "asc").lower() == "desc")

    def matches(self, row: Doc) -> bool:
        for column, tag, folded, value in self.filters:
            found = (row.get("tags") or {}).get(tag or "") if column == "tags" else row.get(column)
            if found is None:
                return False
            if (str(found).lower() != value.lower()) if folded else (str(found) != value):
                return False
        return True


def _row(doc: Doc, tenant_id: str) -> Doc:
    """An account as Resource Graph shows it: ARM's body plus its own columns (type and group lower-cased)."""
    row = public(doc)
    row["type"] = f"{NS}/accounts".lower()
    row["resourceGroup"] = str(doc.get("_rg", "")).lower()
    row["subscriptionId"] = doc.get("_sub", "")
    row["tenantId"] = tenant_id
    return row


def _when(value: Any) -> float:
    try:
        return dt.datetime.strptime(str(value)[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.timezone.utc).timestamp()
    except ValueError:
        return 0.0


def _indexed_accounts(world: World, sub: str) -> list[Doc]:
    """The accounts Resource Graph knows of in ``sub``: ARM's, as of ``resource_graph_lag`` seconds ago."""
    lag = world.settings.resource_graph_lag
    live = world.store.in_subscription("account", sub)
    if lag <= 0:
        return live
    cutoff = now() - lag
    seen = [a for a in live if _when(a["properties"].get("dateCreated")) <= cutoff]
    gone = [
        d["_account"]
        for d in world.store.in_subscription("deleted_account", sub)
        if _when(d["properties"].get("deletionDate")) > cutoff
    ]
    return seen + gone


def _quota(ctx: Ctx) -> dict[str, str]:
    """Take one query from the caller's window; 429 when it is used up. Returns the throttling headers."""
    world = ctx.world
    limit, window = max(1, world.settings.resource_graph_quota), max(0.001, world.settings.resource_graph_window)
    key = ("resourcegraph", ctx.principal)
    t = now()
    used, start = world.buckets.get(key, (0.0, t))
    if t - start >= window:
        used, start = 0.0, t
    left = math.ceil(start + window - t)  # whole seconds, rounded up: waiting that long always suffices
    resets = f"{left // 3600:02d}:{left % 3600 // 60:02d}:{left % 60:02d}"
    if used >= limit:
        raise ArmError(
            429,
            "RateLimiting",
            f"Please provide below info when asking for support: timestamp = "
            f"{dt.datetime.now(dt.timezone.utc).isoformat()}, correlationId = {new_guid()}. "
            "The number of requests exceeded the quota for the user.",
            {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": resets},
        )
    world.buckets[key] = (used + 1, start)
    return {"x-ms-user-quota-remaining": str(int(limit - used - 1)), "x-ms-user-quota-resets-after": resets}


def _readable_rows(ctx: Ctx, subscriptions: list[str]) -> list[Doc]:
    world, tenant = ctx.world, str((ctx.claims or {}).get("tid", "")).lower()
    rows = []
    for sub_id in dict.fromkeys(s.lower() for s in subscriptions):
        sub = world.store.get("subscription", sub_id)
        if sub is None or sub["tenantId"] != tenant:
            continue  # a subscription the caller cannot see contributes nothing (no error)
        for doc in _indexed_accounts(world, sub["subscriptionId"]):
            if rbac.permits(world, ctx.principal, doc["id"], f"{NS}/accounts/read"):
                rows.append(_row(doc, tenant))
    return rows


def _resources(ctx: Ctx) -> Response:
    if not ctx.world.settings.resource_graph:
        raise ArmError(
            404,
            "InvalidResourceType",
            "The resource type 'resources' could not be found in the namespace 'Microsoft.ResourceGraph' for api "
            f"version '{ctx.query.get('api-version', '')}'.",
        )
    headers = _quota(ctx)
    body = ctx.json_body()
    options = body.get("options") or {}
    subscriptions = body.get("subscriptions") or []
    if not isinstance(subscriptions, list) or not subscriptions:
        resp = _invalid("a query scope (subscriptions) is required", "subscriptions")
    elif str(options.get("resultFormat", "objectArray")) != "objectArray":
        resp = _invalid("only resultFormat objectArray is served here", str(options.get("resultFormat")))
    else:
        try:
            resp = _answer(ctx, _Query(str(body.get("query", ""))), subscriptions, options)
        except _InvalidQueryError as bad:
            resp = _invalid(bad.message, bad.token)
    for name, value in headers.items():
        resp.headers[name] = value
    return resp


def _answer(ctx: Ctx, query: _Query, subscriptions: list[str], options: Doc) -> Response:
    rows = [r for r in _readable_rows(ctx, subscriptions) if query.matches(r)]
    if query.order is not None:
        column, descending = query.order
        rows.sort(key=lambda r: str(r.get(column, "")).lower(), reverse=descending)
    if query.columns is not None:
        rows = [{c: r.get(c) for c in query.columns} for r in rows]
    top = min(_MAX_TOP, int(options.get("$top") or _MAX_TOP), max(1, ctx.world.settings.resource_graph_page_size))
    start = _offset(options.get("$skipToken"))
    page = rows[start : start + top]
    more = start + top < len(rows)
    pageable = query.columns is None or "id" in query.columns  # paging needs id in the result
    doc: Doc = {
        "totalRecords": len(rows),
        "count": len(page),
        "resultTruncated": "true" if more and not pageable else "false",
        "data": page,
        "facets": [],
    }
    if more and pageable:
        doc["$skipToken"] = base64.urlsafe_b64encode(json.dumps({"offset": start + top}).encode()).decode()
    return json_response(doc)


def _offset(token: Any) -> int:
    if not token:
        return 0
    try:
        return max(0, int(json.loads(base64.urlsafe_b64decode(str(token).encode()))["offset"]))
    except (ValueError, KeyError, TypeError):
        raise ArmError(400, "BadRequest", "The $skipToken is not valid.") from None


def register(router: Router) -> None:
    router.add("POST", "/providers/Microsoft.ResourceGraph/resources", _resources, "resourcegraph.resources")
