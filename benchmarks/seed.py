"""Seed an emulator with a manifest's fleet in seconds, in the state `tenantctl apply` would leave it.

    seed_fleet(emulator, manifest)   # 10,000 tenants: seconds, where an apply through ARM takes minutes

1. tenantctl's own pure planner plans the manifest against an empty cloud (what a first apply runs);
2. each planned write becomes the ARM request the adapter sends for it: the body is the adapter's own
   (:mod:`tenantctl.cloud.azure.convert`, serialised as the SDK serialises it), the path the operation's;
3. :func:`tenantctl.emulator.bulk.bulk_write` runs every request through the emulator's own handlers in one
   transaction, finishing each long-running operation at once.

Nothing here builds an emulator document: what is stored is what the PUT handlers store. The test
``tests/emulator/test_bulk_seed.py`` holds the two side by side (a seeded and an applied emulator hold equal
resources, and a plan against the seeded one is a no-op). Tenant-provided tenants have nothing to seed:
their accounts are the tenants' own (the emulator plays their admins when a plan first verifies them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import register_subscriptions
from tenantctl.addresses import ResourceKind
from tenantctl.emulator.bulk import BulkWrite, bulk_write
from tenantctl.manifest.model import Manifest
from tenantctl.planning.model import Action, Change, Plan
from tenantctl.resources import Account, Blocklist, Deployment, RaiPolicy, ResourceGroup

__all__ = ["SeedReport", "fleet_writes", "seed_fleet", "seed_state"]

_KIND_ORDER = {kind: i for i, kind in enumerate(ResourceKind)}  # the enum lists kinds parents first
_BLOCKLIST_BATCH = 100  # terms per addRaiBlocklistItems request (Azure's batch limit, as the adapter sends)


@dataclass(frozen=True)
class SeedReport:
    writes: int
    accounts: int
    deployments: int


def _path(ref: Any) -> str:
    return str(ref.id)


def _wire(model: Any) -> Any:
    """The JSON body the SDK sends for ``model`` (msrest models serialise; TypeSpec models are mappings)."""
    if hasattr(model, "serialize"):
        return model.serialize()
    return model.as_dict(exclude_readonly=True)


def _writes_for(change: Change) -> Iterator[BulkWrite]:
    from azure.mgmt.resource.resources import models as rm

    from tenantctl.cloud.azure import convert

    record = change.after
    if isinstance(record, ResourceGroup):
        body = _wire(rm.ResourceGroup(location=record.location, tags=dict(record.tags)))
        yield BulkWrite("PUT", f"/subscriptions/{record.subscription_id}/resourcegroups/{record.name}", body)
    elif isinstance(record, Account):
        yield BulkWrite("PUT", _path(record.ref), _wire(convert.account_body(record, baseline=record.baseline)))
    elif isinstance(record, Blocklist):
        base = f"{_path(record.account)}/raiBlocklists/{record.name}"
        yield BulkWrite("PUT", base, _wire(convert.blocklist_body(record)))
        terms = sorted(set(record.terms))
        for start in range(0, len(terms), _BLOCKLIST_BATCH):
            items = convert.blocklist_items_body(terms[start : start + _BLOCKLIST_BATCH])
            yield BulkWrite("POST", f"{base}/addRaiBlocklistItems", [_wire(item) for item in items])
    elif isinstance(record, RaiPolicy):
        path = f"{_path(record.account)}/raiPolicies/{record.name}"
        yield BulkWrite("PUT", path, _wire(convert.rai_policy_body(record)))
    elif isinstance(record, Deployment):
        path = f"{_path(record.account)}/deployments/{record.name}"
        yield BulkWrite("PUT", path, _wire(convert.deployment_body(record)))
    else:
        # Private endpoints, diagnostic settings and vault keys need resources the provider owns (subnets,
        # workspaces, vaults): apply them for real. The benchmark fleets have none.
        raise NotImplementedError(f"{change.address}: bulk seeding of a {change.kind.value} is not supported")


def fleet_writes(plan: Plan) -> list[BulkWrite]:
    """The ARM requests of a first apply of ``plan`` (creates only), parents before children."""
    creates = [c for c in plan.changes if c.action is Action.CREATE]
    unsupported = [c for c in plan.changes if c.action not in (Action.CREATE, Action.NOOP)]
    if unsupported:
        raise ValueError(f"bulk seeding starts from an empty cloud; the plan has {unsupported[0].action.value}s")
    creates.sort(key=lambda c: _KIND_ORDER[c.kind])  # stable: plan order within a kind
    return [write for change in creates for write in _writes_for(change)]


def seed_fleet(emulator: Any, manifest: Manifest) -> SeedReport:
    """Plan ``manifest`` from an empty cloud and store the result in ``emulator`` (started or not)."""
    from tenantctl.observation import ObservedState
    from tenantctl.planning import make_plan

    register_subscriptions(emulator, manifest)
    plan = make_plan(manifest, ObservedState())
    if plan.is_blocked:
        raise RuntimeError(f"the plan is blocked: {[d.code + ': ' + d.summary for d in plan.diagnostics.errors]}")
    writes = fleet_writes(plan)
    provider = emulator.provider
    claims = {"appid": provider.client_id, "oid": provider.object_id, "tid": provider.directory}
    bulk_write(emulator.world, writes, claims=claims)
    kinds = [c.kind for c in plan.changes if c.action is Action.CREATE]
    return SeedReport(
        writes=len(writes),
        accounts=kinds.count(ResourceKind.ACCOUNT),
        deployments=kinds.count(ResourceKind.DEPLOYMENT),
    )


def seed_state(manifest: Manifest, state_dir: Path) -> SeedReport:
    """A file-backed emulator state in ``state_dir`` holding ``manifest``'s fleet (serve it afterwards)."""
    from tenantctl.emulator import Emulator, EmulatorSettings

    emulator = Emulator(state_dir=state_dir, settings=EmulatorSettings(lro_seconds=0.0, retry_after=0))
    try:
        return seed_fleet(emulator, manifest)
    finally:
        emulator.world.store.close()
