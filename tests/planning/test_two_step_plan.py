"""A plan in two halves (draft before the lazy details are read, finish after) is the one-shot plan.

``plan`` observes in two steps and diffs once: :func:`draft_plan` sees only accounts, deployments and
filters; :func:`finish_plan` gets the usages, catalogues, deleted accounts, subdomain checks and
tenant-provided verdicts.  Every golden scenario (soft-deleted accounts in the way, purges, quota
shortfalls, prune) must come out byte-identical to :func:`make_plan` on the whole state.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import plan_to_json
from tenantctl.planning.planner import draft_plan, finish_plan, make_plan

from .conftest import SCENARIOS, manifest_from

NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "manifest.toml").exists())
LAZY = ("usages", "models", "deleted_accounts", "subdomains", "byo")


def _scenario(name: str) -> tuple[Manifest, ObservedState, dict[str, Any]]:
    folder = SCENARIOS / name
    manifest = manifest_from((folder / "manifest.toml").read_text())
    observed = ObservedState.from_json(json.loads((folder / "observed.json").read_text()))
    options_file = folder / "options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    return manifest, observed, options


def _step_one(observed: ObservedState) -> ObservedState:
    """What observation holds before the lazy details: accounts, deployments, filters only."""
    return dataclasses.replace(observed, **{name: {} for name in LAZY})


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("selected", [False, True])
def test_draft_before_the_details_then_finish_is_the_one_shot_plan(name: str, selected: bool) -> None:
    manifest, observed, options = _scenario(name)
    if selected:
        options = {**options, "tenants": sorted(manifest.tenants)[:1]}
    base = _step_one(observed)
    draft = draft_plan(manifest, base, **options)
    full = base.merged(**{name: getattr(observed, name) for name in LAZY if name != "byo"})
    full = dataclasses.replace(full, byo=observed.byo)
    two_steps = finish_plan(draft, full)
    one_shot = make_plan(manifest, observed, **options)
    assert json.dumps(plan_to_json(two_steps), sort_keys=True) == json.dumps(plan_to_json(one_shot), sort_keys=True)


def test_the_soft_deleted_scenario_needs_its_subscription_and_the_no_op_needs_nothing() -> None:
    manifest, observed, options = _scenario("soft-deleted")
    need = draft_plan(manifest, _step_one(observed), **options).details_needed()
    assert need.subscriptions
    assert need.regions
    manifest, observed, options = _scenario("no-op")
    need = draft_plan(manifest, _step_one(observed), **options).details_needed()
    assert (need.regions, need.subscriptions, need.subdomains) == ((), (), ())


def test_finishing_a_draft_with_another_state_is_refused() -> None:
    manifest, observed, _ = _scenario("drift")
    draft = draft_plan(manifest, observed)
    with pytest.raises(ValueError, match="accounts"):
        finish_plan(draft, dataclasses.replace(observed, accounts={}))
