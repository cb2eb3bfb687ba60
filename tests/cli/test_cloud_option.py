"""The global --cloud option end to end: with --emulator, conflicts and bad values (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import EXAMPLES, envelope_of
from tests.clouds.test_cloud_endpoints import CLOUDS, manifest_text


def _gov_manifest(tmp_path: Path, declared: str | None) -> Path:
    text = (EXAMPLES / "minimal.toml").read_text().replace('"swedencentral"', '"usgovarizona"')
    text = text.replace('"GlobalStandard"', '"Standard"')  # the Government catalogue offers Standard
    if declared is not None:
        text = text.replace('name_prefix = "ctso"', f'name_prefix = "ctso"\ncloud = "{declared}"')
    path = tmp_path / "tenants.toml"
    path.write_text(text)
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_AUTHORITY_HOST", "TENANTCTL_CLOUD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    return tmp_path


def test_cloud_option_with_the_emulator_emulates_that_cloud(cli: Callable[..., Any], in_tmp: Path) -> None:
    manifest = _gov_manifest(in_tmp, None)
    result = cli("--cloud", "AzureUSGovernment", "plan", "--emulator", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 0, result.stdout
    changes = {c["address"]: c for c in envelope_of(result)["data"]["changes"]}
    assert changes["tenant.acme.account"]["action"] == "create"
    # Without --cloud the emulator is the public cloud, where usgovarizona does not exist.
    public = cli("plan", "--emulator", "-f", str(manifest), "-o", "json")
    assert public.exit_code == 1
    (diagnostic,) = envelope_of(public)["diagnostics"]
    assert diagnostic["code"] == "region-not-in-cloud"
    assert "provider.location" in diagnostic["summary"]


def test_cloud_option_conflicting_with_the_manifest_fails_the_command(cli: Callable[..., Any], in_tmp: Path) -> None:
    manifest = _gov_manifest(in_tmp, "AzureUSGovernment")
    result = cli("--cloud", "AzureChinaCloud", "plan", "--emulator", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = envelope_of(result)["diagnostics"]
    assert diagnostic["code"] == "cloud-conflict"


@pytest.mark.parametrize(
    ("value", "code"),
    [("Mars", "unknown-cloud"), ("http://arm.example.com", "bad-cloud-endpoint"), ("https://127.0.0.1:9", None)],
)
def test_bad_cloud_option_fails_the_command_clearly(
    cli: Callable[..., Any], in_tmp: Path, value: str, code: str | None
) -> None:
    manifest = _gov_manifest(in_tmp, None)
    result = cli("--cloud", value, "plan", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 1
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    assert diagnostic["code"] == (code or "bad-cloud-metadata")
    assert value in diagnostic["summary"]


def test_custom_endpoint_with_the_emulator_is_refused(cli: Callable[..., Any], in_tmp: Path) -> None:
    manifest = _gov_manifest(in_tmp, None)
    result = cli("--cloud", "https://arm.example.com", "plan", "--emulator", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 1
    assert envelope_of(result)["diagnostics"][0]["code"] == "bad-cloud-endpoint"


@pytest.mark.parametrize("cloud", [c[:3] for c in CLOUDS[1:]], ids=lambda c: c[0])
def test_inspect_and_observed_routing_show_the_emulated_clouds_endpoints(
    cli: Callable[..., Any], in_tmp: Path, cloud: tuple[str, str, str]
) -> None:
    cloud, region, suffix = cloud
    tmp_path = in_tmp
    text = manifest_text(None, region)
    (tmp_path / "tenants.toml").write_text(text[: text.index("[tenants.trey]")])
    assert cli("--cloud", cloud, "apply", "--emulator", "--auto-approve").exit_code == 0
    inspected = cli("--cloud", cloud, "inspect", "acme", "--emulator", "-o", "json")
    assert inspected.exit_code == 0, inspected.stdout
    assert json.loads(inspected.stdout)["data"]["endpoint"] == f"https://ctso-acme.{suffix}/"
    routed = cli("--cloud", cloud, "export", "routing", "--emulator", "-o", "json")
    assert routed.exit_code == 0, routed.stdout
    acme = json.loads(routed.stdout)["data"]["tenants"]["acme"]
    assert acme["endpoint"] == f"https://ctso-acme.{suffix}/"
    assert acme["ready"] is True


def test_byo_verify_on_the_emulated_government_cloud(cli: Callable[..., Any], in_tmp: Path) -> None:
    """The emulated tenant admin and the provider app's probe both sign in with Government audiences."""
    (in_tmp / "tenants.toml").write_text(manifest_text("AzureUSGovernment", "usgovarizona"))
    result = cli("byo", "verify", "trey", "--emulator", "-o", "json")
    assert result.exit_code == 0, result.stdout
    data = envelope_of(result)["data"]
    assert data["account"]["endpoint"].endswith(".openai.azure.us/")


@pytest.mark.parametrize(
    ("cloud", "declared", "code"),
    [
        ("AzureUSGovernment", None, None),  # the manifest's regions are Government's: valid
        ("AzureCloud", None, "region-not-in-cloud"),  # usgovarizona is no region of the public cloud
        ("AzureCloud", "AzureUSGovernment", "cloud-conflict"),
        ("Nope", None, "unknown-cloud"),
    ],
)
def test_validate_checks_the_manifest_against_the_cloud_option_offline(
    cli: Callable[..., Any], in_tmp: Path, cloud: str, declared: str | None, code: str | None
) -> None:
    manifest = _gov_manifest(in_tmp, declared)
    result = cli("--cloud", cloud, "validate", "-f", str(manifest), "-o", "json")
    envelope = envelope_of(result)
    errors = [d["code"] for d in envelope["diagnostics"] if d["severity"] == "error"]
    assert errors == ([code] if code else []), envelope
    assert result.exit_code == (1 if code else 0)
    assert envelope["data"]["valid"] is (code is None)


@pytest.mark.parametrize(("cloud", "region", "_suffix", "_audience", "login"), CLOUDS)
def test_consent_url_follows_the_cloud_option_without_any_call(
    cli: Callable[..., Any], in_tmp: Path, cloud: str, region: str, _suffix: str, _audience: str, login: str
) -> None:
    manifest = in_tmp / "tenants.toml"
    manifest.write_text(manifest_text(None, region))  # no [provider] cloud: --cloud names it
    result = cli("--cloud", cloud, "byo", "consent-url", "trey", "-f", str(manifest), "-o", "json")
    assert result.exit_code == 0, result.stdout
    assert envelope_of(result)["data"]["consent_url"].startswith(f"https://{login}/")
    wrong = "AzureCloud" if cloud != "AzureCloud" else "AzureUSGovernment"
    refused = cli("--cloud", wrong, "byo", "consent-url", "trey", "-f", str(manifest), "-o", "json")
    assert refused.exit_code == 1
    assert [d["code"] for d in envelope_of(refused)["diagnostics"]] == ["region-not-in-cloud"]
