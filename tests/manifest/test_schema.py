"""The JSON Schema for editors is valid draft 2020-12, and the example validates against it."""

from __future__ import annotations

import json

import pytest

from tenantctl.manifest._toml import tomllib
from tenantctl.manifest.schema import SCHEMA_ID, manifest_json_schema
from tenantctl.manifest.starter import starter_manifest_text

from .conftest import EXAMPLES


def test_the_schema_is_draft_2020_12_with_an_id_and_the_schema_key_named_as_in_toml() -> None:
    schema = manifest_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert "schema" in schema["properties"]
    assert "schema_version" not in json.dumps(schema)
    assert set(schema["required"]) == {"schema", "provider"}


def test_the_schema_offers_completions_and_has_no_null_branches_toml_cannot_express() -> None:
    schema = manifest_json_schema()
    text = json.dumps(schema)
    assert '"type": "null"' not in text
    deployment = schema["$defs"]["DeploymentSpec"]["properties"]
    assert "GlobalStandard" in deployment["sku"]["enum"]
    assert "swedencentral" in schema["$defs"]["Tenant"]["properties"]["location"]["enum"]
    assert schema["$defs"]["Tenant"]["properties"]["tpm"]["description"]


@pytest.mark.parametrize("text", [(EXAMPLES / "tenants.toml").read_text(encoding="utf-8"), starter_manifest_text()])
def test_the_example_and_the_starter_validate_against_the_schema(text: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = manifest_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(tomllib.loads(text)))
    assert errors == []


def test_the_schema_rejects_an_unknown_key_when_jsonschema_is_available() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = tomllib.loads((EXAMPLES / "minimal.toml").read_text(encoding="utf-8"))
    document["tenants"]["acme"]["capactiy"] = 1
    assert list(jsonschema.Draft202012Validator(manifest_json_schema()).iter_errors(document))


def test_the_schema_is_plain_json() -> None:
    assert json.loads(json.dumps(manifest_json_schema())) == manifest_json_schema()
