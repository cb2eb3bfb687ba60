"""The traffic generator alone (no HTTP): determinism, exact minute splits, shapes, compact state."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tenantctl.emulator import traffic

END_HOUR = 493_000  # a fixed epoch hour (2026-03-29): tests never depend on the clock
DEPLOYMENTS = [
    {"account_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a1",
     "name": "chat", "model": "gpt-4o", "version": "2024-08-06", "location": "swedencentral"},
]  # fmt: skip


def _spec(seed: int, tenants: list[str], days: int = 30) -> traffic.TrafficSpec:
    return traffic.build_spec(seed=seed, days=days, end_hour=END_HOUR, deployments=DEPLOYMENTS, tenants=tenants)


def test_same_seed_same_data_other_seed_other_data() -> None:
    tenants = [f"t{i}" for i in range(20)]
    first = traffic.ground_truth(_spec(1, tenants))
    traffic.day_usage.cache_clear()  # recomputed from scratch, not read back from the cache
    assert traffic.ground_truth(_spec(1, tenants)) == first
    other = traffic.ground_truth(_spec(2, tenants))
    assert [r["prompt_tokens"] for r in other] != [r["prompt_tokens"] for r in first]


def test_a_series_does_not_depend_on_the_others() -> None:
    # Adding tenants must not change anyone else's usage (values derive from seed + own name only).
    alone = traffic.ground_truth(_spec(7, ["acme"]))
    crowded = traffic.ground_truth(_spec(7, ["zeta", "acme", "beta"]))
    assert [r for r in crowded if r.get("tenant") == "acme"] == [r for r in alone if r.get("tenant") == "acme"]


def test_every_shape_occurs_and_idle_tenants_are_mostly_idle() -> None:
    spec = _spec(3, [f"tenant-{i:05d}" for i in range(200)], days=7)
    shapes = Counter(traffic.shape_of(spec.seed, s.key) for s in spec.series)
    assert set(shapes) == set(traffic.SHAPES)
    for row in traffic.ground_truth(spec):
        if row["shape"] == "idle":
            assert row["throttled_requests"] == 0
        if row["shape"] == "throttled":
            assert row["throttled_requests"] > 0


@pytest.mark.parametrize("spike_minute", [0, 1, 30, 59])
@pytest.mark.parametrize("total", [0, 1, 58, 59, 60, 12_345, 1_000_003])
def test_minute_split_sums_to_the_hour_and_the_peak_is_exact(total: int, spike_minute: int) -> None:
    hour = traffic.HourUsage(
        prompt=total, completion=total // 3 + 1, requests=total // 7, throttled=total // 50,
        spike_minute=spike_minute, spike_percent=23,
    )  # fmt: skip
    minutes = [traffic.minute_usage(hour, m) for m in range(60)]
    assert sum(m.prompt for m in minutes) == hour.prompt
    assert sum(m.completion for m in minutes) == hour.completion
    assert sum(m.requests for m in minutes) == hour.requests
    assert sum(m.throttled for m in minutes) == hour.throttled
    assert traffic.peak_minute_tokens(hour) == max(m.tokens for m in minutes)


def test_ten_thousand_tenants_for_thirty_days_is_a_small_document() -> None:
    spec = _spec(1, [f"tenant-{i:05d}" for i in range(10_000)])
    size = len(json.dumps(spec.to_doc()))
    assert size < 2_000_000, size  # one entry per series, no samples
    assert traffic.TrafficSpec.from_doc(spec.to_doc()) == spec


@pytest.mark.parametrize("days", [0, 94])
def test_days_outside_the_retention_are_refused(days: int) -> None:
    with pytest.raises(traffic.TrafficError, match="days"):
        _spec(1, [], days=days)


def test_duplicate_tenants_are_refused() -> None:
    with pytest.raises(traffic.TrafficError, match="twice"):
        _spec(1, ["a", "a"])
