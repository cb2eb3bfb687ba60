"""Azure RBAC: built-in role definitions, role assignments (azure-mgmt-authorization 2022-04-01) and the
authorization check ARM performs on every request.

Role ids and their action sets: research/arm-api.md §4.2 and
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning.
The 403 ``AuthorizationFailed`` text is Azure's; ``RoleAssignmentExists`` (409) for the same
principal+role+scope under another GUID (research/arm-api.md §4.2). An assignment applies to its scope and
everything below it (prefix match on path segments).
"""

from __future__ import annotations

import re
import uuid
from functools import cache

from starlette.responses import Response

from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, empty_response, iso, json_response, now
from tenantctl.emulator.world import World

_AUTH = "Microsoft.Authorization"
_CS_READ = "Microsoft.CognitiveServices/*/read"
BUILTIN_ROLES: dict[str, tuple[str, list[str], list[str]]] = {
    # guid: (roleName, actions, notActions)
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", ["*"], []),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        ["*"],
        [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
        ],
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", ["*/read"], []),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": (
        "Cognitive Services OpenAI User",
        [
            _CS_READ,
            "Microsoft.Authorization/roleAssignments/read",
            "Microsoft.Authorization/roleDefinitions/read",
        ],
        [],
    ),
    "a001fd3d-188f-4b5d-821b-7da978bf7442": (
        "Cognitive Services OpenAI Contributor",
        [
            _CS_READ,
            "Microsoft.CognitiveServices/accounts/deployments/write",
            "Microsoft.CognitiveServices/accounts/deployments/delete",
            "Microsoft.CognitiveServices/accounts/raiPolicies/*",
            "Microsoft.CognitiveServices/accounts/raiBlocklists/*",
            "Microsoft.CognitiveServices/accounts/commitmentplans/*",
            "Microsoft.Authorization/roleAssignments/read",
            "Microsoft.Authorization/roleDefinitions/read",
        ],
        [],
    ),
    "a97b65f3-24c7-4388-baec-2e87135dc908": (
        "Cognitive Services User",
        [
            _CS_READ,
            "Microsoft.CognitiveServices/accounts/listkeys/action",
            "Microsoft.Insights/alertRules/read",
        ],
        [],
    ),
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": (
        "Cognitive Services Contributor",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.CognitiveServices/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/subscriptions/operationresults/read",
            "Microsoft.Insights/alertRules/*",
        ],
        [],
    ),
    "bba48692-92b0-4667-a9ad-c31c7b334ac2": (
        "Cognitive Services Usages Reader",
        ["Microsoft.CognitiveServices/locations/usages/read"],
        [],
    ),
    # Key Vault data-plane roles (Learn "Azure built-in roles for Security"): their power is in dataActions.
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": ("Key Vault Administrator", ["Microsoft.Authorization/*/read"], []),
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": ("Key Vault Secrets Officer", ["Microsoft.Authorization/*/read"], []),
    "4633458b-17de-408a-b874-0445c86b69e6": ("Key Vault Secrets User", [], []),
}
# guid -> dataActions; a role not listed grants none (Owner and Contributor give no data-plane access).
DATA_ACTIONS: dict[str, list[str]] = {
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": ["Microsoft.KeyVault/vaults/*"],
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": ["Microsoft.KeyVault/vaults/secrets/*"],
    "4633458b-17de-408a-b874-0445c86b69e6": [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
}
ROLE_BY_NAME = {name.lower(): guid for guid, (name, _, _) in BUILTIN_ROLES.items()}
_GUID_IN = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\s*$")


def role_guid(role: str) -> str:
    """A built-in role name or a definition GUID / id → the definition GUID."""
    m = _GUID_IN.search(role)
    if m:
        return m.group(1).lower()
    guid = ROLE_BY_NAME.get(role.lower())
    if guid is None:
        raise ValueError(f"unknown role {role!r}")
    return guid


@cache
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(action).replace(r"\*", ".*") + "$", re.IGNORECASE)


def _grants(guid: str, action: str) -> bool:
    role = BUILTIN_ROLES.get(guid)
    if role is None:
        return False
    _, actions, not_actions = role
    return any(_pattern(a).match(action) for a in actions) and not any(_pattern(a).match(action) for a in not_actions)


def _covers(scope: str, path: str) -> bool:
    scope = scope.rstrip("/").lower()
    return scope in ("", path) or path.startswith(scope + "/")


def grants_data_action(world: World, principal: str, resource_id: str, data_action: str) -> bool:
    """Whether an assignment of ``principal`` at or above ``resource_id`` grants ``data_action``."""
    path = resource_id.rstrip("/").lower()
    for ra in world.store.children("roleassignment", principal.lower()):
        props = ra["properties"]
        allowed = DATA_ACTIONS.get(role_guid(props["roleDefinitionId"]), [])
        if _covers(props["scope"], path) and any(_pattern(a).match(data_action) for a in allowed):
            return True
    return False


def has_assignment(world: World, scope: str, principal: str, role: str) -> bool:
    """Whether ``principal`` holds exactly ``role`` at exactly ``scope`` (what ``assign`` would create)."""
    guid, where = role_guid(role), _canon_scope(scope).lower()
    return any(
        ra["properties"]["scope"].lower() == where and role_guid(ra["properties"]["roleDefinitionId"]) == guid
        for ra in world.store.children("roleassignment", principal.lower())
    )


def permits(world: World, principal: str, path: str, action: str) -> bool:
    """Whether an assignment of ``principal`` covers ``path`` (a scope or resource id) and grants ``action``."""
    path = path.rstrip("/").lower()
    # Only assignments that can cover the path: in its subscription, or above every subscription. Reading
    # all of the caller's (one per subscription of a pool of 80) cost 1.5 ms of every ARM request.
    return any(
        _covers(ra["properties"]["scope"], path) and _grants(role_guid(ra["properties"]["roleDefinitionId"]), action)
        for ra in world.store.children_in_subscriptions("roleassignment", principal, ("", _sub_of(path)))
    )


def authorize(ctx: Ctx, action: str) -> None:
    """403 AuthorizationFailed unless an assignment of the caller covers the path and grants ``action``."""
    oid = ctx.principal
    if permits(ctx.world, oid, ctx.path, action):
        return
    raise ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{oid}' with object id '{oid}' does not have "
        f"authorization to perform action '{action}' over scope '{ctx.path.rstrip('/')}' or the scope "
        "is invalid. If access was recently granted, please refresh your credentials.",
    )


def _canon_scope(scope: str) -> str:
    scope = "/" + scope.strip("/")
    return re.sub(
        r"(?i)/resourcegroups/", "/resourceGroups/", re.sub(r"(?i)^/subscriptions/", "/subscriptions/", scope)
    )


def _sub_of(scope: str) -> str:
    m = re.match(r"(?i)^/subscriptions/([^/]+)", scope)
    return m.group(1).lower() if m else ""


def assign(
    world: World,
    scope: str,
    principal_id: str,
    role: str,
    *,
    name: str | None = None,
    principal_type: str = "ServicePrincipal",
) -> Doc:
    """Create a role assignment (control API and PUT handler share this)."""
    scope = _canon_scope(scope)
    guid = role_guid(role)
    if guid not in BUILTIN_ROLES:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{guid}' does not exist.",
        )
    sub = _sub_of(scope)
    name = (name or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{principal_id}|{guid}".lower()))).lower()
    rid = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    with world.store.tx() as store:
        for ra in store.children("roleassignment", principal_id):
            p = ra["properties"]
            same = p["scope"].lower() == scope.lower() and role_guid(p["roleDefinitionId"]) == guid
            if same and ra["name"] != name:
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        existing = store.get("roleassignment", rid)
        if existing is not None:
            p = existing["properties"]
            if p["principalId"] != principal_id.lower() or role_guid(p["roleDefinitionId"]) != guid:
                raise ArmError(
                    400,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            return existing
        stamp = iso(now())
        doc = {
            "id": rid,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": role_definition_id(sub, guid),
                "principalId": principal_id.lower(),
                "principalType": principal_type,
                "scope": scope,
                "condition": None,
                "conditionVersion": None,
                "createdOn": stamp,
                "updatedOn": stamp,
                "createdBy": None,
                "updatedBy": None,
                "delegatedManagedIdentityResourceId": None,
                "description": None,
            },
        }
        store.put("roleassignment", rid, doc, parent=principal_id, sub=sub)
        created: Doc = {**doc, "_created": True}
    return created


def role_definition_id(sub: str, guid: str) -> str:
    return f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def _assignment_id(ctx: Ctx) -> str:
    scope = _canon_scope(ctx.params["scope"])
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{ctx.params['name']}"


def _put_assignment(ctx: Ctx) -> Response:
    name = ctx.params["name"]
    try:
        uuid.UUID(name)
    except ValueError:
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        ) from None
    props = ctx.json_body().get("properties") or {}
    principal = str(props.get("principalId", "")).lower()
    scope = _canon_scope(ctx.params["scope"])
    sub = ctx.world.store.get("subscription", _sub_of(scope))
    known = ctx.world.store.get("principal", principal)
    if known is None or (sub is not None and known["directory"] != sub["tenantId"]):
        tid = sub["tenantId"] if sub else ""
        raise ArmError(
            400,
            "PrincipalNotFound",
            f"Principal {principal.replace('-', '')} does not exist in the "
            f"directory {tid}. Check that you have the correct principal ID. If you are creating this "
            "principal and then immediately assigning a role, this error might be related to a "
            "replication delay. In this case, set the role assignment principalType property to a "
            "value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
        )
    try:
        guid = role_guid(str(props.get("roleDefinitionId", "")))
    except ValueError:
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{props.get('roleDefinitionId')}' does not exist.",
        ) from None
    doc = assign(
        ctx.world,
        scope,
        principal,
        guid,
        name=name,
        principal_type=str(props.get("principalType") or "ServicePrincipal"),
    )
    created = bool(doc.pop("_created", False))
    return json_response(doc, 201 if created else 200)


def _get_assignment(ctx: Ctx) -> Response:
    rid = _assignment_id(ctx)
    doc = ctx.world.store.get("roleassignment", rid)
    if doc is None:
        raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{ctx.params['name']}' is not found.")
    return json_response(doc)


def _delete_assignment(ctx: Ctx) -> Response:
    rid = _assignment_id(ctx)
    doc = ctx.world.store.get("roleassignment", rid)
    if doc is None:
        return empty_response(204)
    ctx.world.store.delete("roleassignment", rid)
    return json_response(doc)


_PRINCIPAL_FILTER = re.compile(r"(?:principalId\s+eq\s+|assignedTo\()\s*'([^']+)'", re.IGNORECASE)


def _list_assignments(ctx: Ctx) -> Response:
    scope = _canon_scope(ctx.params.get("scope", ""))
    flt = ctx.query.get("$filter", "")
    at_scope = "atscope()" in flt.lower().replace(" ", "")
    pm = _PRINCIPAL_FILTER.search(flt)
    sub = _sub_of(scope)
    items = (
        ctx.world.store.children("roleassignment", pm.group(1))
        if pm
        else ctx.world.store.in_subscription("roleassignment", sub)
    )
    lscope = scope.lower()
    out = []
    for ra in items:
        s = ra["properties"]["scope"].lower()
        above = _covers(s, lscope)
        below = s.startswith(lscope + "/")
        if above or (below and not at_scope):
            out.append(ra)
    return ctx.page(out)


def _role_doc(scope: str, guid: str) -> Doc:
    name, actions, not_actions = BUILTIN_ROLES[guid]
    sub = _sub_of(scope)
    rid = (
        f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        if sub
        else f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
    return {
        "id": rid,
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": f"{name} (emulated built-in role)",
            "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": [], "notDataActions": []}],
        },
    }


def _list_roles(ctx: Ctx) -> Response:
    scope = _canon_scope(ctx.params.get("scope", ""))
    m = re.search(r"roleName\s+eq\s+'([^']+)'", ctx.query.get("$filter", ""), re.IGNORECASE)
    guids = [g for g, (n, _, _) in BUILTIN_ROLES.items() if m is None or n.lower() == m.group(1).lower()]
    return ctx.page([_role_doc(scope, g) for g in guids])


def _get_role(ctx: Ctx) -> Response:
    guid = ctx.params["roleId"].lower()
    if guid not in BUILTIN_ROLES:
        raise ArmError(404, "RoleDefinitionDoesNotExist", f"The role definition '{guid}' could not be found.")
    return json_response(_role_doc(_canon_scope(ctx.params.get("scope", "")), guid))


def register(router: Router) -> None:
    ra = "/{scope:path}/providers/Microsoft.Authorization/roleAssignments"
    rd = "/{scope:path}/providers/Microsoft.Authorization/roleDefinitions"
    router.add("GET", ra, _list_assignments, "role_assignments.list_for_scope", f"{_AUTH}/roleAssignments/read")
    router.add("GET", ra + "/{name}", _get_assignment, "role_assignments.get", f"{_AUTH}/roleAssignments/read")
    router.add("PUT", ra + "/{name}", _put_assignment, "role_assignments.create", f"{_AUTH}/roleAssignments/write")
    router.add(
        "DELETE",
        ra + "/{name}",
        _delete_assignment,
        "role_assignments.delete",
        f"{_AUTH}/roleAssignments/delete",
    )
    router.add("GET", rd, _list_roles, "role_definitions.list", None)
    router.add("GET", rd + "/{roleId}", _get_role, "role_definitions.get", None)
