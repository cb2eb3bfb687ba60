"""Golden scenarios: ``manifest.toml`` + ``observed.json`` (+ ``options.json``) in, ``plan.txt`` + ``plan.json`` out.

Regenerate the goldens with ``UPDATE_GOLDENS=1 pytest tests/planning`` and review the diff.
``options.json`` may set ``prune``, ``purge_deleted`` and ``tenants`` for ``make_plan``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan, plan_from_json, plan_to_json
from tenantctl.planning.model import Plan
from tenantctl.planning.text import plan_lines

from .conftest import SCENARIOS, manifest_from

UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "manifest.toml").exists())


def _plan(folder: Path) -> Plan:
    manifest = manifest_from((folder / "manifest.toml").read_text())
    observed = ObservedState.from_json(json.loads((folder / "observed.json").read_text()))
    options_file = folder / "options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    return make_plan(manifest, observed, **options)


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDENS=1"
    assert actual == path.read_text(), f"{path} differs from the plan: review, then UPDATE_GOLDENS=1"


@pytest.mark.parametrize("name", NAMES)
def test_scenario_plan_matches_its_goldens(name: str) -> None:
    folder = SCENARIOS / name
    plan = _plan(folder)
    _check(folder / "plan.txt", "\n".join(plan_lines(plan)) + "\n")
    _check(folder / "plan.json", json.dumps(plan_to_json(plan), indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", NAMES)
def test_scenario_plan_survives_a_json_round_trip_exactly(name: str) -> None:
    plan = _plan(SCENARIOS / name)
    text = json.dumps(plan_to_json(plan))
    assert plan_from_json(json.loads(text)) == plan


def test_there_are_at_least_eight_scenarios() -> None:
    assert len(NAMES) >= 8
