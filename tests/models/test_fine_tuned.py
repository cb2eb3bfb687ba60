"""Fine-tuned models: refused on shared deployments, checked against the account's model list, deployed on
a dedicated tenant's account once the account holds the model (emulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantctl.manifest.load import parse_manifest
from tests.lifecycle.conftest import SMALL, envelope_of

TUNED = "gpt-4o-mini-2024-07-18.ft-0e208cf33a6a466994aff31a08aba678"
TUNED_DEPLOYMENT = f'{{ name = "tuned", model = "{TUNED}", version = "1", sku = "Standard", capacity = 5 }}'
ACME = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-tenantctl"
    "/providers/Microsoft.CognitiveServices/accounts/ctso-acme"
)


def _errors(text: str) -> list[tuple[str, str | None, str]]:
    return [(d.code, d.path, d.detail) for d in parse_manifest(text).diagnostics if d.is_error]


def test_a_fine_tuned_model_on_a_stamps_shared_deployment_is_refused_citing_the_guidance() -> None:
    text = SMALL.replace(
        'deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "DataZoneStandard", '
        "capacity = 300 }]",
        f"deployments = [{TUNED_DEPLOYMENT.replace('capacity = 5', 'capacity = 300')}]",
    )
    [(code, path, detail)] = _errors(text)
    assert (code, path) == ("fine-tuned-shared", "stamps.eu1.deployments[0].model")
    assert "https://learn.microsoft.com/azure/architecture/guide/multitenant/service/openai" in detail


def test_a_fine_tuned_model_in_defaults_is_refused_and_on_a_dedicated_tenant_is_valid() -> None:
    in_defaults = SMALL.replace(
        '[defaults]\ndeployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", '
        "capacity = 10 }]",
        f"[defaults]\ndeployments = [{TUNED_DEPLOYMENT}]",
    )
    assert [(c, p) for c, p, _ in _errors(in_defaults)][:1] == [("fine-tuned-shared", "defaults.deployments[0].model")]
    dedicated = SMALL.replace(
        '[tenants.acme]\nisolation = "dedicated"\n',
        f'[tenants.acme]\nisolation = "dedicated"\ndeployments = [{{ name = "chat" }}, {TUNED_DEPLOYMENT}]\n',
    )
    assert _errors(dedicated) == []


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tenants.toml").write_text(SMALL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_a_fine_tuned_model_deploys_on_the_dedicated_account_that_holds_it_and_plan_blocks_before(
    cli: Any, small: Path
) -> None:
    from tenantctl.cli.runtime import open_embedded_emulator

    assert cli("apply", "--emulator", "--auto-approve").exit_code == 0
    manifest = small / "tenants.toml"
    manifest.write_text(
        SMALL.replace(
            '[tenants.acme]\nisolation = "dedicated"\n',
            f'[tenants.acme]\nisolation = "dedicated"\ndeployments = [{{ name = "chat" }}, {TUNED_DEPLOYMENT}]\n',
        ),
        encoding="utf-8",
    )
    blocked = cli("plan", "--emulator", "-o", "json")
    assert blocked.exit_code == 1
    [error] = [d for d in envelope_of(blocked)["diagnostics"] if d["severity"] == "error"]
    assert error["code"] == "fine-tuned-model-missing"
    assert "is not in account ctso-acme" in error["summary"]
    assert "the account does not list it" in error["summary"]

    with open_embedded_emulator(small) as emulator:
        emulator.register_fine_tuned_model(ACME, TUNED, "2027-06-01T00:00:00Z")
    applied = cli("apply", "--emulator", "--auto-approve", "-o", "json")
    assert applied.exit_code == 0, applied.output
    assert cli("plan", "--emulator", "--detailed-exitcode").exit_code == 0
    models = envelope_of(cli("models", "--emulator", "-o", "json", "--today", "2026-12-01"))["data"]["models"]
    tuned = next(m for m in models if m["model"] == TUNED)
    assert (tuned["retirement"], tuned["days_to_retirement"], tuned["tenants"]) == ("2027-06-01", 182, ["acme"])


@pytest.mark.slow
def test_a_dedicated_deployment_tenant_deploys_the_fine_tuned_model_its_stamp_account_holds_and_no_other_account_can(
    cli: Any, small: Path
) -> None:
    from tenantctl.cli.runtime import open_cloud, open_embedded_emulator
    from tenantctl.errors import TerminalError
    from tenantctl.resources import AccountRef, Deployment

    assert cli("apply", "--emulator", "--auto-approve").exit_code == 0
    (small / "tenants.toml").write_text(
        SMALL.replace(
            'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 20 }]',
            f'deployments = [{{ name = "chat", sku = "DataZoneStandard", capacity = 20 }}, {TUNED_DEPLOYMENT}]',
        ),
        encoding="utf-8",
    )
    stamp_account = ACME.replace("ctso-acme", "ctso-eu1--01")
    with open_embedded_emulator(small) as emulator:
        emulator.register_fine_tuned_model(stamp_account, TUNED, "2027-06-01T00:00:00Z")
    applied = cli("apply", "--emulator", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    routes = envelope_of(cli("export", "routing", "--emulator", "-o", "json"))["data"]["tenants"]
    assert routes["globex"]["deployments"] == {"chat": "globex--chat", "tuned": "globex--tuned"}
    assert routes["globex"]["ready"] is True

    # Azure deploys a fine-tuned model only on the account that holds it.
    acme = AccountRef.parse(ACME)
    elsewhere = Deployment(acme, "stolen", TUNED, "1", "Standard", 5)
    with (
        open_cloud(emulator=True, subscriptions=[acme.subscription_id]) as cloud,
        pytest.raises(TerminalError) as refused,
    ):
        cloud.put_deployment(elsewhere)
    assert refused.value.code == "DeploymentModelNotSupported"
