"""The right-sizing rules (docs/usage.md) and the price table, as pure functions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tenantctl.manifest.model import Pricing
from tenantctl.usage.pricing import deployment_cost
from tenantctl.usage.rules import AllocationUsage, p95, recommend, step_up

DAYS = 30


def _usage(peaks: list[int], *, capacity: int = 30, unit: str = "K TPM", **kw: Any) -> AllocationUsage:
    return AllocationUsage(capacity=capacity, unit=unit, daily_peaks_tpm=tuple(peaks), **kw)


def test_steps_and_percentile() -> None:
    assert [step_up(t) for t in (0, 400, 1000, 1001, 9_500, 10_001, 42_000, 199_000, 201_000)] == [
        1, 1, 1, 2, 10, 15, 45, 200, 250,
    ]  # fmt: skip
    assert p95([]) == 0
    assert p95(list(range(1, 101))) == 95  # nearest rank
    assert p95([5] * 19 + [100]) == 5  # one busy day in twenty is above the 95th percentile


def test_no_traffic_no_recommendation() -> None:
    assert recommend(_usage([0] * DAYS, requests=0, throttled_requests=0)) is None


def test_throttling_raises_capped_by_quota_headroom() -> None:
    peaks = [28_800] * DAYS  # 96 % of 30K
    verdict = recommend(_usage(peaks, requests=10_000, throttled_requests=412, headroom_k=120, region="swedencentral"))
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("raise", 45)  # max(28.8K / 0.7, 37.5K) -> 45K
    assert verdict.evidence.startswith("p95 of daily peak hour at 96% of 30K TPM, 412 throttled requests (4.0%)")
    assert verdict.evidence.endswith("raise to 45K TPM — quota headroom in swedencentral 120K")
    capped = recommend(_usage(peaks, requests=10_000, throttled_requests=412, headroom_k=5, region="eastus"))
    assert capped is not None
    assert (capped.action, capped.proposed) == ("raise", 35)
    assert "capped by quota headroom in eastus 5K" in capped.evidence
    none_left = recommend(_usage(peaks, requests=10_000, throttled_requests=412, headroom_k=0, region="eastus"))
    assert none_left is not None
    assert (none_left.action, none_left.proposed) == ("keep", 30)
    assert "ask for more quota" in none_left.evidence


def test_high_utilisation_raises_even_without_throttling() -> None:
    verdict = recommend(_usage([24_000] * DAYS, requests=1_000, throttled_requests=0))
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("raise", 40)  # 80 %: max(34.3K, 37.5K) -> 40K


def test_idle_budget_lowers_to_what_the_peak_needs() -> None:
    peaks = [0] * 28 + [5_000, 6_000]
    verdict = recommend(_usage(peaks, requests=500, throttled_requests=0, peak_tpm=6_500))
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("lower", 10)  # 6.5K / 0.7 = 9.3K -> 10K
    assert verdict.evidence == "budget idle 28 of 30 days: lower to 10K TPM"


def test_low_utilisation_lowers_only_on_hourly_data() -> None:
    peaks = [6_000] * DAYS  # 20 % of 30K
    hourly = recommend(_usage(peaks, requests=5_000, throttled_requests=0, peak_tpm=6_000))
    assert hourly is not None
    assert (hourly.action, hourly.proposed) == ("lower", 9)
    daily = recommend(_usage(peaks, requests=5_000, throttled_requests=0, peak_tpm=6_000, hourly=False))
    assert daily is not None
    assert daily.action == "keep"  # a day's average says too little about its busiest minutes


def test_a_burst_above_the_budget_keeps_it() -> None:
    # A shared budget in TPM: idle most days but one minute at 9K of a 10K budget.
    verdict = recommend(_usage([0] * 27 + [500] * 3, capacity=10_000, unit="TPM", requests=9, throttled_requests=0,
                               peak_tpm=9_000))  # fmt: skip
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("keep", 10_000)
    assert "9,000 TPM" in verdict.evidence


def test_a_shared_budget_is_proposed_in_tokens_per_minute() -> None:
    verdict = recommend(_usage([19_000] * DAYS, capacity=20_000, unit="TPM", requests=900, throttled_requests=0))
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("raise", 30_000)


def test_provisioned_deployments_are_kept_with_their_idle_days() -> None:
    verdict = recommend(_usage([0] * 20 + [100] * 10, capacity=50, unit="PTU", requests=10, throttled_requests=0))
    assert verdict is not None
    assert (verdict.action, verdict.proposed) == ("keep", 50)
    assert "idle 20 of 30 days" in verdict.evidence


@pytest.fixture
def pricing() -> Pricing:
    return Pricing.model_validate(
        {
            "tokens": [
                {"model": "gpt-4o", "input_per_million": 2.5, "output_per_million": 10},
                {"model": "GPT-4o", "sku": "DataZoneStandard", "input_per_million": 2.75, "output_per_million": 11},
            ],
            "ptu": [{"sku": "ProvisionedManaged", "per_hour": 1.0}],
        }
    )


def test_prices_prefer_the_exact_sku_and_ptu_is_charged_per_hour(pricing: Pricing) -> None:
    def cost(model: str, sku: str, capacity: int = 0) -> Decimal | None:
        return deployment_cost(pricing, model=model, sku=sku, prompt_tokens=1_000_000, completion_tokens=500_000,
                               capacity=capacity, hours=Decimal(720))  # fmt: skip

    assert cost("gpt-4o", "GlobalStandard") == Decimal("7.5000")
    assert cost("gpt-4o", "DataZoneStandard") == Decimal("8.2500")
    assert cost("gpt-4o", "ProvisionedManaged", capacity=50) == Decimal("36000.0000")
    assert cost("gpt-4o-mini", "GlobalStandard") is None


def test_a_price_table_with_a_line_twice_is_refused() -> None:
    from pydantic import ValidationError

    twice = {"model": "gpt-4o", "input_per_million": 1, "output_per_million": 1}
    with pytest.raises(ValidationError, match="twice"):
        Pricing.model_validate({"tokens": [twice, twice]})
    with pytest.raises(ValidationError):
        Pricing.model_validate({"tokens": [{**twice, "input_per_million": -1}]})
