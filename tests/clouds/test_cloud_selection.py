"""Which cloud a command talks to: --cloud > the manifest's [provider] cloud > the environment > the az
CLI's active cloud > AzureCloud; conflicts and bad input are clear usage errors (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenantctl.cloud.az_cli_cloud import az_cli_cloud
from tenantctl.clouds import KNOWN_CLOUDS, CloudDefinition, select_cloud
from tenantctl.errors import UsageError

GOV = KNOWN_CLOUDS["AzureUSGovernment"]
CHINA = KNOWN_CLOUDS["AzureChinaCloud"]
PUBLIC = KNOWN_CLOUDS["AzureCloud"]
CUSTOM_ARM = "https://arm.stack.example"


def _metadata(url: str) -> Any:
    assert url.startswith(CUSTOM_ARM + "/metadata/endpoints?api-version=")
    return [
        {
            "name": "AzureStackLab",
            "resourceManager": CUSTOM_ARM + "/",
            "authentication": {"loginEndpoint": "https://login.stack.example/", "audiences": ["https://arm.stack/"]},
        }
    ]


def _no_read(url: str) -> Any:
    raise AssertionError(f"no metadata request expected, got {url}")


def _select(
    requested: str | None = None,
    manifest: str | None = None,
    env: dict[str, str] | None = None,
    az: CloudDefinition | None = None,
    read: Callable[[str], Any] = _no_read,
) -> CloudDefinition:
    return select_cloud(
        requested=requested, manifest_cloud=manifest, env=env or {}, read_metadata=read, az_cli_cloud=lambda: az
    )


ENV_CHINA = {"AZURE_RESOURCE_MANAGER_ENDPOINT": CHINA.resource_manager}


@pytest.mark.parametrize(
    ("requested", "manifest", "env", "az", "expected"),
    [
        (None, None, {}, None, PUBLIC),  # nothing said: the public cloud
        (None, None, {}, GOV, GOV),  # az cloud set --name AzureUSGovernment
        (None, None, ENV_CHINA, GOV, CHINA),  # the environment beats az
        (None, "AzureUSGovernment", ENV_CHINA, CHINA, GOV),  # the manifest beats the environment and az
        ("azurechinacloud", None, {}, GOV, CHINA),  # --cloud beats az (names are case-insensitive)
        ("AzureUSGovernment", "AzureUSGovernment", ENV_CHINA, CHINA, GOV),  # --cloud agrees with the manifest
        ("https://management.usgovcloudapi.net/", None, {}, None, GOV),  # a known cloud's endpoint: no request
    ],
)
def test_first_match_wins(
    requested: str | None, manifest: str | None, env: dict[str, str], az: CloudDefinition | None, expected: Any
) -> None:
    assert _select(requested, manifest, env, az) == expected


def test_a_custom_endpoint_on_the_command_line_is_described_by_its_metadata() -> None:
    cloud = _select(CUSTOM_ARM, read=_metadata)
    assert (cloud.name, cloud.resource_manager, cloud.authority_host) == (
        "AzureStackLab",
        CUSTOM_ARM,
        "https://login.stack.example",
    )
    assert cloud.arm_scope == "https://arm.stack//.default"


def test_an_environment_endpoint_of_the_manifests_cloud_keeps_its_hosts() -> None:
    """The served emulator emulating AzureCloud, with a manifest that says AzureCloud: talk to the emulator."""
    env = {"AZURE_RESOURCE_MANAGER_ENDPOINT": CUSTOM_ARM}

    def served(url: str) -> Any:
        doc = _metadata(url)
        doc[0]["name"] = "AzureCloud"
        return doc

    assert _select(None, "AzureCloud", env, read=served).resource_manager == CUSTOM_ARM
    # ... but an environment of another cloud does not override what the manifest declares.
    assert _select(None, "AzureUSGovernment", env, read=served) == GOV


@pytest.mark.parametrize("requested", ["AzureUSGovernment", "https://management.chinacloudapi.cn"])
def test_cloud_option_conflicting_with_the_manifest_is_a_usage_error(requested: str) -> None:
    with pytest.raises(UsageError) as exc:
        _select(requested, "AzureCloud")
    assert exc.value.code == "cloud-conflict"
    assert requested in exc.value.message
    assert "'AzureCloud'" in exc.value.message


def test_bad_cloud_option_values_are_clear_errors() -> None:
    with pytest.raises(UsageError) as unknown:
        _select("AzureGermanCloud")
    assert unknown.value.code == "unknown-cloud"
    assert all(name in unknown.value.message for name in KNOWN_CLOUDS)
    with pytest.raises(UsageError) as clear_text:
        _select("http://arm.example.com")
    assert clear_text.value.code == "bad-cloud-endpoint"


def _az_dir(tmp_path: Path, config: str, clouds: str | None = None) -> dict[str, str]:
    (tmp_path / "config").write_text(config)
    if clouds is not None:
        (tmp_path / "clouds.config").write_text(clouds)
    return {"AZURE_CONFIG_DIR": str(tmp_path)}


def test_az_cli_active_cloud_is_read_from_its_config(tmp_path: Path) -> None:
    env = _az_dir(tmp_path, "[core]\noutput = json\n\n[cloud]\nname = AzureUSGovernment\n")
    assert az_cli_cloud(env, _no_read) == GOV


def test_az_cli_registered_cloud_is_read_from_clouds_config(tmp_path: Path) -> None:
    env = _az_dir(
        tmp_path,
        "[cloud]\nname = AzureStackLab\n",
        f"[AzureStackLab]\nendpoint_resource_manager = {CUSTOM_ARM}/\nendpoint_vm_image_alias_doc = x\n",
    )
    cloud = az_cli_cloud(env, _metadata)
    assert cloud is not None
    assert cloud.resource_manager == CUSTOM_ARM


def test_without_az_cli_config_there_is_no_az_cloud(tmp_path: Path) -> None:
    assert az_cli_cloud({"AZURE_CONFIG_DIR": str(tmp_path / "missing")}, _no_read) is None
    assert az_cli_cloud(_az_dir(tmp_path, "[core]\noutput = json\n"), _no_read) is None
    # ~/.azure/config when AZURE_CONFIG_DIR is not set
    (tmp_path / ".azure").mkdir()
    (tmp_path / ".azure" / "config").write_text("[cloud]\nname = AzureChinaCloud\n")
    assert az_cli_cloud({}, _no_read, home=tmp_path) == CHINA


def test_bad_az_cli_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as unregistered:
        az_cli_cloud(_az_dir(tmp_path, "[cloud]\nname = Nowhere\n"), _no_read)
    assert unregistered.value.code == "unknown-cloud"
    assert "Nowhere" in unregistered.value.message
    with pytest.raises(UsageError) as broken:
        az_cli_cloud(_az_dir(tmp_path, "name = no section header\n"), _no_read)
    assert broken.value.code == "bad-az-config"
    assert str(tmp_path / "config") in broken.value.message
