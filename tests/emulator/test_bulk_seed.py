"""The benchmarks' bulk seed leaves the emulator exactly as a real apply does (benchmarks/seed.py).

One manifest with every isolation model, a pool of three subscriptions (one capped), a stamp pinned to its own
subscription, content filters with blocklists: applied for real into one emulator (real adapter, SDK over
HTTPS, real executor), bulk-seeded into another. Their resources must be equal but for what Azure makes
up afresh on every create (etags, internal ids, creation times, principal ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.seed import fleet_writes, seed_fleet
from tenantctl.cloud.azure import connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.emulator.bulk import BulkWrite, BulkWriteError, bulk_write
from tenantctl.emulator.store import RESOURCE_KINDS
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.reconcile import plan_against
from tests.planning.conftest import manifest_from
from tests.planning.on_emulator import apply_manifest

PROVIDER = "00000000-0000-0000-0000-0000000000a1"
POOL_B = "00000000-0000-0000-0000-0000000000b2"
POOL_C = "00000000-0000-0000-0000-0000000000c3"
STAMP = "00000000-0000-0000-0000-0000000000d4"
BYO = "00000000-0000-0000-0000-0000000000e5"


def _manifest_text() -> str:
    lines = [
        "schema = 1",
        "[provider]",
        f'subscription_id = "{PROVIDER}"',
        'resource_group = "rg-seed"',
        'location = "swedencentral"',
        'name_prefix = "sd"',
        'manifest_name = "seed-test"',
        "[provider.app]",
        'client_id = "00000000-0000-0000-0000-00000000a990"',
        'home_directory = "00000000-0000-0000-0000-00000000a991"',
        *(f'[[provider.pool]]\nsubscription_id = "{s}"' for s in (PROVIDER, POOL_B)),
        f'[[provider.pool]]\nsubscription_id = "{POOL_C}"\nresource_group = "rg-seed-c"\nmax_accounts = 2',
        # The stamp's own member: pinned there, it fills the member's two slots, so the tenants go elsewhere.
        f'[[provider.pool]]\nsubscription_id = "{STAMP}"\nregions = ["swedencentral"]\nmax_accounts = 2',
        "[defaults]",
        "deployments = [",
        '  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 },',
        '  { name = "embed", model = "text-embedding-3-small", version = "1", sku = "GlobalStandard", capacity = 10 },',
        "]",
        "[stamps.s1]",
        'location = "swedencentral"',
        f'subscription_id = "{STAMP}"',
        "max_accounts = 2",
        "max_deployments_per_account = 5",
        "deployments = [",
        '  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 100 },',
        "]",
    ]
    for i in range(9):  # nine dedicated tenants in one region: the pool spreads them over three members
        lines += [f"[tenants.ded{i}]", 'isolation = "dedicated"']
        if i == 1:
            lines.append('deployments = [{ name = "chat", capacity = 20 }]')
        if i % 4 == 0:
            lines.append(f'content_filter = {{ severity = "Low", blocklist = ["ded{i}-secret", "ded{i}-other"] }}')
    lines += ["[tenants.ded-west]", 'isolation = "dedicated"', 'location = "westeurope"']
    for i in range(8):
        lines += [
            f"[tenants.dd{i}]",
            'isolation = "dedicated-deployment"',
            'stamp = "s1"',
            'deployments = [{ name = "chat", model = "gpt-4o-mini", version = "2024-07-18", '
            'sku = "GlobalStandard", capacity = 5 }]',
        ]
        if i == 3:
            lines.append('content_filter = { severity = "High" }')
    for i in range(8):
        lines += [f"[tenants.sh{i}]", 'isolation = "shared"', 'stamp = "s1"', f"tpm = {1000 + 500 * (i % 3)}"]
    for i in range(2):
        lines += [
            f"[tenants.byo{i}]",
            'isolation = "tenant-provided"',
            f'directory = "00000000-0000-0000-0000-00000000f0{i}f"',
            f'resource_id = "/subscriptions/{BYO}/resourceGroups/rg-byo{i}/providers/'
            f'Microsoft.CognitiveServices/accounts/byo{i}"',
            'expect_deployments = ["chat"]',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def manifest() -> Manifest:
    return manifest_from(_manifest_text())


@pytest.fixture
def seeded() -> Iterator[Emulator]:
    emu = Emulator(settings=EmulatorSettings(lro_seconds=0.05, retry_after=0)).start()
    try:
        yield emu
    finally:
        emu.stop()


# What Azure makes up afresh on every create: equal stores may differ only here.
_FRESH = {"etag", "systemData", "internalId", "dateCreated", "principalId", "_busyUntil"}


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k not in _FRESH}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def _resources(emu: Emulator) -> dict[str, list[str]]:
    """Every resource document by kind, normalised; each emulator's own random directory and provider
    ids (the same role in both) become placeholders."""
    store = emu.world.store
    provider = emu.provider
    own = {emu.home_directory: "<home>", provider.client_id: "<app>", provider.object_id: "<principal>"}

    def text(doc: dict[str, Any]) -> str:
        out = json.dumps(_normalised(doc), sort_keys=True)
        for value, placeholder in own.items():
            out = out.replace(value, placeholder)
        return out

    return {
        kind: [text(doc) for doc in store.all(kind)]
        for kind in RESOURCE_KINDS
        if kind != "op"  # operation records: random ids, one per request sent (the bulk path sends the same)
    }


def test_a_bulk_seeded_emulator_holds_what_a_real_apply_leaves(
    emulator: Emulator, seeded: Emulator, manifest: Manifest
) -> None:
    from benchmarks.common import register_subscriptions

    register_subscriptions(emulator, manifest)
    applied_cloud = connect_emulator(emulator, polling_interval=0.02)
    apply_manifest(manifest, applied_cloud)
    report = seed_fleet(seeded, manifest)

    applied, bulk = _resources(emulator), _resources(seeded)
    assert report.accounts == len(applied["account"]) == 10 + 2  # ten dedicated, the stamp's two
    assert len({json.loads(a)["_sub"] for a in applied["account"]}) == 4  # three pool members and the stamp
    assert applied["raiblocklistitem"]  # the content filters are in the comparison
    assert applied["raipolicy"]
    for kind in applied:
        differ = [(a, b) for a, b in zip(applied[kind], bulk[kind], strict=False) if a != b]
        assert len(bulk[kind]) == len(applied[kind]), kind
        assert not differ, (kind, differ[:1])

    seeded_cloud = connect_emulator(seeded, polling_interval=0.02)
    try:
        _, plan = plan_against(manifest, seeded_cloud)
    finally:
        seeded_cloud.close()
        applied_cloud.close()
    assert not plan.is_blocked
    assert not plan.has_changes, [str(c.address) for c in plan.changes if c.action.value != "no-op"]


def test_a_refused_write_names_itself_and_keeps_nothing(seeded: Emulator, manifest: Manifest) -> None:
    from benchmarks.common import register_subscriptions

    register_subscriptions(seeded, manifest)
    writes = fleet_writes(make_plan(manifest, ObservedState()))
    account = next(w for w in writes if w.path.lower().endswith("/accounts/sd-ded0"))
    bad = BulkWrite("PUT", account.path.replace("rg-seed", "rg-missing"), account.body)
    provider = seeded.provider
    claims = {"appid": provider.client_id, "oid": provider.object_id, "tid": provider.directory}
    with pytest.raises(BulkWriteError) as refused:
        bulk_write(seeded.world, [*writes[:5], bad], claims=claims)
    assert "rg-missing" in str(refused.value)
    assert "ResourceGroupNotFound" in str(refused.value)
    assert seeded.world.store.all("rg") == []  # all or nothing: the five writes before it are gone too
