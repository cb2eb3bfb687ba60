"""Right-sizing: one recommendation per allocation (a deployment's capacity or a shared budget).

The rules, in order (documented in docs/usage.md; the first that matches decides):

1. **no traffic** in the window: no recommendation (a new tenant, or metrics not visible).
2. **PTU** (provisioned) deployments: token metrics do not measure PTU utilisation, so ``keep``
   with the idle days as evidence.
3. **raise** when throttled requests are at least ``THROTTLE_SHARE`` (1 %) of all requests, or
   the p95 daily peak is at least ``HIGH`` (80 %) of the allocation: to the larger of
   p95 / ``TARGET`` (70 %) and allocation × 1.25, rounded up to a step; for an account-side
   deployment capped by the region's quota headroom (``keep`` when there is none).
4. **lower** when the allocation idled on at least ``IDLE_DAYS`` (80 %) of the window's days, or
   (hourly data only) the p95 daily peak is under ``LOW`` (30 %) of it: to the largest peak seen /
   ``TARGET`` rounded up to a step, at least the minimum step (1K TPM); ``keep`` if that is not lower.
5. otherwise **keep**.

A day's peak is its busiest interval's average tokens per minute at the granularity read (1 hour:
the busiest hour; 1 day: the day's average, too coarse to lower on utilisation, so only idle days
lower then). p95 is nearest-rank over every day of the window, idle days included. "The largest
peak seen" is the exact busiest minute where the gateway reports it, else the busiest interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["AllocationUsage", "recommend", "step_up"]

THROTTLE_SHARE = 0.01
HIGH = 0.80
LOW = 0.30
TARGET = 0.70
IDLE_DAYS = 0.80
RAISE_AT_LEAST = 1.25


@dataclass(frozen=True)
class AllocationUsage:
    """What the rules look at for one allocation."""

    capacity: int  # in ``unit``
    unit: str  # "K TPM" | "TPM" | "PTU"
    daily_peaks_tpm: tuple[int, ...]  # one per day of the window (0 = idle)
    requests: int
    throttled_requests: int
    headroom_k: float | None = None  # quota left in the region (K TPM), None: not limited / unknown
    region: str = ""
    peak_tpm: int = 0  # the largest peak seen (the busiest minute where known)
    hourly: bool = True  # daily peaks are busiest hours (False: day averages)


@dataclass(frozen=True)
class Verdict:
    action: str  # "raise" | "lower" | "keep"
    proposed: int
    evidence: str


def step_up(tpm: float) -> int:
    """``tpm`` rounded up to a capacity step in K TPM: 1K up to 10K, 5K up to 50K, 10K up to 200K, then 50K."""
    k = max(1.0, tpm / 1000)
    for limit, step in ((10, 1), (50, 5), (200, 10)):
        if k <= limit:
            return int(math.ceil(k / step - 1e-9) * step)
    return int(math.ceil(k / 50 - 1e-9) * 50)


def p95(values: Sequence[int]) -> int:
    """Nearest-rank 95th percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _label(k: int, unit: str) -> str:
    return f"{k:,} PTU" if unit == "PTU" else f"{k:,}K TPM"


@dataclass(frozen=True)
class _Reading:
    """The numbers every rule looks at, in K TPM."""

    current_k: float
    peak: int  # p95 of the daily peaks, tokens per minute
    share: float  # peak / allocation
    throttled_share: float
    idle: int
    days: int
    seen: str  # the evidence every verdict starts with

    def to_capacity(self, k: int, unit: str) -> int:
        return k * 1000 if unit == "TPM" else k


def _reading(usage: AllocationUsage) -> _Reading:
    days = len(usage.daily_peaks_tpm)
    idle = sum(1 for peak in usage.daily_peaks_tpm if peak == 0)
    total = usage.requests + usage.throttled_requests
    current_k = usage.capacity / 1000 if usage.unit == "TPM" else float(usage.capacity)
    peak = p95(usage.daily_peaks_tpm)
    share = peak / (current_k * 1000) if current_k else math.inf
    throttled_share = usage.throttled_requests / total if total else 0.0
    what = "daily peak hour" if usage.hourly else "daily average"
    seen = f"p95 of {what} at {share:.0%} of {_label(round(current_k), 'K TPM')}"
    if usage.throttled_requests:
        seen += f", {usage.throttled_requests:,} throttled requests ({throttled_share:.1%})"
    return _Reading(current_k, peak, share, throttled_share, idle, days, seen)


def _raise(usage: AllocationUsage, r: _Reading) -> Verdict:
    want = step_up(max(r.peak / TARGET, r.current_k * 1000 * RAISE_AT_LEAST))
    if usage.headroom_k is None:
        return Verdict("raise", r.to_capacity(want, usage.unit), f"{r.seen}: raise to {_label(want, 'K TPM')}")
    room = max(0, math.floor(usage.headroom_k))
    where = f"quota headroom in {usage.region} {room:,}K"
    if room <= 0:
        return Verdict("keep", usage.capacity, f"{r.seen}: raise is needed but no {where} — ask for more quota")
    capped = want - r.current_k > room
    new_k = int(r.current_k + room) if capped else want
    because = f"capped by {where}" if capped else where
    return Verdict(
        "raise", r.to_capacity(new_k, usage.unit), f"{r.seen}: raise to {_label(new_k, 'K TPM')} — {because}"
    )


def _lower(usage: AllocationUsage, r: _Reading) -> Verdict:
    want = step_up(max(r.peak, usage.peak_tpm) / TARGET)
    reason = f"budget idle {r.idle} of {r.days} days" if r.idle >= IDLE_DAYS * r.days else r.seen
    if want < r.current_k:
        return Verdict("lower", r.to_capacity(want, usage.unit), f"{reason}: lower to {_label(want, 'K TPM')}")
    return Verdict("keep", usage.capacity, f"{reason}, but a peak of {usage.peak_tpm:,} TPM needs the allocation")


def recommend(usage: AllocationUsage) -> Verdict | None:
    """The verdict of the rules (module docstring) for one allocation; None when there was no traffic."""
    r = _reading(usage)
    if usage.requests + usage.throttled_requests == 0 and r.idle == r.days:
        return None
    if usage.unit == "PTU":
        return Verdict(
            "keep", usage.capacity, f"provisioned: idle {r.idle} of {r.days} days (PTU use is not in token metrics)"
        )
    if r.throttled_share >= THROTTLE_SHARE or r.share >= HIGH:
        return _raise(usage, r)
    if r.idle >= IDLE_DAYS * r.days or (usage.hourly and r.share < LOW):
        return _lower(usage, r)
    return Verdict("keep", usage.capacity, f"{r.seen}: within {LOW:.0%}–{HIGH:.0%}")
