"""Cloud definitions: each cloud's endpoints, custom clouds from ARM metadata / the environment, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tenantctl.clouds import (
    KNOWN_CLOUDS,
    cloud_from_environment,
    cloud_from_metadata,
    known_cloud,
    require_secure_endpoint,
    resolve_cloud,
)
from tenantctl.errors import UsageError
from tests.manifest.conftest import BASE, check, codes


@pytest.mark.parametrize(
    "case",
    [
        (
            "AzureCloud",
            "https://management.azure.com",
            "https://management.core.windows.net//.default",
            "https://login.microsoftonline.com",
            "openai.azure.com",
            "https://cognitiveservices.azure.com/.default",
            "privatelink.openai.azure.com",
            "swedencentral",
            "usgovvirginia",
        ),
        (
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net//.default",
            "https://login.microsoftonline.us",
            "openai.azure.us",
            "https://cognitiveservices.azure.us/.default",
            "privatelink.openai.azure.us",
            "usgovarizona",
            "eastus",
        ),
        (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://management.core.chinacloudapi.cn//.default",
            "https://login.chinacloudapi.cn",
            "openai.azure.cn",
            "https://cognitiveservices.azure.cn/.default",
            "privatelink.openai.azure.cn",
            "chinanorth3",
            "swedencentral",
        ),
    ],
)
def test_each_known_cloud_has_its_own_endpoints_and_regions(case: tuple[str, ...]) -> None:
    name, arm, scope, authority, suffix, cs_scope, dns, region, foreign_region = case
    cloud = known_cloud(name.lower())
    assert cloud.name == name
    assert cloud.resource_manager == arm
    assert cloud.arm_scope == scope
    assert cloud.authority_host == authority
    assert cloud.openai_endpoint("acme") == f"https://acme.{suffix}/"
    assert cloud.cognitive_services_scope == cs_scope
    assert dns in cloud.private_dns_zones
    assert cloud.has_region(region)
    assert not cloud.has_region(foreign_region)


def test_the_clouds_share_no_region() -> None:
    seen: set[str] = set()
    for cloud in KNOWN_CLOUDS.values():
        assert cloud.regions, cloud.name
        assert not cloud.regions & seen
        seen |= cloud.regions


def test_an_unknown_cloud_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as exc:
        known_cloud("AzureGermanCloud")
    assert exc.value.code == "unknown-cloud"
    for name in KNOWN_CLOUDS:
        assert name in exc.value.message


@pytest.mark.parametrize("url", ["http://arm.example.com", "ftp://arm.example.com", "management.azure.com", ""])
def test_a_custom_endpoint_must_be_https(url: str) -> None:
    with pytest.raises(UsageError) as exc:
        require_secure_endpoint(url, "AZURE_RESOURCE_MANAGER_ENDPOINT")
    assert exc.value.code == "bad-cloud-endpoint"
    assert "AZURE_RESOURCE_MANAGER_ENDPOINT" in exc.value.message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8443/", "http://[::1]:80", "http://localhost", "https://x.test/"])
def test_https_or_loopback_endpoints_are_accepted_without_trailing_slash(url: str) -> None:
    assert require_secure_endpoint(url, "endpoint") == url.rstrip("/")


def _metadata(arm: str, login: str, name: str = "AzureCloud") -> list[dict[str, Any]]:
    """The shape of /metadata/endpoints?api-version=2022-09-01 (a list of clouds)."""
    return [
        {
            "name": name,
            "resourceManager": arm + "/",
            "authentication": {
                "loginEndpoint": login + "/",
                "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "suffixes": {"keyVaultDns": "vault.azure.net"},
        }
    ]


def test_environment_without_an_arm_endpoint_is_no_custom_cloud() -> None:
    assert cloud_from_environment({}, _never_read) is None
    assert resolve_cloud(None, {}, _never_read).name == "AzureCloud"
    assert resolve_cloud("AzureUSGovernment", {}, _never_read).name == "AzureUSGovernment"


def _never_read(url: str) -> Any:
    raise AssertionError(f"metadata read for a known cloud: {url}")


def test_a_known_clouds_endpoint_in_the_environment_needs_no_metadata_request() -> None:
    env = {"AZURE_RESOURCE_MANAGER_ENDPOINT": "https://management.usgovcloudapi.net/"}
    assert cloud_from_environment(env, _never_read) == KNOWN_CLOUDS["AzureUSGovernment"]
    env["AZURE_AUTHORITY_HOST"] = "login.example.us"
    cloud = cloud_from_environment(env, _never_read)
    assert cloud is not None
    assert cloud.authority_host == "https://login.example.us"


def test_a_custom_arm_endpoint_is_described_by_its_metadata() -> None:
    reads: list[str] = []

    def read(url: str) -> Any:
        reads.append(url)
        return _metadata("https://127.0.0.1:8443", "https://127.0.0.1:8443")

    env = {"AZURE_RESOURCE_MANAGER_ENDPOINT": "https://127.0.0.1:8443/"}
    cloud = resolve_cloud("AzureCloud", env, read)
    assert reads == ["https://127.0.0.1:8443/metadata/endpoints?api-version=2022-09-01"]
    assert cloud.resource_manager == "https://127.0.0.1:8443"
    assert cloud.authority_host == "https://127.0.0.1:8443"
    assert cloud.arm_scope == "https://management.core.windows.net//.default"
    assert cloud.openai_suffix == "openai.azure.com"  # the metadata names AzureCloud
    assert cloud.has_region("swedencentral")


def test_metadata_of_an_unknown_cloud_accepts_any_region_and_the_environment_authority_wins() -> None:
    doc = _metadata("https://arm.stack.test", "https://login.stack.test", name="AzureStackUser")
    cloud = cloud_from_metadata(doc, "https://arm.stack.test", authority_host="https://adfs.stack.test")
    assert cloud.name == "AzureStackUser"
    assert cloud.authority_host == "https://adfs.stack.test"
    assert cloud.has_region("anything")


@pytest.mark.parametrize(
    "doc",
    [[], "not json object", [{"name": "x", "resourceManager": "https://arm.test/", "authentication": {}}]],
)
def test_unusable_metadata_is_a_clear_error(doc: Any) -> None:
    with pytest.raises(UsageError) as exc:
        cloud_from_metadata(doc, "https://arm.test")
    assert exc.value.code == "bad-cloud-metadata"
    assert "https://arm.test/metadata/endpoints" in exc.value.message


def test_a_plain_http_login_endpoint_from_metadata_is_refused() -> None:
    with pytest.raises(UsageError) as exc:
        cloud_from_metadata(_metadata("https://arm.test", "http://login.test"), "https://arm.test")
    assert exc.value.code == "bad-cloud-endpoint"


def test_the_manifest_cloud_defaults_to_azurecloud_and_rejects_unknown_names() -> None:
    result = check()
    assert result.manifest is not None
    assert result.manifest.provider.cloud == "AzureCloud"
    bad = check(base=BASE.replace('name_prefix = "ctso"', 'name_prefix = "ctso"\ncloud = "AzureMoon"'))
    assert ("unknown-cloud", "provider.cloud") in codes(bad)
    assert "AzureUSGovernment" in next(d.summary for d in bad.diagnostics if d.code == "unknown-cloud")


def test_a_region_outside_the_manifest_cloud_is_an_error_at_its_path() -> None:
    gov = BASE.replace('name_prefix = "ctso"', 'name_prefix = "ctso"\ncloud = "AzureUSGovernment"')
    result = check('[tenants.acme]\nisolation = "dedicated"\nlocation = "usgovvirginia"\n', base=gov)
    found = {path for code, path in codes(result) if code == "region-not-in-cloud"}
    assert found == {"provider.location", "stamps.eu1.location"}
    public = check('[tenants.acme]\nisolation = "dedicated"\nlocation = "usgovvirginia"\n')
    assert {p for c, p in codes(public) if c == "region-not-in-cloud"} == {"tenants.acme.location"}
