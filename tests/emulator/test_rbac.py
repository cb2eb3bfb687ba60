"""RBAC through azure-mgmt-authorization, 403 AuthorizationFailed, 401 token problems."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from tenantctl.emulator import Emulator
from tests.emulator.helpers import arm, create_account, deploy

OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
OPENAI_CONTRIBUTOR = "a001fd3d-188f-4b5d-821b-7da978bf7442"


def _role_id(sub: str, guid: str) -> str:
    return f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def test_sp_without_role_gets_403(emulator: Emulator, cs_client: Any, make_cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    sp = emulator.register_app(home_directory=emulator.home_directory)
    stranger = make_cs_client(sp=sp)
    with pytest.raises(HttpResponseError) as exc:
        stranger.accounts.get(rg, "a1")
    assert exc.value.status_code == 403
    assert exc.value.error.code == "AuthorizationFailed"
    scope = (
        f"/subscriptions/{emulator.subscription_id}/resourceGroups/{rg}/providers/"
        "Microsoft.CognitiveServices/accounts/a1"
    )
    assert exc.value.error.message == (
        f"The client '{sp.object_id}' with object id '{sp.object_id}' does not have authorization to perform action "
        f"'Microsoft.CognitiveServices/accounts/read' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials."
    )


def test_role_assignments_grant_and_limit(
    emulator: Emulator, cs_client: Any, make_cs_client: Any, make_auth_client: Any, rg: str
) -> None:
    create_account(cs_client, rg, "a1")
    create_account(cs_client, rg, "a2")
    sp = emulator.register_app(home_directory=emulator.home_directory)
    auth = make_auth_client()
    sub = emulator.subscription_id
    scope = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/a1"
    name = str(uuid.uuid4())
    created = auth.role_assignments.create(
        scope,
        name,
        RoleAssignmentCreateParameters(
            role_definition_id=_role_id(sub, OPENAI_CONTRIBUTOR),
            principal_id=sp.object_id,
            principal_type="ServicePrincipal",
        ),
    )
    assert created.name == name
    assert created.scope == scope
    with pytest.raises(ResourceExistsError) as exc:
        auth.role_assignments.create(
            scope,
            str(uuid.uuid4()),
            RoleAssignmentCreateParameters(
                role_definition_id=_role_id(sub, OPENAI_CONTRIBUTOR), principal_id=sp.object_id
            ),
        )
    assert exc.value.error.code == "RoleAssignmentExists"
    assert auth.role_assignments.get(scope, name).principal_id == sp.object_id
    at_scope = list(auth.role_assignments.list_for_scope(scope, filter="atScope()"))
    assert {a.principal_id for a in at_scope} == {sp.object_id, emulator.provider.object_id}  # inherited Owner
    mine = list(
        auth.role_assignments.list_for_scope(f"/subscriptions/{sub}", filter=f"principalId eq '{sp.object_id}'")
    )
    assert [a.name for a in mine] == [name]

    contributor = make_cs_client(sp=sp)
    assert contributor.accounts.get(rg, "a1").name == "a1"
    deploy(contributor, rg, "a1", "d1")  # OpenAI Contributor may write deployments ...
    with pytest.raises(HttpResponseError) as exc:  # ... but not accounts
        contributor.accounts.begin_update(rg, "a1", {"tags": {"x": "y"}})
    assert exc.value.error.code == "AuthorizationFailed"
    with pytest.raises(HttpResponseError) as exc:  # and only where assigned
        contributor.accounts.get(rg, "a2")
    assert exc.value.status_code == 403

    auth.role_assignments.delete(scope, name)
    with pytest.raises(HttpResponseError) as exc:
        contributor.deployments.list(rg, "a1").next()
    assert exc.value.status_code == 403


def test_role_definitions_and_principal_checks(emulator: Emulator, make_auth_client: Any) -> None:
    auth = make_auth_client()
    sub = f"/subscriptions/{emulator.subscription_id}"
    names = {r.role_name for r in auth.role_definitions.list(sub)}
    assert {"Owner", "Reader", "Cognitive Services OpenAI User", "Cognitive Services Contributor"} <= names
    assert auth.role_definitions.get(sub, OPENAI_USER).role_name == "Cognitive Services OpenAI User"
    with pytest.raises(HttpResponseError) as exc:
        auth.role_assignments.create(
            sub,
            str(uuid.uuid4()),
            RoleAssignmentCreateParameters(
                role_definition_id=_role_id(emulator.subscription_id, OPENAI_USER), principal_id=str(uuid.uuid4())
            ),
        )
    assert exc.value.error.code == "PrincipalNotFound"


def test_token_from_wrong_tenant_is_401(emulator: Emulator, make_cs_client: Any) -> None:
    customer = emulator.add_directory()
    customer_sub = emulator.add_subscription(directory=customer)
    provider = emulator.provider
    emulator.grant_consent(provider.client_id, customer)
    # A token from the provider's home directory used on the customer's subscription.
    client = make_cs_client(subscription_id=customer_sub)
    with pytest.raises(ClientAuthenticationError) as exc:
        list(client.accounts.list())
    assert exc.value.error.code == "InvalidAuthenticationTokenTenant"
    assert exc.value.error.message.startswith("The access token is from the wrong issuer")
    # The same app, token from the customer's directory, with a role there: fine.
    oid = emulator.grant_consent(provider.client_id, customer)
    emulator.assign_role(f"/subscriptions/{customer_sub}", oid, "Reader")
    ok = make_cs_client(subscription_id=customer_sub, directory=customer)
    assert list(ok.accounts.list()) == []


def test_invalid_and_missing_tokens(emulator: Emulator) -> None:
    path = f"/subscriptions/{emulator.subscription_id}/providers/Microsoft.CognitiveServices/accounts"
    bad = arm(emulator, "GET", path, token="not-a-jwt")
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "InvalidAuthenticationToken"
    import requests

    missing = requests.get(f"{emulator.endpoint}{path}", verify=str(emulator.ca_path), timeout=5)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "AuthenticationFailed"


def test_subscriptions_and_tenants_visible_to_token(emulator: Emulator) -> None:
    subs = arm(emulator, "GET", "/subscriptions").json()["value"]
    assert [s["subscriptionId"] for s in subs] == [emulator.subscription_id]
    emulator.add_subscription(directory=emulator.home_directory)  # no role there: invisible
    assert len(arm(emulator, "GET", "/subscriptions").json()["value"]) == 1
    tenants = arm(emulator, "GET", "/tenants").json()["value"]
    assert [t["tenantId"] for t in tenants] == [emulator.home_directory]
