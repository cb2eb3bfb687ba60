"""RAI policies, blocklists and blocklist items through the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.cognitiveservices.models import (
    CustomBlocklistConfig,
    RaiBlocklist,
    RaiBlocklistItem,
    RaiBlocklistItemProperties,
    RaiBlocklistProperties,
    RaiPolicy,
    RaiPolicyContentFilter,
    RaiPolicyProperties,
)

from tests.emulator.helpers import create_account, deploy


def test_rai_lifecycle(cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    bl = cs_client.rai_blocklists.create_or_update(
        rg, "a1", "words", RaiBlocklist(properties=RaiBlocklistProperties(description="bad words"))
    )
    assert bl.properties.description == "bad words"
    cs_client.rai_blocklist_items.create_or_update(
        rg, "a1", "words", "one", RaiBlocklistItem(properties=RaiBlocklistItemProperties(pattern="foo", is_regex=False))
    )
    cs_client.rai_blocklist_items.batch_add(
        rg,
        "a1",
        "words",
        [
            {"name": "two", "properties": {"pattern": "ba+r", "isRegex": True}},
            {"name": "three", "properties": {"pattern": "baz", "isRegex": False}},
        ],
    )
    items = {i.name: i for i in cs_client.rai_blocklist_items.list(rg, "a1", "words")}
    assert set(items) == {"one", "two", "three"}
    assert items["two"].properties.is_regex is True
    cs_client.rai_blocklist_items.batch_delete(rg, "a1", "words", ["three"])
    cs_client.rai_blocklist_items.begin_delete(rg, "a1", "words", "one").result()
    assert [i.name for i in cs_client.rai_blocklist_items.list(rg, "a1", "words")] == ["two"]

    policy = RaiPolicy(
        properties=RaiPolicyProperties(
            base_policy_name="Microsoft.DefaultV2",
            mode="Asynchronous_filter",
            content_filters=[
                RaiPolicyContentFilter(
                    name="Hate", enabled=True, blocking=True, severity_threshold="High", source="Prompt"
                )
            ],
            custom_blocklists=[CustomBlocklistConfig(blocklist_name="words", blocking=True, source="Prompt")],
        )
    )
    created = cs_client.rai_policies.create_or_update(rg, "a1", "tenant-strict", policy)
    assert created.properties.type == "UserManaged"
    assert cs_client.rai_policies.get(rg, "a1", "tenant-strict").properties.custom_blocklists[0].blocklist_name == (
        "words"
    )
    assert {"Microsoft.DefaultV2", "tenant-strict"} <= {p.name for p in cs_client.rai_policies.list(rg, "a1")}

    deploy(cs_client, rg, "a1", "d1", rai="tenant-strict")
    with pytest.raises(ResourceExistsError) as exc:
        cs_client.rai_policies.begin_delete(rg, "a1", "tenant-strict").result()
    assert exc.value.error.code == "RaiPolicyInUse"
    with pytest.raises(HttpResponseError) as exc:
        deploy(cs_client, rg, "a1", "d2", rai="missing-policy")
    assert exc.value.error.code == "RaiPolicyNotFound"
    cs_client.deployments.begin_delete(rg, "a1", "d1").result()
    cs_client.rai_policies.begin_delete(rg, "a1", "tenant-strict").result()
    with pytest.raises(ResourceNotFoundError):
        cs_client.rai_policies.get(rg, "a1", "tenant-strict")
    cs_client.rai_blocklists.begin_delete(rg, "a1", "words").result()
    assert list(cs_client.rai_blocklists.list(rg, "a1")) == []
