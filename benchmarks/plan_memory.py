"""Peak memory of ``plan`` on a large manifest, without a cloud: run me in a subprocess.

    python -m benchmarks.plan_memory observed MANIFEST OUT.json   # synthesise what Azure would hold
    python -m benchmarks.plan_memory plan MANIFEST OBSERVED.json  # load + plan; what run.py measures

Applying 10,000 tenants to the emulator takes minutes, so the observed state is synthesised: the plan
from an empty cloud, "applied" by the planning tests' pure simulator (tests/planning/simulate.py),
serialised with ``ObservedState.to_json``. The ``plan`` step then does what ``tenantctl plan`` does
after observation (load and validate the manifest, hold the observed state, make the plan, render it
as JSON) and also imports the Azure SDK modules the adapter loads, so their memory is counted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["main"]


def _synthesise(manifest_path: Path, out: Path) -> None:
    from tenantctl.observation import ObservedState
    from tenantctl.planning import make_plan
    from tenantctl.reconcile import load_valid_manifest
    from tests.planning.simulate import applied

    manifest, _ = load_valid_manifest(manifest_path)
    empty = ObservedState()
    plan = make_plan(manifest, empty)
    observed = applied(empty, plan)
    out.write_text(json.dumps(observed.to_json()), encoding="utf-8")
    print(f"observed: {len(observed.accounts)} accounts, {sum(map(len, observed.deployments.values()))} deployments")


def _plan(manifest_path: Path, observed_path: Path) -> None:
    import azure.identity
    import azure.mgmt.authorization
    import azure.mgmt.cognitiveservices
    import azure.mgmt.resource.resources  # noqa: F401 - count what a real plan loads

    from tenantctl.observation import ObservedState
    from tenantctl.planning import make_plan, plan_to_json
    from tenantctl.reconcile import load_valid_manifest

    manifest, _ = load_valid_manifest(manifest_path)
    observed = ObservedState.from_json(json.loads(observed_path.read_text(encoding="utf-8")))
    plan = make_plan(manifest, observed)
    document = json.dumps(plan_to_json(plan))
    print(f"plan: {len(plan.changes)} changes, {len(plan.actionable)} actionable, {len(document)} bytes of JSON")


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.planning.simulate
    mode, manifest, other = argv
    if mode == "observed":
        _synthesise(Path(manifest), Path(other))
    else:
        _plan(Path(manifest), Path(other))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
