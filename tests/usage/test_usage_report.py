"""``collect_usage`` and ``tenantctl usage`` on an applied fleet with generated traffic.

Totals must equal the generator's ground truth exactly; costs must reconcile; every bad input is a
diagnostic with the rest of the report still there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tenantctl.manifest.load import parse_manifest
from tenantctl.render.usage import CSV_COLUMNS, usage_csv
from tenantctl.usage import UsageReport, apply_recommendations, collect_usage
from tests.usage import fleet
from tests.usage.fleet import MANIFEST, Fleet

_FIELDS = ("prompt_tokens", "completion_tokens", "requests", "throttled_requests")
_HOSTILE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with pytest.MonkeyPatch.context() as mp:
        for name in _HOSTILE_ENV:
            mp.delenv(name, raising=False)
        workdir = tmp_path_factory.mktemp("usage-fleet")
        start, end = fleet.build(workdir)
        yield from fleet.serve(workdir, start, end)


def _collect(world: Fleet, granularity: str = "1d", **kwargs: Any) -> UsageReport:
    options: dict[str, Any] = {"start": world.start, "end": world.end, "granularity": granularity}
    options.update(kwargs)
    manifest = options.pop("manifest", world.manifest)
    workspace = options.pop("gateway_workspace", world.emulator.gateway_workspace_id)
    return collect_usage(manifest, world.cloud, gateway_workspace=workspace, **options)


def _truth(world: Fleet) -> dict[str, tuple[int, ...]]:
    """Ground truth per tenant, summed the way the manifest assigns deployments and gateway tenants."""
    m, prefix = world.manifest, world.manifest.provider.name_prefix
    rows = world.emulator.traffic_truth(world.start.timestamp(), world.end.timestamp())
    out: dict[str, list[int]] = {}
    for r in rows:
        if r["kind"] == "tenant":
            owner = r["tenant"] if r["tenant"] in m.tenants else None
        else:
            account = r["account_id"].rsplit("/", 1)[-1]
            tenant_part = r["deployment"].split("--", 1)[0] if "--" in r["deployment"] else None
            if tenant_part is not None:
                owner = tenant_part
            elif account.startswith(f"{prefix}-") and "--" not in account:
                owner = account[len(prefix) + 1 :]
            else:
                owner = None  # a stamp's shared deployment: its tokens are the gateway tenants'
        if owner is None:
            continue
        sums = out.setdefault(owner, [0, 0, 0, 0])
        for i, f in enumerate(_FIELDS):
            sums[i] += r[f]
    return {t: tuple(v) for t, v in out.items()}


@pytest.mark.parametrize("granularity", ["1d", "1h"])
def test_totals_per_tenant_equal_the_generators_ground_truth(world: Fleet, granularity: str) -> None:
    report = _collect(world, granularity)
    got = {t.tenant: tuple(getattr(t.totals, f) for f in _FIELDS) for t in report.tenants if t.visibility == "visible"}
    truth = {t: v for t, v in _truth(world).items() if any(v)}
    # The gateway's token metrics count answered calls only: its 429s are not in them (docs/usage.md).
    shared = {t for t, spec in world.manifest.tenants.items() if spec.isolation.value == "shared"}
    truth = {t: (*v[:3], 0) if t in shared else v for t, v in truth.items()}
    assert got == truth
    assert {"acme", "contoso", "globex", "initech", "hooli"} <= set(got)  # every kind of source is covered
    assert all(t.tenant != "stranger" for t in report.tenants)
    # Series points sum to the totals, at the granularity asked for.
    for row in report.tenants:
        assert sum(p.prompt_tokens for p in row.series) == row.totals.prompt_tokens
        step = {"1d": dt.timedelta(days=1), "1h": dt.timedelta(hours=1)}[granularity]
        assert all(
            (b.start - a.start) % step == dt.timedelta(0) for a, b in zip(row.series, row.series[1:], strict=False)
        )
    shared_peak = {t.tenant: t.peak_tpm for t in report.tenants if t.isolation == "shared"}
    rows = world.emulator.traffic_truth(world.start.timestamp(), world.end.timestamp())
    assert shared_peak["initech"] == next(r["peak_tokens_per_minute"] for r in rows if r.get("tenant") == "initech")


def test_costs_reconcile_and_a_missing_price_is_marked(world: Fleet) -> None:
    report = _collect(world)
    by_tenant = {t.tenant: t for t in report.tenants}
    assert report.currency == "EUR"
    # Independently: acme chat is DataZoneStandard gpt-4o (the SKU-specific price wins), legacy gpt-35-turbo.
    chat, legacy = by_tenant["acme"].deployments
    expected = (
        Decimal(chat.totals.prompt_tokens) * Decimal("2.75") + chat.totals.completion_tokens * Decimal(11)
    ) / 10**6
    assert chat.cost == expected.quantize(Decimal("0.0001"))
    legacy_cost = legacy.totals.prompt_tokens * Decimal("0.5") + legacy.totals.completion_tokens * Decimal("1.5")
    assert legacy.cost == (legacy_cost / 10**6).quantize(Decimal("0.0001"))
    assert by_tenant["acme"].cost == chat.cost + legacy.cost
    # hooli is shared on gpt-4o-mini, which has no price: no cost, marked, and a diagnostic naming it.
    assert by_tenant["hooli"].cost is None
    assert not by_tenant["hooli"].cost_complete
    assert by_tenant["hooli"].totals.tokens > 0
    missing = [d for d in report.diagnostics if d.code == "missing-price"]
    assert len(missing) == 1
    assert "gpt-4o-mini" in missing[0].summary
    assert "hooli" in missing[0].summary
    assert report.partial
    priced = [t.cost for t in report.tenants if t.cost is not None]
    assert report.cost == sum(priced, Decimal(0))
    assert report.cost > 0
    totals = report.totals
    assert totals.prompt_tokens == sum(t.totals.prompt_tokens for t in report.tenants)


def test_tenants_without_metrics_are_shown_and_marked(world: Fleet) -> None:
    report = _collect(world)
    by_tenant = {t.tenant: t for t in report.tenants}
    assert list(by_tenant) == sorted(world.manifest.tenants)
    assert by_tenant["trey"].visibility == "not visible"
    assert "tenant-provided" in by_tenant["trey"].note
    assert by_tenant["umbrella"].visibility == "no data"
    assert by_tenant["newco"].visibility == "no data"
    assert "missing" in by_tenant["newco"].note
    no_metrics = next(d for d in report.diagnostics if d.code == "no-metrics")
    assert "newco" in no_metrics.summary
    assert "umbrella" in no_metrics.summary


def test_a_window_beyond_retention_is_cut_marked_and_still_answered(world: Fleet) -> None:
    report = _collect(world, start=world.end - dt.timedelta(days=120))
    assert report.partial
    assert any(d.code == "beyond-retention" for d in report.diagnostics)
    assert report.start >= world.end - dt.timedelta(days=93)
    within = _collect(world)
    assert report.totals == within.totals  # the traffic is all inside the kept 93 days


def test_a_gateway_without_the_tenant_dimension_and_no_gateway_at_all(world: Fleet) -> None:
    text = MANIFEST + (
        f'\n[gateway]\nworkspace_id = "{world.emulator.gateway_workspace_id}"\ntenant_dimension = "Customer"\n'
    )
    report = _collect(world, manifest=fleet.manifest(text))
    diag = next(d for d in report.diagnostics if d.code == "gateway-no-tenant-dimension")
    assert "'Customer'" in diag.summary
    assert "export routing --format apim" in diag.detail
    assert {t.tenant: t.visibility for t in report.tenants}["initech"] == "no data"
    assert {t.tenant: t.visibility for t in report.tenants}["acme"] == "visible"  # the rest is still there
    blind = _collect(world, gateway_workspace=None)
    assert any(d.code == "no-gateway" for d in blind.diagnostics)
    assert {t.tenant: t.visibility for t in blind.tenants}["initech"] == "not visible"
    assert blind.partial


def test_csv_is_one_row_per_tenant_deployment_and_sums_to_the_totals(world: Fleet) -> None:
    report = _collect(world)
    rows = list(csv.DictReader(io.StringIO(usage_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(max(1, len(t.deployments)) for t in report.tenants)
    assert sum(int(r["prompt_tokens"]) for r in rows) == report.totals.prompt_tokens
    assert sum(Decimal(r["cost"]) for r in rows if r["cost"]) == report.cost
    hooli = next(r for r in rows if r["tenant"] == "hooli")
    assert (hooli["priced"], hooli["cost"], hooli["model"]) == ("false", "", "gpt-4o-mini")
    assert {r["visibility"] for r in rows if r["tenant"] == "trey"} == {"not visible"}


def test_apply_recommendations_edits_only_the_manifest(world: Fleet) -> None:
    report = _collect(world, granularity="1h")
    changes = [r for r in report.recommendations if r.action in ("raise", "lower")]
    assert changes, [r.evidence for r in report.recommendations]
    result = apply_recommendations(world.manifest, MANIFEST, report.recommendations)
    assert not result.diagnostics.has_errors, [str(d) for d in result.diagnostics]
    edited = parse_manifest(result.text).manifest
    assert edited is not None
    for r in result.applied:
        tenant = edited.tenants[r.tenant]
        if r.field == "tpm":
            assert tenant.tpm == r.proposed
        else:
            name = r.field.split(".")[1]
            assert next(d.capacity for d in tenant.deployments if d.name == name) == r.proposed
    assert {r.field for r in result.applied} == {r.field for r in changes}
    # Re-applying the edited manifest's own recommendations changes nothing more for those keys.
    unchanged = [t for t in world.manifest.tenants if t not in {r.tenant for r in result.applied}]
    assert all(edited.tenants[t] == world.manifest.tenants[t] for t in unchanged)
