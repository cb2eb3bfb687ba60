"""Microsoft.Insights diagnostic settings on accounts, and minimal Microsoft.OperationalInsights workspaces.

Behaviour sources (README "Diagnostics"): a diagnostic setting is an extension resource
``{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}`` answered synchronously
(azure-rest-api-specs monitor ``diagnosticsSettings_API.json``, api-version 2021-05-01-preview); the log
categories of Microsoft.CognitiveServices/accounts are Audit, AzureOpenAIRequestUsage, RequestResponse and
Trace, and its metric category is AllMetrics (Learn "Supported logs for Microsoft.CognitiveServices/accounts");
``diagnosticSettingsCategories`` lists them. Workspaces are served just enough to be referenced by id.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, json_response, new_guid, not_found
from tenantctl.emulator.subscriptions import require_rg, rg_id
from tenantctl.emulator.world import World

INSIGHTS = "Microsoft.Insights"
WORKSPACES = "Microsoft.OperationalInsights/workspaces"
ACCOUNT_LOG_CATEGORIES = ("Audit", "AzureOpenAIRequestUsage", "RequestResponse", "Trace")
ACCOUNT_METRIC_CATEGORIES = ("AllMetrics",)
CATEGORY_GROUPS = ("allLogs", "audit")
_ACCOUNT_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$",
    re.IGNORECASE,
)


# ------------------------------------------------------------------ Log Analytics workspaces


def workspace_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{WORKSPACES}/{name}"


def put_workspace(world: World, sub: str, rg: str, name: str, location: str) -> tuple[Doc, bool]:
    with world.store.tx():
        rg_doc = require_rg(world, sub, rg)
        wid = workspace_id(sub, rg_doc["name"], name)
        existing = world.store.get("workspace", wid)
        doc: Doc = {
            "id": wid,
            "name": name,
            "type": WORKSPACES,
            "location": (location or (existing or {}).get("location", "")).replace(" ", "").lower(),
            "properties": {
                "customerId": (existing or {}).get("properties", {}).get("customerId") or new_guid(),
                "provisioningState": "Succeeded",
                "sku": {"name": "PerGB2018"},
                "retentionInDays": 30,
            },
        }
        world.store.put("workspace", wid, doc, parent=rg_doc["id"], sub=sub)
    return doc, existing is None


def _put_workspace(ctx: Ctx) -> Response:
    p = ctx.params
    body = ctx.json_body()
    doc, created = put_workspace(ctx.world, p["subscriptionId"], p["rg"], p["name"], str(body.get("location", "")))
    return json_response(doc, 201 if created else 200)


def _get_workspace(ctx: Ctx) -> Response:
    p = ctx.params
    doc = ctx.world.store.get("workspace", workspace_id(p["subscriptionId"], p["rg"], p["name"]))
    if doc is None:
        raise not_found(WORKSPACES, p["name"], p["rg"])
    return json_response(doc)


# ------------------------------------------------------------------ diagnostic settings


def _target(ctx: Ctx) -> Doc:
    scope = "/" + ctx.params["scope"].strip("/")
    if not _ACCOUNT_ID.match(scope):
        raise ArmError(
            400,
            "ResourceTypeNotSupported",
            f"Resource type of '{scope}' does not support diagnostic settings (emulated for "
            "Microsoft.CognitiveServices/accounts only).",
        )
    account = ctx.world.store.get("account", scope)
    if account is None:
        name = scope.rsplit("/", 1)[-1]
        raise not_found("Microsoft.CognitiveServices/accounts", name, scope.split("/")[4])
    return account


def _setting_id(account: Doc, name: str) -> str:
    return f"{account['id']}/providers/{INSIGHTS}/diagnosticSettings/{name}"


def _unsupported(category: str) -> ArmError:
    return ArmError(400, "BadRequest", f"Category '{category}' is not supported.")


def _check_entries(entries: list[Doc], allowed: tuple[str, ...], groups: tuple[str, ...]) -> list[Doc]:
    out = []
    for entry in entries:
        category, group = entry.get("category"), entry.get("categoryGroup")
        if category is not None and str(category).lower() not in {c.lower() for c in allowed}:
            raise _unsupported(str(category))
        if group is not None and str(group).lower() not in {g.lower() for g in groups}:
            raise _unsupported(str(group))
        out.append(
            {
                k: v
                for k, v in {
                    "category": category,
                    "categoryGroup": group,
                    "enabled": bool(entry.get("enabled", False)),
                    "retentionPolicy": entry.get("retentionPolicy") or {"enabled": False, "days": 0},
                }.items()
                if v is not None
            }
        )
    return out


def _put_setting(ctx: Ctx) -> Response:
    world = ctx.world
    props = ctx.json_body().get("properties") or {}
    with world.store.tx():
        account = _target(ctx)
        sid = _setting_id(account, ctx.params["name"])
        workspace = props.get("workspaceId")
        if not workspace and not props.get("storageAccountId") and not props.get("eventHubAuthorizationRuleId"):
            raise ArmError(
                400,
                "BadRequest",
                "At least one of storageAccountId, serviceBusRuleId, eventHubAuthorizationRuleId, "
                "workspaceId or marketplacePartnerId must be set.",
            )
        if workspace and world.store.get("workspace", str(workspace)) is None:
            raise ArmError(
                400,
                "LinkedAuthorizationFailed",
                f"The workspace '{workspace}' could not be found, or the caller lacks "
                "Microsoft.OperationalInsights/workspaces/sharedKeys/action on it.",
            )
        doc: Doc = {
            "id": sid,
            "name": ctx.params["name"],
            "type": f"{INSIGHTS}/diagnosticSettings",
            "properties": {
                "workspaceId": workspace,
                "logs": _check_entries(props.get("logs") or [], ACCOUNT_LOG_CATEGORIES, CATEGORY_GROUPS),
                "metrics": _check_entries(props.get("metrics") or [], ACCOUNT_METRIC_CATEGORIES, ()),
                "logAnalyticsDestinationType": props.get("logAnalyticsDestinationType"),
            },
        }
        world.store.put("diagnosticsetting", sid, doc, parent=account["id"], sub=account["_sub"])
    # Azure answers 200 to both create and update (no 201 in the spec).
    return json_response(doc)


def _get_setting(ctx: Ctx) -> Response:
    account = _target(ctx)
    doc = ctx.world.store.get("diagnosticsetting", _setting_id(account, ctx.params["name"]))
    if doc is None:
        raise ArmError(404, "ResourceNotFound", f"The diagnostic setting '{ctx.params['name']}' doesn't exist.")
    return json_response(doc)


def _delete_setting(ctx: Ctx) -> Response:
    account = _target(ctx)
    found = ctx.world.store.delete("diagnosticsetting", _setting_id(account, ctx.params["name"]))
    return empty_response(200 if found else 204)


def _list_settings(ctx: Ctx) -> Response:
    account = _target(ctx)
    # Not paged in Azure: the list answers {"value": [...]} with no nextLink.
    return json_response({"value": ctx.world.store.children("diagnosticsetting", account["id"])})


def _list_categories(ctx: Ctx) -> Response:
    account = _target(ctx)
    base = f"{account['id']}/providers/{INSIGHTS}/diagnosticSettingsCategories"
    rows = [(c, "Logs") for c in ACCOUNT_LOG_CATEGORIES] + [(c, "Metrics") for c in ACCOUNT_METRIC_CATEGORIES]
    return json_response(
        {
            "value": [
                {
                    "id": f"{base}/{name}",
                    "name": name,
                    "type": f"{INSIGHTS}/diagnosticSettingsCategories",
                    "properties": {
                        "categoryType": kind,
                        "categoryGroups": list(CATEGORY_GROUPS) if kind == "Logs" else [],
                    },
                }
                for name, kind in rows
            ]
        }
    )


def register(router: Router) -> None:
    ds = "/{scope:path}/providers/Microsoft.Insights/diagnosticSettings"
    read, write = f"{INSIGHTS}/diagnosticSettings/read", f"{INSIGHTS}/diagnosticSettings/write"
    router.add("GET", ds, _list_settings, "diagnostic_settings.list", read)
    router.add("GET", ds + "/{name}", _get_setting, "diagnostic_settings.get", read)
    router.add("PUT", ds + "/{name}", _put_setting, "diagnostic_settings.create_or_update", write)
    router.add(
        "DELETE", ds + "/{name}", _delete_setting, "diagnostic_settings.delete", f"{INSIGHTS}/diagnosticSettings/delete"
    )
    router.add(
        "GET",
        "/{scope:path}/providers/Microsoft.Insights/diagnosticSettingsCategories",
        _list_categories,
        "diagnostic_settings_category.list",
        f"{INSIGHTS}/diagnosticSettingsCategories/read",
    )
    ws = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}"
    router.add("GET", ws, _get_workspace, "workspaces.get", f"{WORKSPACES}/read")
    router.add("PUT", ws, _put_workspace, "workspaces.begin_create_or_update", f"{WORKSPACES}/write")
