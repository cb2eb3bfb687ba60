"""Deterministic, seedable usage traffic for the emulator's metrics and Log Analytics endpoints.

Compact by construction: the state keeps only the traffic *specification* (seed, window, and one entry
per series: a deployment of an emulated account, or a tenant behind the gateway). Every value is a pure
function of ``(seed, series key, hour)``, so 10,000 tenants × 30 days cost one JSON document, not
millions of rows, and a restarted emulator answers exactly what it answered before.

Resolution: the model is hourly (prompt tokens, completion tokens, successful requests, throttled
requests per hour). Each hour splits into 60 minutes by a fixed rule (one "spike" minute carries
``spike_percent`` of the hour, the rest spreads evenly with the remainder on the earliest minutes), so
1-minute values, and the peak minute of an hour, are exact and cheap: the peak is O(1) per hour.

Shapes, derived from the seed and the series key alone: ``steady`` (a daily curve, ±10 %), ``bursty``
(quiet hours with rare 3-8× bursts, a few throttled requests in bursts), ``idle`` (active on ~2 of 30
days), ``throttled`` (high load, 5-20 % of requests answered 429).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

HOUR = 3600
MINUTES_PER_HOUR = 60
SHAPES = ("steady", "bursty", "idle", "throttled")
GATEWAY_DIMENSION = "Tenant"  # the dimension the gateway's emit-token-metric policy must carry
# Azure Monitor keeps platform metrics 93 days (README: retention); more would be unqueryable.
MAX_DAYS = 93

# Relative load per hour of day (UTC): low at night, high in office hours.
_DIURNAL = (
    0.3, 0.25, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.9, 1.0, 1.0, 1.0,
    0.95, 1.0, 1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35,
)  # fmt: skip


class TrafficError(ValueError):
    """A traffic request the generator cannot honour (named parameter and reason)."""


@dataclass(frozen=True)
class Series:
    """One stream of usage: a deployment of an account (``tenant`` empty) or a gateway tenant."""

    kind: str  # "deployment" | "tenant"
    key: str  # deployment: "{account id lower}/deployments/{name}"; tenant: the tenant name
    account_id: str = ""
    deployment: str = ""
    model: str = ""
    model_version: str = ""
    location: str = ""
    tenant: str = ""


class HourUsage(NamedTuple):
    """One hour of one series; ``requests`` are successful calls, ``throttled`` the 429 answers.

    A NamedTuple, not a dataclass: a month of 10,000 tenants is 7.2 million of them, built on demand."""

    prompt: int
    completion: int
    requests: int
    throttled: int
    spike_minute: int
    spike_percent: int

    @property
    def tokens(self) -> int:
        return self.prompt + self.completion


@dataclass(frozen=True)
class TrafficSpec:
    seed: int
    start_hour: int  # epoch hours, inclusive
    end_hour: int  # exclusive
    series: tuple[Series, ...]

    @cached_property
    def by_account(self) -> dict[str, list[Series]]:
        """Deployment series per account id (lower case); cached on the (frozen) spec."""
        index: dict[str, list[Series]] = {}
        for s in self.series:
            if s.kind == "deployment":
                index.setdefault(s.account_id, []).append(s)
        return index

    def to_doc(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "start_hour": self.start_hour,
            "end_hour": self.end_hour,
            "series": [asdict(s) for s in self.series],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TrafficSpec:
        return cls(
            seed=int(doc["seed"]),
            start_hour=int(doc["start_hour"]),
            end_hour=int(doc["end_hour"]),
            series=tuple(Series(**s) for s in doc["series"]),
        )


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()


@lru_cache(maxsize=65536)
def shape_of(seed: int, key: str) -> str:
    """steady / bursty / idle / throttled: a function of the seed and the series key only."""
    return SHAPES[_digest(seed, key, "shape")[0] % len(SHAPES)]


def _series_rng(seed: int, key: str, salt: str) -> random.Random:
    # Seeded from a hash, not Python's hash(): stable across processes and PYTHONHASHSEED.
    return random.Random(int.from_bytes(_digest(seed, key, salt)[:8], "big"))  # noqa: S311 - synthetic data


@dataclass(frozen=True)
class _Profile:
    shape: str
    level: float  # tokens per hour at the daily peak
    prompt_share: float
    tokens_per_request: int


@lru_cache(maxsize=65536)
def _profile(seed: int, key: str, shape: str) -> _Profile:
    rng = _series_rng(seed, key, "profile")
    level = {"steady": 120_000, "bursty": 60_000, "idle": 20_000, "throttled": 900_000}[shape]
    return _Profile(
        shape=shape,
        level=level * rng.uniform(0.5, 1.5),
        prompt_share=rng.uniform(0.55, 0.8),
        tokens_per_request=rng.randrange(600, 2000),
    )


@lru_cache(maxsize=65536)
def day_usage(seed: int, key: str, shape: str, day: int) -> tuple[HourUsage, ...]:
    """The 24 hours of one series on one day (epoch day); cached, as queries revisit days."""
    profile = _profile(seed, key, shape)
    rng = _series_rng(seed, key, f"day{day}")
    active_day = shape != "idle" or rng.random() < 0.07
    hours = []
    uniform = rng.random  # one draw per decision: random() is several times cheaper than randrange()
    for hour_of_day in range(24):
        load = profile.level * _DIURNAL[hour_of_day]
        throttle_rate = 0.0
        if not active_day:
            load = 0.0
        elif shape == "steady":
            load *= 0.9 + 0.2 * uniform()
        elif shape == "bursty":
            burst = uniform() < 0.12
            load *= (3.0 + 5.0 * uniform()) if burst else (0.2 + 0.4 * uniform())
            throttle_rate = 0.02 if burst else 0.0
        elif shape == "idle":
            load *= 0.05 + 0.25 * uniform()
        else:  # throttled
            load *= 0.9 + 0.3 * uniform()
            throttle_rate = 0.05 + 0.15 * uniform()
        tokens = int(load)
        prompt = int(tokens * profile.prompt_share)
        requests = -(-tokens // profile.tokens_per_request)
        spike = 15 + int(25 * uniform()) if shape in ("bursty", "throttled") else (50 if shape == "idle" else 3)
        hours.append(
            HourUsage(
                prompt,
                tokens - prompt,
                requests,
                int(requests * throttle_rate),
                int(MINUTES_PER_HOUR * uniform()),
                spike,
            )
        )
    return tuple(hours)


@lru_cache(maxsize=65536)
def running_sums(seed: int, key: str, start_hour: int, end_hour: int) -> tuple[tuple[int, int, int, int], ...]:
    """Running sums (prompt, completion, requests, throttled) over a series' hours: entry i sums the first
    i hours from ``start_hour``. Any run of whole hours is then two lookups, so a month of 10,000 series
    in daily buckets costs O(buckets), not O(hours), per query. Values depend on (seed, key, hour) only."""
    shape = shape_of(seed, key)
    sums = [(0, 0, 0, 0)]
    p = c = r = t = 0
    for hour in range(start_hour, end_hour):
        u = day_usage(seed, key, shape, hour // 24)[hour % 24]
        p, c, r, t = p + u.prompt, c + u.completion, r + u.requests, t + u.throttled
        sums.append((p, c, r, t))
    return tuple(sums)


def summed_hours(spec: TrafficSpec, series: Series, start: float, end: float) -> HourUsage:
    """The sum of the whole hours of ``series`` in [start, end) (both on hour boundaries) as one HourUsage."""
    sums = running_sums(spec.seed, series.key, spec.start_hour, spec.end_hour)
    hours = len(sums) - 1

    def index(ts: float) -> int:
        return min(hours, max(0, int(ts // HOUR) - spec.start_hour))

    lo, hi = sums[index(start)], sums[index(end)]
    return HourUsage(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], hi[3] - lo[3], 0, 100)


def split_minute(total: int, spike_minute: int, spike_percent: int, minute: int) -> int:
    """The share of an hour's ``total`` that falls in ``minute`` (0-59); the 60 shares sum to ``total``."""
    spike = total * spike_percent // 100
    if minute == spike_minute:
        return spike
    base, extra = divmod(total - spike, MINUTES_PER_HOUR - 1)
    slot = minute if minute < spike_minute else minute - 1  # position among the 59 other minutes
    return base + (1 if slot < extra else 0)


def minute_usage(hour: HourUsage, minute: int) -> HourUsage:
    """One minute of an hour, as an HourUsage of the minute's values."""

    def part(total: int) -> int:
        return split_minute(total, hour.spike_minute, hour.spike_percent, minute)

    return HourUsage(
        prompt=part(hour.prompt),
        completion=part(hour.completion),
        requests=part(hour.requests),
        throttled=part(hour.throttled),
        spike_minute=0,
        spike_percent=100,
    )


def peak_minute_tokens(hour: HourUsage) -> int:
    """max over the hour's minutes of prompt + completion tokens, in O(1).

    Off the spike minute both splits put their +1 remainders on the earliest slots, so the first
    non-spike minute carries the largest non-spike value."""
    pct = hour.spike_percent
    spike_p, spike_c = hour.prompt * pct // 100, hour.completion * pct // 100
    base_p, extra_p = divmod(hour.prompt - spike_p, MINUTES_PER_HOUR - 1)
    base_c, extra_c = divmod(hour.completion - spike_c, MINUTES_PER_HOUR - 1)
    first_other = base_p + (extra_p > 0) + base_c + (extra_c > 0)
    return max(spike_p + spike_c, first_other)


# ---------------------------------------------------------------- the spec: which series exist


def gateway_workspace_id(subscription_id: str) -> str:
    """The emulated Log Analytics workspace behind the gateway's Application Insights (one per cloud)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tenantctl-emulator/gateway-workspace/{subscription_id.lower()}"))


def build_spec(
    *, seed: int, days: int, end_hour: int, deployments: list[dict[str, Any]], tenants: list[str]
) -> TrafficSpec:
    if days < 1 or days > MAX_DAYS:
        raise TrafficError(f"days: {days} is outside 1..{MAX_DAYS} (Azure Monitor keeps metrics 93 days)")
    series: list[Series] = []
    for dep in deployments:
        account_id = str(dep["account_id"]).lower()
        series.append(
            Series(
                kind="deployment",
                key=f"{account_id}/deployments/{dep['name']}".lower(),
                account_id=account_id,
                deployment=str(dep["name"]),
                model=str(dep.get("model", "")),
                model_version=str(dep.get("version", "")),
                location=str(dep.get("location", "")),
            )
        )
    seen: set[str] = set()
    for tenant in tenants:
        if not tenant or tenant in seen:
            raise TrafficError(f"tenants: {tenant!r} is empty or listed twice")
        seen.add(tenant)
        series.append(Series(kind="tenant", key=tenant, tenant=tenant))
    return TrafficSpec(seed=seed, start_hour=end_hour - days * 24, end_hour=end_hour, series=tuple(series))


def hours_in(spec: TrafficSpec, start: float, end: float) -> range:
    """Epoch hours of generated traffic whose start lies in [start, end)."""
    first = max(spec.start_hour, math.ceil(start / HOUR))
    last = min(spec.end_hour, math.ceil(end / HOUR))
    return range(first, max(first, last))


def iter_hours(spec: TrafficSpec, series: Series, start: float, end: float) -> Iterator[tuple[int, HourUsage]]:
    hours = hours_in(spec, start, end)
    shape = shape_of(spec.seed, series.key)
    day = -1
    day_hours: tuple[HourUsage, ...] = ()
    for hour in hours:  # one cache lookup per day, not per hour
        if hour // 24 != day:
            day = hour // 24
            day_hours = day_usage(spec.seed, series.key, shape, day)
        yield hour, day_hours[hour % 24]


def _in_window(spec: TrafficSpec, series: Series, start: float, end: float) -> Iterator[HourUsage]:
    """Whole hours inside [start, end), and the minutes inside it of the hours it cuts."""
    for hour, usage in iter_hours(spec, series, start - HOUR + 1, end):
        begin = hour * HOUR
        if begin >= start and begin + HOUR <= end:
            yield usage
            continue
        for minute in range(MINUTES_PER_HOUR):
            if start <= begin + minute * 60 < end:
                yield minute_usage(usage, minute)


def ground_truth(spec: TrafficSpec, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
    """Exact totals per series over [start, end) (to the minute; the whole window by default)."""
    lo = spec.start_hour * HOUR if start is None else start
    hi = spec.end_hour * HOUR if end is None else end
    out = []
    for series in spec.series:
        prompt = completion = requests = throttled = peak = 0
        for usage in _in_window(spec, series, lo, hi):
            if not usage.prompt and not usage.requests:
                continue
            prompt += usage.prompt
            completion += usage.completion
            requests += usage.requests
            throttled += usage.throttled
            peak = max(peak, peak_minute_tokens(usage))
        row: dict[str, Any] = {
            "kind": series.kind,
            "shape": shape_of(spec.seed, series.key),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "requests": requests,
            "throttled_requests": throttled,
            "peak_tokens_per_minute": peak,
        }
        if series.kind == "deployment":
            row.update(account_id=series.account_id, deployment=series.deployment)
        else:
            row.update(tenant=series.tenant)
        out.append(row)
    return out
