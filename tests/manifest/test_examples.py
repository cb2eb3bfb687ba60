"""The bundled examples and the starter manifest validate, and stay inside the emulator's quota."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from tenantctl.diagnostics import assert_no_errors
from tenantctl.manifest.load import load_manifest, parse_manifest
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation
from tenantctl.manifest.starter import starter_manifest_text

from .conftest import EXAMPLES, fleet_manifest

# The emulator's default quota per subscription × region × model × SKU (thousands of TPM / PTUs).
EMULATOR_QUOTA = {"GlobalStandard": 1000, "DataZoneStandard": 1000, "Standard": 300}
EMULATOR_MODELS = {
    ("gpt-4o", "2024-08-06"),
    ("gpt-4o", "2024-11-20"),
    ("gpt-4o-mini", "2024-07-18"),
    ("gpt-4.1", "2025-04-14"),
    ("gpt-4.1-mini", "2025-04-14"),
    ("o3-mini", "2025-01-31"),
    ("text-embedding-3-large", "1"),
    ("text-embedding-3-small", "1"),
}


@pytest.mark.parametrize("name", ["tenants.toml", "minimal.toml"])
def test_every_bundled_example_validates_without_errors_or_warnings(name: str) -> None:
    result = load_manifest(EXAMPLES / name)
    assert_no_errors(result.diagnostics)
    assert result.diagnostics.warnings == []
    assert result.manifest is not None


def test_the_example_covers_all_four_isolation_models_in_realistic_numbers() -> None:
    manifest = load_manifest(EXAMPLES / "tenants.toml").manifest
    assert manifest is not None
    counts = Counter(t.isolation for t in manifest.tenants.values())
    assert len(manifest.tenants) >= 24
    assert counts[Isolation.DEDICATED] >= 5
    assert counts[Isolation.DEDICATED_DEPLOYMENT] >= 8
    assert counts[Isolation.SHARED] >= 8
    assert counts[Isolation.TENANT_PROVIDED] >= 3
    assert len(manifest.stamps) == 2
    assert any(t.protected and t.content_filter and t.network for t in manifest.tenants.values())
    assert {manifest.tenants[t].stamp for t in manifest.tenants if manifest.tenants[t].stamp} == {
        "eu1",
        "us1",
    }


def test_the_example_asks_for_well_under_the_emulator_quota_and_only_its_models() -> None:
    manifest = load_manifest(EXAMPLES / "tenants.toml").manifest
    assert manifest is not None
    used: dict[tuple[str, str, str], int] = defaultdict(int)
    for stamp_id in manifest.stamps:
        for d in manifest.stamp_deployments(stamp_id):
            used[(manifest.stamps[stamp_id].location, d.model, d.sku)] += d.capacity
    for tenant_id in manifest.tenants:
        for d in manifest.resolved_deployments(tenant_id):
            used[(manifest.tenant_location(tenant_id), d.model, d.sku)] += d.capacity
            assert (d.model, d.version) in EMULATOR_MODELS
    for (region, model, sku), capacity in used.items():
        limit = 100 if sku in PROVISIONED_SKUS else EMULATOR_QUOTA[sku]
        assert capacity <= 0.8 * limit, (region, model, sku, capacity)


def test_the_starter_manifest_validates_and_shows_each_isolation_model() -> None:
    result = parse_manifest(starter_manifest_text(), "tenants.toml")
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None
    assert {t.isolation for t in result.manifest.tenants.values()} == set(Isolation)


def test_a_generated_fleet_of_a_thousand_tenants_validates() -> None:
    result = parse_manifest(fleet_manifest(1000))
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None
    assert len(result.manifest.tenants) == 1000
