"""The Azure adapter picks its cloud from the environment; a custom endpoint it cannot use is a clear error."""

from __future__ import annotations

import socket

import pytest

from tenantctl.cloud.azure.connect import connect_azure, resolve_session_cloud
from tenantctl.clouds import KNOWN_CLOUDS
from tenantctl.emulator import Emulator
from tenantctl.errors import UsageError


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_without_an_arm_endpoint_in_the_environment_the_named_cloud_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_RESOURCE_MANAGER_ENDPOINT", raising=False)
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    assert resolve_session_cloud() == KNOWN_CLOUDS["AzureCloud"]
    assert resolve_session_cloud("AzureChinaCloud") == KNOWN_CLOUDS["AzureChinaCloud"]


def test_an_unreachable_custom_arm_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = f"https://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", endpoint)
    with pytest.raises(UsageError) as exc:
        connect_azure()
    assert exc.value.code == "bad-cloud-metadata"
    assert f"{endpoint}/metadata/endpoints?api-version=2022-09-01" in exc.value.message
    assert "AZURE_RESOURCE_MANAGER_ENDPOINT" in exc.value.hint


def test_a_plain_http_arm_endpoint_elsewhere_than_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://management.example.com")
    with pytest.raises(UsageError) as exc:
        connect_azure()
    assert exc.value.code == "bad-cloud-endpoint"


def test_the_served_emulators_environment_yields_its_cloud(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.connection_info()["env"].items():  # type: ignore[union-attr]
        monkeypatch.setenv(name, str(value))
    cloud = resolve_session_cloud()
    assert cloud.resource_manager == emulator.endpoint
    assert cloud.authority_host == emulator.endpoint
    assert cloud.arm_scope == "https://management.core.windows.net//.default"
    # The end-to-end path (plan through the adapter) is tests/cli/test_served_emulator_env.py.
