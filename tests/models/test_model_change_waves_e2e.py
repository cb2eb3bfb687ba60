"""Issue 18 on the emulator: a fleet moves to another model NAME (and one deployment to another SKU).

Azure cannot change a deployment's model name or SKU in place, so every step must be make-before-break
(successors.py): after every step (upgrade, plan, apply, apply --retire) each tenant's route names an
account and deployments that exist and are Succeeded; after retirement nothing old is left and a
second plan is a no-op.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantctl.cli.runtime import open_cloud
from tests.lifecycle.conftest import SMALL, envelope_of
from tests.lifecycle.test_migration import _assert_routes_to_live_resources, _routing

SUB = "00000000-0000-0000-0000-000000000000"
OLD, NEW = "gpt-4o@2024-11-20", "gpt-4.1@2025-04-14"
FLEET = (
    SMALL.replace(
        '[tenants.hooli]\nisolation = "dedicated"\n',
        '[tenants.hooli]\nisolation = "dedicated"\ntags = { canary = "true" }\n',
    )
    + '\n[tenants.umbrella]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
    + 'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 10 }]\n'
)
UMBRELLA = 'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 10 }]'
TENANTS = ("acme", "globex", "hooli", "initech", "umbrella")


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Writes finish in 0.02 s (no Retry-After): the phases, not the emulator's 1 s LROs, are under test.
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    (tmp_path / "tenants.toml").write_text(FLEET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _step(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(*args, "--emulator", "-o", "json")
    assert result.exit_code == 0, result.output
    routes = _routing(cli)
    assert sorted(routes) == list(TENANTS)
    for tenant in TENANTS:
        _assert_routes_to_live_resources(routes[tenant], tenant)
    data: dict[str, Any] = envelope_of(result)["data"]
    return data


def _deployments() -> list[tuple[str, str, str]]:
    """(Azure name, model, SKU) of every deployment in the emulator's provider subscription."""
    with open_cloud(emulator=True, subscriptions=[SUB]) as cloud:
        return sorted(
            (d.name, d.model, d.sku)
            for a in cloud.list_accounts(SUB, "rg-tenantctl")
            for d in cloud.list_deployments(a.ref)
        )


def _move(cli: Any) -> dict[str, Any]:
    """plan (successors created beside the old ones, nothing replaced), apply, apply --retire."""
    plan = _step(cli, "plan")
    actions = {c["action"] for c in plan["changes"]}
    assert "replace" not in actions
    assert "delete" not in actions
    creates = [c for c in plan["changes"] if c["action"] == "create"]
    assert creates
    assert all("old deployment keeps serving" in c["reason"] and c["phase"] == 1 for c in creates)
    pending = [c for c in plan["changes"] if c["phase"] == 3]
    assert len(pending) == len(creates)
    assert all(c["action"] == "no-op" and c["reason"].startswith("retire pending") for c in pending)
    _step(cli, "apply", "--auto-approve")
    routes = _routing(cli)
    switched = {t: r["model_change"] for t, r in routes.items() if "model_change" in r}
    assert switched
    assert all(m["phase"] == 2 for change in switched.values() for m in change.values())
    # inspect agrees with the routing export: the successor is the tenant's deployment, the old one waits.
    tenant = sorted(t for t in switched if t != "initech")[0]
    inspected = envelope_of(cli("inspect", tenant, "--emulator", "-o", "json"))["data"]["deployments"]
    rows = {(d["name"], d["azure_name"], d["in_manifest"], d["fate"]) for d in inspected}
    to = switched[tenant]["chat"]
    assert rows == {("chat", to["to"], True, None), ("chat", to["from"], False, "retire-pending")}, rows
    return _step(cli, "apply", "--auto-approve", "--retire")


@pytest.mark.slow
def test_a_fleet_moves_to_another_model_name_in_waves_and_every_tenant_always_has_a_live_route(
    cli: Any, fleet: Path
) -> None:
    _step(cli, "apply", "--auto-approve")
    waves = [("canary", ["hooli"]), ("50%", ["acme", "globex"]), ("100%", ["umbrella", "stamp:eu1"])]
    for wave, moved in waves:
        data = _step(cli, "upgrade", "--from", OLD, "--to", NEW, "--wave", wave)
        assert data["moved"] == moved
        if wave == "canary":
            # The next wave is refused until the canary's successors are live, and the refusal writes nothing.
            edited = (fleet / "tenants.toml").read_bytes()
            refused = cli("upgrade", "--from", OLD, "--to", NEW, "--wave", "100%", "--emulator", "-o", "json")
            assert refused.exit_code == 1
            assert {d["code"] for d in envelope_of(refused)["diagnostics"]} == {"previous-wave-not-live"}
            assert (fleet / "tenants.toml").read_bytes() == edited
        if wave == "50%":
            # With this wave, one SKU change by hand (umbrella, still on gpt-4o): the same make-before-break;
            # its successor is then the one the 100% wave replaces by yet another.
            text = (fleet / "tenants.toml").read_text(encoding="utf-8")
            sku = text.replace(UMBRELLA, UMBRELLA.replace("DataZoneStandard", "GlobalStandard"))
            assert sku != text
            (fleet / "tenants.toml").write_text(sku, encoding="utf-8")
            _step(cli, "export", "routing")
        _move(cli)

    final = cli("plan", "--emulator", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    left = _deployments()
    assert {model for _, model, _ in left} == {"gpt-4.1"}, left  # no old deployment left
    assert ("umbrella--chat__gpt-4.1-globalstandard", "gpt-4.1", "GlobalStandard") in left
    routes = _routing(cli)
    assert routes["initech"]["deployments"] == {"chat": "chat__gpt-4.1-datazonestandard"}
    assert all("model_change" not in r for r in routes.values())
