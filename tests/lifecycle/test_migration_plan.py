"""Migration planning without a cloud (pure): old generations are kept until the new one is live."""

from __future__ import annotations

from tenantctl.desired import desired_state
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.planning.model import Action
from tenantctl.planning.placement import place
from tenantctl.planning.text import plan_lines
from tenantctl.resources import Account, Deployment
from tests.lifecycle.conftest import SMALL


def _manifest(text: str) -> Manifest:
    manifest = parse_manifest(text).manifest
    assert manifest is not None
    return manifest


def _applied(manifest: Manifest) -> ObservedState:
    """Azure after a complete apply of ``manifest``: everything desired exists, Succeeded."""
    desired = desired_state(manifest, placement_hints=place(manifest, ObservedState()).hints)
    accounts = {i.resource.ref.key: i.resource for i in desired.items if isinstance(i.resource, Account)}
    deployments: dict[str, list[Deployment]] = {k: [] for k in accounts}
    for i in desired.items:
        if isinstance(i.resource, Deployment):
            deployments[i.resource.account.key].append(i.resource)
    return ObservedState(
        accounts=accounts,
        listed_groups=(("00000000-0000-0000-0000-000000000000", "rg-tenantctl"),),
        deployments={k: tuple(v) for k, v in deployments.items()},
    )


BEFORE = _manifest(SMALL)
AFTER = _manifest(
    SMALL.replace(
        '[tenants.globex]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n',
        '[tenants.globex]\nisolation = "dedicated"\n',
    )
)


def test_a_model_change_creates_the_new_resources_instead_of_replacing_the_old_ones() -> None:
    plan = make_plan(AFTER, _applied(BEFORE), prune=True)
    globex = [c for c in plan.changes if c.tenant == "globex"]
    assert {(str(c.address), c.action, c.phase) for c in globex} == {
        ("tenant.globex.account", Action.CREATE, 1),
        ("tenant.globex.deployment.chat", Action.CREATE, 1),
        ("tenant.globex.deployment.chat@ctso-eu1--01", Action.NOOP, 3),
    }
    assert "retire-pending" in [d.code for d in plan.diagnostics]


def test_retire_waits_for_the_new_resources_to_be_succeeded() -> None:
    plan = make_plan(AFTER, _applied(BEFORE), prune=True, retire=True)
    assert not [c for c in plan.changes if c.action is Action.DELETE]


def test_retire_deletes_the_old_generation_once_the_new_one_is_live() -> None:
    both = _applied(BEFORE)
    new = _applied(AFTER)
    observed = ObservedState(
        accounts={**both.accounts, **new.accounts},
        listed_groups=both.listed_groups,
        deployments={**both.deployments, **{k: v for k, v in new.deployments.items() if k not in both.deployments}},
    )
    kept = make_plan(AFTER, observed, prune=True)
    assert not kept.has_changes
    text = "\n".join(plan_lines(kept))
    assert "phase 3: retire the old resources" in text
    retired = make_plan(AFTER, observed, retire=True)
    assert [(str(c.address), c.action, c.phase) for c in retired.actionable] == [
        ("tenant.globex.deployment.chat@ctso-eu1--01", Action.DELETE, 3)
    ]


def test_a_failed_new_deployment_does_not_count_as_live() -> None:
    both = _applied(BEFORE)
    new = _applied(AFTER)
    key = next(k for k in new.accounts if k.endswith("/ctso-globex"))
    failed = tuple(Deployment(**{**d.__dict__, "provisioning_state": "Failed"}) for d in new.deployments[key])
    observed = ObservedState(
        accounts={**both.accounts, **new.accounts},
        listed_groups=both.listed_groups,
        deployments={**both.deployments, key: failed},
    )
    plan = make_plan(AFTER, observed, retire=True)
    assert not [c for c in plan.changes if c.action is Action.DELETE]
