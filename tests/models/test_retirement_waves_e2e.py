"""Done-when of issue 18 on the emulator: a fleet on a version retiring in 30 days moves in three waves.

After every step (upgrade, plan, apply) the routing export must give every tenant a live route: an
account and deployments that exist in Azure and are Succeeded.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.lifecycle.conftest import SMALL, envelope_of
from tests.lifecycle.test_migration import _assert_routes_to_live_resources, _routing

OLD, NEW = "2024-08-06", "2024-11-20"
# SMALL's fleet (dedicated acme + hooli, dedicated-deployment globex, shared initech) plus a second
# dedicated-deployment tenant, all on the version that retires; hooli is the canary.
FLEET = (
    SMALL.replace(f'version = "{NEW}"', f'version = "{OLD}"').replace(
        '[tenants.hooli]\nisolation = "dedicated"\n',
        '[tenants.hooli]\nisolation = "dedicated"\ntags = { canary = "true" }\n',
    )
    + '\n[tenants.umbrella]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
    'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 10 }]\n'
)
TENANTS = ("acme", "globex", "hooli", "initech", "umbrella")


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tenants.toml").write_text(FLEET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _every_tenant_has_a_live_route(cli: Any) -> None:
    routes = _routing(cli)
    assert sorted(routes) == list(TENANTS)
    for tenant in TENANTS:
        _assert_routes_to_live_resources(routes[tenant], tenant)


def _step(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(*args, "--emulator", "-o", "json")
    assert result.exit_code == 0, result.output
    _every_tenant_has_a_live_route(cli)
    data: dict[str, Any] = envelope_of(result)["data"]
    return data


def _versions(cli: Any) -> dict[str, str]:
    rows = envelope_of(cli("models", "--emulator", "-o", "json"))["data"]["models"]
    return {u["owner"]: row["version"] for row in rows for u in row["users"] if u["tenant"] in (None, u["owner"])}


@pytest.mark.slow
def test_a_fleet_retiring_in_30_days_moves_in_three_waves_and_every_tenant_always_has_a_live_route(
    cli: Any, fleet: Path
) -> None:
    from tenantctl.cli.runtime import open_embedded_emulator

    retires = datetime.now(timezone.utc).date() + timedelta(days=30)
    with open_embedded_emulator(fleet) as emulator:
        emulator.set_model_retirement("gpt-4o", OLD, f"{retires.isoformat()}T00:00:00Z")
    _step(cli, "apply", "--auto-approve")

    models = _step(cli, "models")["models"]
    assert [(m["version"], m["days_to_retirement"], m["retiring_soon"]) for m in models] == [(OLD, 30, True)]
    assert models[0]["tenants"] == sorted(TENANTS)

    waves = [("canary", ["hooli"]), ("50%", ["acme", "globex"]), ("100%", ["umbrella", "stamp:eu1"])]
    for wave, moved in waves:
        before = (fleet / "tenants.toml").read_bytes()
        data = _step(cli, "upgrade", "--to", f"gpt-4o@{NEW}", "--wave", wave)
        assert data["moved"] == moved
        assert (fleet / "tenants.toml").read_bytes() != before
        if wave != "100%":
            # The next wave is refused until this one is applied, and the refusal writes nothing.
            edited = (fleet / "tenants.toml").read_bytes()
            refused = cli("upgrade", "--to", f"gpt-4o@{NEW}", "--wave", "100%", "--emulator", "-o", "json")
            assert refused.exit_code == 1
            assert {d["code"] for d in envelope_of(refused)["diagnostics"]} == {"previous-wave-not-live"}
            assert (fleet / "tenants.toml").read_bytes() == edited
        plan = _step(cli, "plan")
        # A version change of the same model is an in-place update in Azure: nothing replaced, no outage.
        changed = [c for c in plan["changes"] if c["action"] != "no-op"]
        assert {c["action"] for c in changed} == {"update"}
        assert len(changed) == len(moved)
        _step(cli, "apply", "--auto-approve")
        versions = _versions(cli)
        assert all(versions[o] == NEW for o in moved), versions

    assert set(_versions(cli).values()) == {NEW}
    final = cli("plan", "--emulator", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
