"""``tenantctl byo consent-url`` and ``byo verify`` through typer's CliRunner, and the secret never leaks."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tenantctl.cli.byo_commands import register
from tests.byo.conftest import CLIENT_ID, DIRECTORY, HOME, RESOURCE_ID, ByoWorld

MANIFEST = f"""
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"

[provider.app]
client_id = "{CLIENT_ID}"
home_directory = "{HOME}"

[tenants.trey]
isolation = "tenant-provided"
directory = "{DIRECTORY}"
resource_id = "{RESOURCE_ID}"
expect_deployments = ["gpt-4o"]

[tenants.acme]
isolation = "dedicated"
"""


def _app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None)

    @app.callback()
    def _root() -> None:
        """tenantctl (test harness: only the byo commands)."""

    register(app)
    return app


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    path = tmp_path / "tenants.toml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    app = _app()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, ["byo", *args], catch_exceptions=False)

    return invoke


def _emulator_args(world: ByoWorld) -> list[str]:
    ep = world.emulator.endpoint
    return [
        "--authority-host",
        ep,
        "--arm-endpoint",
        ep,
        "--ca-bundle",
        str(world.emulator.ca_path),
        "--role-wait",
        "0.1",
    ]


def test_consent_url_human_and_json(run: Callable[..., Any], manifest_file: Path) -> None:
    human = run("consent-url", "trey", "-f", str(manifest_file))
    assert human.exit_code == 0, human.output
    url = (
        f"https://login.microsoftonline.com/{DIRECTORY}/v2.0/adminconsent?client_id={CLIENT_ID}"
        "&scope=https://management.azure.com/.default&redirect_uri=https://localhost/tenantctl/consent"
        "&state=tenantctl-trey"
    )
    assert url in human.stdout
    assert f'--role "Cognitive Services OpenAI User" --scope {RESOURCE_ID}' in human.stdout
    assert "tenantctl byo verify trey" in human.stdout
    doc = json.loads(run("consent-url", "trey", "-f", str(manifest_file), "-o", "json", "--state", "n0nce").stdout)
    assert doc["command"] == "byo consent-url"
    assert doc["status"] == "success"
    assert doc["data"]["consent_url"] == url.replace("tenantctl-trey", "n0nce")
    assert doc["data"]["role_assignment"]["role_id"] == "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"


def test_consent_url_usage_errors(run: Callable[..., Any], manifest_file: Path) -> None:
    result = run("consent-url", "acme", "-f", str(manifest_file), "-o", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnostics"][0]["code"] == "not-tenant-provided"
    missing = run("consent-url", "trey", "-f", str(manifest_file.parent / "nope.toml"), "-o", "json")
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["diagnostics"][0]["code"] == "file-not-found"


def test_verify_success_and_failure_exit_codes(
    run: Callable[..., Any], manifest_file: Path, byo_world: Callable[..., ByoWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = byo_world()
    secret = "s3cret-" + uuid.uuid4().hex
    world.emulator.register_app(home_directory=HOME, client_id=CLIENT_ID, secret=secret)
    monkeypatch.setenv("TENANTCTL_APP_CLIENT_SECRET", secret)
    ok = run("verify", "trey", "-f", str(manifest_file), *_emulator_args(world))
    assert ok.exit_code == 0, ok.output
    assert "✓ verified" in ok.stdout
    doc = json.loads(run("verify", "trey", "-f", str(manifest_file), "-o", "json", *_emulator_args(world)).stdout)
    assert doc["data"]["ok"] is True
    assert [c["status"] for c in doc["data"]["checks"]] == ["ok"] * 4
    monkeypatch.setenv("TENANTCTL_APP_CLIENT_SECRET", "wrong")
    bad = run("verify", "trey", "-f", str(manifest_file), "-o", "json", *_emulator_args(world))
    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert doc["status"] == "error"
    assert doc["diagnostics"][0]["code"] == "provider-credential"


def test_verify_without_any_credential_names_the_variables(
    run: Callable[..., Any], manifest_file: Path, byo_world: Callable[..., ByoWorld]
) -> None:
    world = byo_world()
    result = run("verify", "trey", "-f", str(manifest_file), "-o", "json", *_emulator_args(world))
    assert result.exit_code == 1
    diag = json.loads(result.stdout)["diagnostics"][0]
    assert diag["code"] == "app-credential-missing"
    for name in (
        "TENANTCTL_APP_CERTIFICATE",
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE",
        "TENANTCTL_APP_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    ):
        assert name in diag["detail"]


@pytest.mark.parametrize("state", ["onboarded", "not-consented", "bad-secret", "no-role"])
def test_sentinel_secret_never_appears(  # noqa: PLR0917 - pytest fixtures
    state: str,
    run: Callable[..., Any],
    manifest_file: Path,
    byo_world: Callable[..., ByoWorld],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sentinel = f"sentinel-{uuid.uuid4().hex}"
    world = byo_world(consent=state != "not-consented", assign_role=state != "no-role")
    registered = "something-else" if state == "bad-secret" else sentinel
    world.emulator.register_app(home_directory=HOME, client_id=CLIENT_ID, secret=registered)
    monkeypatch.setenv("TENANTCTL_APP_CLIENT_SECRET", sentinel)
    caplog.set_level(logging.DEBUG)
    outputs = []
    for extra in ([], ["-o", "json"], ["-v"], ["-v", "-o", "json"]):
        verify = run("verify", "trey", "-f", str(manifest_file), *extra, *_emulator_args(world))
        assert verify.exit_code == (0 if state == "onboarded" else 1), verify.output
        consent = run("consent-url", "trey", "-f", str(manifest_file), *extra)
        outputs += [verify.stdout, verify.stderr, consent.stdout, consent.stderr]
    captured = capfd.readouterr()
    everything = "\n".join(
        [*outputs, caplog.text, captured.out, captured.err, *(repr(r.args) + r.getMessage() for r in caplog.records)]
    )
    assert caplog.records, "expected DEBUG logging from msal/azure to be captured"
    assert sentinel not in everything


def test_verify_with_the_embedded_emulator(
    run: Callable[..., Any], manifest_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--emulator``: tenantctl plays the tenant's admin, then verifies (the demo path)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "MSAL_FORCE_REGION", "TENANTCTL_APP_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    ok = run("verify", "trey", "-f", str(manifest_file), "--emulator", "-o", "json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["data"]["ok"] is True
    # Consent is never revoked, so a second run in the same state still passes.
    again = run("verify", "trey", "-f", str(manifest_file), "--emulator")
    assert again.exit_code == 0, again.output


def test_embedded_emulator_can_simulate_an_admin_who_has_not_consented(
    run: Callable[..., Any], manifest_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "MSAL_FORCE_REGION"):
        monkeypatch.delenv(name, raising=False)
    result = run("verify", "trey", "-f", str(manifest_file), "--emulator", "--emulator-skip-consent")
    assert result.exit_code == 1
    assert "not consented" in result.stdout
    assert "/v2.0/adminconsent?client_id=" in result.stdout
