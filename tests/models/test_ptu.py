"""Provisioned (PTU) deployments: per-model minimum and increment in validate, PTU quota lines in plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantctl.manifest.load import parse_manifest
from tests.lifecycle.conftest import SMALL, envelope_of


def _acme(deployments: str) -> str:
    return SMALL.replace(
        '[tenants.acme]\nisolation = "dedicated"\n',
        f'[tenants.acme]\nisolation = "dedicated"\ndeployments = {deployments}\n',
    )


def _ptu_errors(text: str) -> list[tuple[str | None, str]]:
    return [(d.path, d.summary) for d in parse_manifest(text).diagnostics if d.code == "ptu-size"]


@pytest.mark.parametrize(
    ("model", "sku", "good", "bad"),
    [
        ("gpt-4o", "GlobalProvisionedManaged", (15, 20, 100), (5, 10, 17)),
        ("gpt-4o", "DataZoneProvisionedManaged", (15, 25), (14, 16)),
        ("gpt-4o", "ProvisionedManaged", (50, 100), (15, 25, 75)),
        ("gpt-4o-mini", "ProvisionedManaged", (25, 75), (15, 30)),
    ],
)
def test_provisioned_capacity_must_meet_the_models_minimum_and_increment(
    model: str, sku: str, good: tuple[int, ...], bad: tuple[int, ...]
) -> None:
    version = "2024-07-18" if model == "gpt-4o-mini" else "2024-11-20"
    for capacity in good:
        spec = f'[{{ name = "chat", model = "{model}", version = "{version}", sku = "{sku}", capacity = {capacity} }}]'
        assert _ptu_errors(_acme(spec)) == [], capacity
    for capacity in bad:
        spec = f'[{{ name = "chat", model = "{model}", version = "{version}", sku = "{sku}", capacity = {capacity} }}]'
        [(path, summary)] = _ptu_errors(_acme(spec))
        assert path == "tenants.acme.deployments[0].capacity"
        assert summary.startswith(f"tenant 'acme' deployment 'chat': {sku} {model} takes at least"), summary
        assert summary.endswith(f"not {capacity}")


def test_stamp_deployments_are_checked_and_standard_skus_are_not() -> None:
    text = SMALL.replace(
        'sku = "DataZoneStandard", capacity = 300', 'sku = "DataZoneProvisionedManaged", capacity = 301'
    )
    assert [p for p, _ in _ptu_errors(text)] == ["stamps.eu1.deployments[0].capacity"]
    assert _ptu_errors(SMALL) == []


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tenants.toml").write_text(
        _acme('[{ name = "chat", sku = "GlobalProvisionedManaged", capacity = 15 }]'), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_books_a_tenants_ptu_on_its_provisioned_quota_line(cli: Any, small: Path) -> None:
    plan = cli("plan", "--emulator", "-o", "json")
    assert plan.exit_code == 0, plan.output
    lines = {q["usage_name"]: q for q in envelope_of(plan)["data"]["quota"]}
    ptu = lines["OpenAI.GlobalProvisionedManaged"]
    assert ptu["need"] == 15


PTU_WITH_SPILL = (
    '[{ name = "chat", sku = "GlobalProvisionedManaged", capacity = 15, spillover = "chat-spill" }, '
    '{ name = "chat-spill", sku = "GlobalStandard", capacity = 10 }]'
)


@pytest.mark.parametrize(
    ("deployments", "code"),
    [
        (
            '[{ name = "chat", sku = "GlobalProvisionedManaged", capacity = 15, spillover = "nope" }]',
            "unknown-spillover",
        ),
        ('[{ name = "chat", spillover = "spill" }, { name = "spill", capacity = 5 }]', "invalid-spillover"),
        (
            PTU_WITH_SPILL.replace('"GlobalStandard", capacity = 10', '"GlobalProvisionedManaged", capacity = 15'),
            "invalid-spillover",
        ),
        (PTU_WITH_SPILL.replace('sku = "GlobalStandard"', 'sku = "DataZoneStandard"'), "invalid-spillover"),
        (PTU_WITH_SPILL.replace("capacity = 10 }", 'capacity = 10, version = "2024-08-06" }'), "invalid-spillover"),
    ],
)
def test_a_spillover_must_be_another_standard_deployment_behind_a_provisioned_one(deployments: str, code: str) -> None:
    codes = [d.code for d in parse_manifest(_acme(deployments)).diagnostics if d.is_error]
    assert codes == [code]
    assert [d.code for d in parse_manifest(_acme(PTU_WITH_SPILL)).diagnostics if d.is_error] == []


def test_routing_export_carries_the_spillover_order_once_both_deployments_are_live(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tenants.toml").write_text(_acme(PTU_WITH_SPILL), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    derived = envelope_of(cli("export", "routing", "-o", "json"))["data"]["tenants"]
    assert derived["acme"]["spillover"] == {"chat": ["chat", "chat-spill"]}
    assert "spillover" not in derived["hooli"]
    assert cli("apply", "--emulator", "--auto-approve").exit_code == 0
    observed = envelope_of(cli("export", "routing", "--emulator", "-o", "json"))["data"]["tenants"]["acme"]
    assert observed["ready"] is True
    assert observed["spillover"] == {"chat": ["chat", "chat-spill"]}


def test_a_tenants_ptu_beyond_the_provisioned_quota_blocks_the_plan_before_any_write(cli: Any, small: Path) -> None:
    from tenantctl.cli.runtime import open_embedded_emulator

    with open_embedded_emulator(small) as emulator:
        emulator.set_quota(
            "00000000-0000-0000-0000-000000000000", "swedencentral", "OpenAI.GlobalProvisionedManaged", 10
        )
    plan = cli("plan", "--emulator", "-o", "json")
    assert plan.exit_code == 1
    [short] = [d for d in envelope_of(plan)["diagnostics"] if d["code"] == "quota-short"]
    assert "OpenAI.GlobalProvisionedManaged" in short["summary"]
    assert "short by 5" in short["summary"]


def test_ptu_quota_is_one_line_per_deployment_type_across_models(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provisioned quota is model-independent in Azure: a gpt-4o and a gpt-4.1 PTU deployment share a line."""
    two = (
        '[{ name = "chat", sku = "GlobalProvisionedManaged", capacity = 15 }, '
        '{ name = "next", model = "gpt-4.1", version = "2025-04-14", sku = "GlobalProvisionedManaged", capacity = 15 }]'
    )
    (tmp_path / "tenants.toml").write_text(_acme(two), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    plan = cli("plan", "--emulator", "-o", "json")
    assert plan.exit_code == 0, plan.output
    ptu = [q for q in envelope_of(plan)["data"]["quota"] if "Provisioned" in q["usage_name"]]
    assert [(q["usage_name"], q["need"]) for q in ptu] == [("OpenAI.GlobalProvisionedManaged", 30)]
    lines = envelope_of(cli("quota", "--emulator", "-o", "json"))["data"]["lines"]
    [line] = [q for q in lines if q["usage_name"] == "OpenAI.GlobalProvisionedManaged"]
    assert (line["model"], line["unit"], line["allocated"]) == (None, "PTU", 30)
