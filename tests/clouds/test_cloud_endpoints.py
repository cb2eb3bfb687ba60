"""Each cloud's endpoints in what tenantctl shows and writes: routing export (JSON and APIM) and inspect."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tenantctl.export import routing_for, routing_to_apim, routing_to_json
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest

# cloud, one of its regions, openai suffix, Cognitive Services resource, Entra host
CLOUDS = [
    (
        "AzureCloud",
        "swedencentral",
        "openai.azure.com",
        "https://cognitiveservices.azure.com",
        "login.microsoftonline.com",
    ),
    (
        "AzureUSGovernment",
        "usgovarizona",
        "openai.azure.us",
        "https://cognitiveservices.azure.us",
        "login.microsoftonline.us",
    ),
    (
        "AzureChinaCloud",
        "chinanorth3",
        "openai.azure.cn",
        "https://cognitiveservices.azure.cn",
        "login.chinacloudapi.cn",
    ),
]
DIRECTORY = "33333333-3333-3333-3333-333333333333"
APP = "11111111-1111-1111-1111-111111111111"
TREY = (
    "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/"
    "Microsoft.CognitiveServices/accounts/Trey-AOAI"
)


def manifest_text(cloud: str | None, region: str) -> str:
    declared = f'cloud = "{cloud}"\n' if cloud else ""
    return f"""\
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "{region}"
name_prefix = "ctso"
{declared}
[provider.app]
client_id = "{APP}"
home_directory = "22222222-2222-2222-2222-222222222222"

[defaults]
deployments = [{{ name = "chat", model = "gpt-4o-mini", version = "2024-07-18", sku = "Standard", capacity = 10 }}]

[tenants.acme]
isolation = "dedicated"

[tenants.trey]
isolation = "tenant-provided"
directory = "{DIRECTORY}"
resource_id = "{TREY}"
expect_deployments = ["chat"]
"""


def _manifest(cloud: str | None, region: str) -> Manifest:
    loaded = parse_manifest(manifest_text(cloud, region))
    assert loaded.manifest is not None, [d.summary for d in loaded.diagnostics]
    return loaded.manifest


@pytest.mark.parametrize(("cloud", "region", "suffix", "resource", "login"), CLOUDS)
def test_routing_names_the_clouds_endpoints_scopes_and_authority(
    cloud: str, region: str, suffix: str, resource: str, login: str
) -> None:
    tenants = routing_to_json(routing_for(_manifest(cloud, region)))["tenants"]
    assert tenants["acme"]["endpoint"] == f"https://ctso-acme.{suffix}/"
    assert tenants["acme"]["auth"]["scope"] == f"{resource}/.default"
    assert tenants["trey"]["endpoint"] == f"https://trey-aoai.{suffix}/"
    assert tenants["trey"]["auth"]["scope"] == f"{resource}/.default"
    assert tenants["trey"]["auth"]["authority"] == f"https://{login}/{DIRECTORY}"


def test_a_manifest_without_a_cloud_routes_in_its_regions_cloud() -> None:
    tenants = routing_to_json(routing_for(_manifest(None, "usgovarizona")))["tenants"]
    assert tenants["acme"]["endpoint"] == "https://ctso-acme.openai.azure.us/"


@pytest.mark.parametrize(("cloud", "region", "suffix", "resource", "login"), CLOUDS)
def test_apim_fragments_are_xml_with_the_clouds_identity_and_token_endpoints(
    cloud: str, region: str, suffix: str, resource: str, login: str
) -> None:
    fragments = routing_to_apim(routing_for(_manifest(cloud, region)))
    # our own output, parsed to check it is well-formed XML an APIM import accepts
    acme, trey = ET.fromstring(fragments["acme"]), ET.fromstring(fragments["trey"])  # noqa: S314
    identity = acme.find("authentication-managed-identity")
    assert identity is not None
    assert identity.get("resource") == resource
    assert acme.find(".//send-request") is None  # the provider's accounts take APIM's own identity
    # The tenant-provided route: a client-credentials token from the tenant's directory in this cloud.
    assert trey.find("authentication-managed-identity") is None
    request = trey.find("./choose/when/send-request")
    assert request is not None
    assert request.findtext("set-url") == f"https://{login}/{DIRECTORY}/oauth2/v2.0/token"
    assert request.findtext("set-method") == "POST"
    body = request.findtext("set-body") or ""
    assert "grant_type=client_credentials" in body
    assert APP in body
    assert f"{resource}/.default" in body
    assert "{{tenantctl-app-secret}}" in body  # a Key Vault named value, never the secret itself
    header = trey.find("set-header[@name='Authorization']")
    assert header is not None
    assert "Bearer" in (header.findtext("value") or "")
    lookup, store = trey.find("cache-lookup-value"), trey.find("./choose/when/cache-store-value")
    assert lookup is not None
    assert store is not None
    assert lookup.get("key") == store.get("key") == f"tenantctl-token-{DIRECTORY}"
    assert "expires_in" in (store.get("duration") or "")
    backend = trey.find("set-backend-service")
    assert backend is not None
    assert backend.get("base-url") == f"https://trey-aoai.{suffix}/openai"
    # The policy order APIM runs: token first, then the header, then the backend.
    tags = [child.tag for child in trey]
    assert tags.index("cache-lookup-value") < tags.index("choose") < tags.index("set-header")
    assert tags.index("set-header") < tags.index("set-backend-service")


@pytest.mark.parametrize(("cloud", "region", "suffix", "resource", "login"), CLOUDS)
def test_the_consent_url_is_the_clouds(cloud: str, region: str, suffix: str, resource: str, login: str) -> None:
    from tenantctl.clouds import KNOWN_CLOUDS
    from tenantctl.tenant_provided import tenant_onboarding

    url = tenant_onboarding(_manifest(cloud, region), "trey").consent_url
    assert url.startswith(f"https://{login}/{DIRECTORY}/v2.0/adminconsent?")
    assert f"scope={KNOWN_CLOUDS[cloud].resource_manager}/.default" in url


def _tenant_provided_codes(cloud: str | None, region: str, extra: str) -> list[tuple[str, str]]:
    text = manifest_text(cloud, region).replace(
        'expect_deployments = ["chat"]\n', f'expect_deployments = ["chat"]\n{extra}'
    )
    loaded = parse_manifest(text)
    return [(d.code, d.path or "") for d in loaded.diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize(
    ("cloud", "region", "extra", "field"),
    [
        ("AzureCloud", "swedencentral", 'endpoint = "https://trey.openai.azure.us/"\n', "endpoint"),
        (None, "swedencentral", 'endpoint = "https://trey.cognitiveservices.azure.cn/"\n', "endpoint"),
        ("AzureUSGovernment", "usgovarizona", 'endpoint = "https://trey.openai.azure.com/"\n', "endpoint"),
        ("AzureCloud", "swedencentral", 'cloud = "AzureChinaCloud"\n', "cloud"),
        (None, "usgovarizona", 'cloud = "azurecloud"\n', "cloud"),
    ],
)
def test_a_tenant_provided_account_of_another_cloud_is_a_validate_error(
    cloud: str | None, region: str, extra: str, field: str
) -> None:
    assert _tenant_provided_codes(cloud, region, extra) == [("tenant-cloud-mismatch", f"tenants.trey.{field}")]


@pytest.mark.parametrize(
    "extra",
    [
        'endpoint = "https://trey-custom.openai.azure.us/"\ncloud = "AzureUSGovernment"\n',
        'endpoint = "https://aoai.trey.example/"\n',  # a custom domain names no cloud
    ],
)
def test_a_tenant_provided_account_of_the_providers_cloud_is_fine(extra: str) -> None:
    assert _tenant_provided_codes("AzureUSGovernment", "usgovarizona", extra) == []


def test_a_declared_tenant_provided_endpoint_is_routed() -> None:
    text = manifest_text("AzureUSGovernment", "usgovarizona").replace(
        'expect_deployments = ["chat"]\n',
        'expect_deployments = ["chat"]\nendpoint = "https://trey-x.openai.azure.us/"\n',
    )
    loaded = parse_manifest(text)
    assert loaded.manifest is not None
    assert (
        routing_to_json(routing_for(loaded.manifest))["tenants"]["trey"]["endpoint"]
        == "https://trey-x.openai.azure.us/"
    )


NET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network"


@pytest.mark.parametrize(
    ("cloud", "region", "zone", "errors"),
    [
        ("AzureUSGovernment", "usgovarizona", "privatelink.openai.azure.com", ["dns-zone-not-in-cloud"]),
        ("AzureCloud", "swedencentral", "privatelink.cognitiveservices.azure.cn", ["dns-zone-not-in-cloud"]),
        ("AzureUSGovernment", "usgovarizona", "privatelink.openai.azure.us", []),
        ("AzureChinaCloud", "chinanorth3", "privatelink.openai.azure.cn", []),
    ],
)
def test_a_private_endpoints_dns_zone_must_be_the_clouds(cloud: str, region: str, zone: str, errors: list[str]) -> None:
    endpoint = f'{{ subnet_id = "{NET}/virtualNetworks/v/subnets/s", dns_zone_id = "{NET}/privateDnsZones/{zone}" }}'
    text = manifest_text(cloud, region).replace(
        '[tenants.acme]\nisolation = "dedicated"\n',
        '[tenants.acme]\nisolation = "dedicated"\n'
        f"network = {{ public_access = false, private_endpoints = [{endpoint}] }}\n",
    )
    diagnostics = parse_manifest(text).diagnostics
    found = [d for d in diagnostics if d.severity.value == "error"]
    assert [d.code for d in found] == errors
    if errors:
        assert found[0].path == "tenants.acme.network.private_endpoints[0].dns_zone_id"
        assert zone in found[0].summary
