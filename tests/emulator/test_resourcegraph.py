"""The emulated Azure Resource Graph ``resources`` query, through the real azure-mgmt-resourcegraph client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices.models import Account, AccountProperties, Sku
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from tenantctl.emulator import Emulator, ServicePrincipal

ARM_SCOPE = "https://management.azure.com/.default"
QUERY = (
    "resources | where type =~ 'microsoft.cognitiveservices/accounts' and tags['managed-by'] =~ 'tenantctl' "
    "| project id, name, tags | order by id asc"
)


def _graph(emulator: Emulator, make_credential: Callable[..., Any], sp: ServicePrincipal | None = None) -> Any:
    return ResourceGraphClient(
        make_credential(sp),
        base_url=emulator.endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emulator.ca_path),
        retry_total=0,
    )


def _with_headers(pipeline_response: Any, deserialized: Any, _: Any) -> tuple[Any, Any]:
    return deserialized, pipeline_response.http_response.headers


def _accounts(make_cs_client: Callable[..., Any], subscription: str, group: str, names: dict[str, bool]) -> None:
    for name, ours in names.items():
        body = Account(
            location="swedencentral",
            kind="OpenAI",
            sku=Sku(name="S0"),
            tags={"managed-by": "tenantctl"} if ours else {"team": "other"},
            properties=AccountProperties(),
        )
        make_cs_client(subscription_id=subscription).accounts.begin_create(group, name, body).result()


@pytest.fixture
def two_subscriptions(
    emulator: Emulator, resource_client: Any, make_cs_client: Callable[..., Any], make_credential: Callable[..., Any]
) -> str:
    """Tagged accounts a1..a3 (and an untagged one) in the default subscription, b1 in a second one."""
    second = emulator.add_subscription(directory=emulator.home_directory)
    emulator.assign_role(f"/subscriptions/{second}", emulator.provider.object_id, "Owner")
    resource_client.resource_groups.create_or_update("rg-a", {"location": "swedencentral"})
    _accounts(make_cs_client, emulator.subscription_id, "rg-a", {"a1": True, "a2": True, "a3": True, "x": False})
    from azure.mgmt.resource.resources import ResourceManagementClient

    other = ResourceManagementClient(
        make_credential(),
        second,
        base_url=emulator.endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=str(emulator.ca_path),
    )
    other.resource_groups.create_or_update("rg-b", {"location": "swedencentral"})
    _accounts(make_cs_client, second, "rg-b", {"b1": True})
    return second


def test_tagged_accounts_of_all_requested_subscriptions_page_with_skip_token(
    emulator: Emulator, make_credential: Callable[..., Any], two_subscriptions: str
) -> None:
    graph = _graph(emulator, make_credential)
    names, token, pages = [], None, 0
    while True:
        options = QueryRequestOptions(top=2, skip_token=token, result_format="objectArray")
        answer, headers = graph.resources(
            QueryRequest(subscriptions=[emulator.subscription_id, two_subscriptions], query=QUERY, options=options),
            cls=_with_headers,
        )
        pages += 1
        assert answer.total_records == 4
        assert answer.count == len(answer.data) <= 2
        assert answer.result_truncated == "false"
        assert int(headers["x-ms-user-quota-remaining"]) >= 0
        assert headers["x-ms-user-quota-resets-after"].count(":") == 2
        names += [row["name"] for row in answer.data]
        assert set(answer.data[0]) == {"id", "name", "tags"}  # projected columns only
        token = answer.skip_token
        if not token:
            break
    assert pages == 2
    assert sorted(names) == ["a1", "a2", "a3", "b1"]  # the untagged account is filtered out


def test_a_query_outside_the_served_subset_is_bad_request_invalid_query(
    emulator: Emulator, make_credential: Callable[..., Any]
) -> None:
    graph = _graph(emulator, make_credential)
    with pytest.raises(HttpResponseError) as err:
        graph.resources(QueryRequest(subscriptions=[emulator.subscription_id], query="resources | summarize count()"))
    assert (err.value.status_code, err.value.error.code) == (400, "BadRequest")
    assert "InvalidQuery" in {d.code for d in err.value.error.details}


def test_rows_are_only_those_the_caller_may_read(
    emulator: Emulator, make_credential: Callable[..., Any], two_subscriptions: str
) -> None:
    reader = emulator.register_app(home_directory=emulator.home_directory)
    emulator.assign_role(f"/subscriptions/{two_subscriptions}", reader.object_id, "Reader")
    graph = _graph(emulator, make_credential, reader)
    answer = graph.resources(QueryRequest(subscriptions=[emulator.subscription_id, two_subscriptions], query=QUERY))
    assert [row["name"] for row in answer.data] == ["b1"]  # no role on the default subscription: left out


def test_past_the_quota_window_it_answers_429_with_the_reset_time(
    emulator: Emulator, make_credential: Callable[..., Any]
) -> None:
    import dataclasses

    emulator.settings = dataclasses.replace(emulator.settings, resource_graph_quota=1, resource_graph_window=30.0)
    graph = _graph(emulator, make_credential)
    request = QueryRequest(subscriptions=[emulator.subscription_id], query=QUERY)
    graph.resources(request)
    with pytest.raises(HttpResponseError) as err:
        graph.resources(request)
    assert err.value.status_code == 429
    assert err.value.response.headers["x-ms-user-quota-remaining"] == "0"
    assert err.value.response.headers["x-ms-user-quota-resets-after"] in {"00:00:30", "00:00:29"}
