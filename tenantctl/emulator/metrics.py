"""Azure Monitor platform metrics of Microsoft.CognitiveServices/accounts, fed by :mod:`.traffic`.

Three operations (sources in README.md, "Usage metrics"):

* ``GET {accountId}/providers/Microsoft.Insights/metrics`` (timespan, interval, metricnames,
  aggregation, $filter, top), the resource-centric API ``az monitor metrics list`` uses;
* ``GET {accountId}/providers/Microsoft.Insights/metricDefinitions``;
* ``POST /subscriptions/{sub}/metrics:getBatch`` (starttime, endtime, ...; body ``{"resourceids"}``),
  the API of ``azure-monitor-querymetrics``' ``MetricsClient.query_resources``: up to 50 resources of
  one subscription, one region and one resource type per call.

Errors use the ``{"error": {"code", "message"}}`` envelope with Azure's ``BadRequest`` texts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from starlette.responses import Response

from tenantctl.emulator import traffic
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, json_response, now
from tenantctl.emulator.deleted import NS
from tenantctl.emulator.world import World

NAMESPACE = f"{NS}/accounts"
RETENTION_DAYS = 93
BATCH_MAX_RESOURCES = 50
DEFAULT_TOP = 10  # Azure's default number of dimension series when a $filter is given
_INTERVALS = {
    "PT1M": 60,
    "PT5M": 300,
    "PT15M": 900,
    "PT30M": 1800,
    "PT1H": 3600,
    "PT6H": 21600,
    "PT12H": 43200,
    "P1D": 86400,
}
_TOKEN_DIMENSIONS = ("ModelDeploymentName", "ModelName", "ModelVersion", "Region")


@dataclass(frozen=True)
class MetricDef:
    name: str
    display: str
    description: str
    dimensions: tuple[str, ...]
    value: Callable[[traffic.HourUsage], int]


def _requests_value(u: traffic.HourUsage) -> int:
    return u.requests + u.throttled


METRICS = {
    m.name.lower(): m
    for m in (
        MetricDef(
            "ProcessedPromptTokens",
            "Processed Prompt Tokens",
            "Number of prompt tokens processed (input) on an OpenAI model.",
            _TOKEN_DIMENSIONS,
            lambda u: u.prompt,
        ),
        MetricDef(
            "GeneratedTokens",
            "Generated Completion Tokens",
            "Number of tokens generated (output) from an OpenAI model.",
            _TOKEN_DIMENSIONS,
            lambda u: u.completion,
        ),
        MetricDef(
            "ProcessedInferenceTokens",
            "Processed Inference Tokens",
            "Number of inference tokens processed on an OpenAI model (prompt + completion).",
            _TOKEN_DIMENSIONS,
            lambda u: u.tokens,
        ),
        MetricDef(
            "AzureOpenAIRequests",
            "Azure OpenAI Requests",
            "Number of calls made to the Azure OpenAI API over a period of time.",
            (*_TOKEN_DIMENSIONS, "StatusCode"),
            _requests_value,
        ),
    )
}


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", message)


def _parse_time(text: str, what: str) -> float:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"Detected invalid time interval input: {text}, supported Iso 8601 time interval format: "
                   "(Datetime/Datetime, Datetime/Duration, Duration/Datetime, Duration)") from None  # fmt: skip
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


@lru_cache(maxsize=4096)
def _z(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Query:
    start: float
    end: float
    interval: int  # seconds; 0 = FULL (one bucket)
    interval_text: str
    metrics: tuple[MetricDef, ...]
    aggregations: tuple[str, ...]
    split: dict[str, set[str] | None]  # dimension (canonical) -> wanted values, None = '*'
    top: int | None


def _window(start: float, end: float) -> tuple[float, float]:
    if end <= start:
        raise _bad(f"Query startTime: {_z(start)} must be earlier than endTime: {_z(end)}")
    oldest = now() - RETENTION_DAYS * 86400
    if start < oldest:
        raise _bad(f"Query startTime: {_z(start)} is out of the Max metrics retention period: 93.00:00:00")
    return start, end


def _metrics(names: str) -> tuple[MetricDef, ...]:
    wanted = [n for n in names.split(",") if n.strip()] or ["AzureOpenAIRequests"]
    out = []
    for name in wanted:
        found = METRICS.get(name.strip().lower())
        if found is None:
            valid = ", ".join(m.name for m in METRICS.values())
            raise _bad(
                f"Failed to find metric configuration for provider: {NS}, resource Type: accounts, "
                f"metric: {name.strip()}, Valid metrics: {valid}"
            )
        out.append(found)
    return tuple(out)


_CLAUSE = re.compile(r"^\s*([A-Za-z][\w ]*?)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def parse_filter(text: str, metrics: tuple[MetricDef, ...]) -> dict[str, set[str] | None]:
    """``A eq 'a1' and B eq 'b1' or B eq 'b2' and C eq '*'``: 'or' only between values of one dimension."""
    split: dict[str, set[str] | None] = {}
    if not text.strip():
        return split
    known = {d.lower(): d for m in metrics for d in m.dimensions}
    for group in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        names: set[str] = set()
        values: set[str] = set()
        for clause in re.split(r"\s+or\s+", group, flags=re.IGNORECASE):
            m = _CLAUSE.match(clause.strip("() "))
            if m is None:
                raise _bad(f"Invalid $filter: '{text}'. Expected conditions of the form \"Name eq 'value'\".")
            names.add(m.group(1).strip().lower())
            values.add(m.group(2))
        if len(names) != 1:
            raise _bad(f"Invalid $filter: '{text}'. The 'or' operator cannot separate two different metadata names.")
        name = names.pop()
        for metric in metrics:
            if name not in {d.lower() for d in metric.dimensions}:
                raise _bad(
                    f"Metric: {metric.name} does not support requested dimension combination: "
                    f"{known.get(name, name)}, supported ones are: {','.join(metric.dimensions)}"
                )
        split[known[name]] = None if "*" in values else values
    return split


def parse_query(params: dict[str, str], start: float, end: float) -> Query:
    interval_text = params.get("interval", "PT1M").upper()
    if interval_text == "FULL":
        interval = 0
    elif interval_text in _INTERVALS:
        interval = _INTERVALS[interval_text]
    else:
        raise _bad(f"Invalid interval '{interval_text}'. Supported time grains: {', '.join(_INTERVALS)}, FULL.")
    metrics = _metrics(params.get("metricnames", ""))
    aggregations = tuple(a.strip().lower() for a in params.get("aggregation", "Total").split(",") if a.strip())
    for agg in aggregations:
        if agg not in ("total", "count", "average"):
            raise _bad(f"The emulator does not model aggregation '{agg}' (only Total, Count, Average).")
    if params.get("rollupby"):
        raise _bad("The emulator does not model rollupby.")
    split = parse_filter(params.get("$filter", params.get("filter", "")), metrics)
    top = params.get("top")
    start, end = _window(start, end)
    return Query(
        start=start,
        end=end,
        interval=interval,
        interval_text=interval_text,
        metrics=metrics,
        aggregations=aggregations,
        split=split,
        top=(int(top) if top else DEFAULT_TOP) if split else None,
    )


def _dimension_values(series: traffic.Series, metric: MetricDef) -> list[tuple[dict[str, str], Callable[..., int]]]:
    """(dimension values, value function) pairs of one deployment: requests split 200 / 429."""
    base = {
        "ModelDeploymentName": series.deployment,
        "ModelName": series.model,
        "ModelVersion": series.model_version,
        "Region": series.location,
    }
    if metric.name != "AzureOpenAIRequests":
        return [(base, metric.value)]
    return [
        ({**base, "StatusCode": "200"}, lambda u: u.requests),
        ({**base, "StatusCode": "429"}, lambda u: u.throttled),
    ]


def _whole_hour_buckets(  # noqa: PLR0917 - the caller's locals, one call site
    spec: traffic.TrafficSpec, series: traffic.Series, q: Query, fn: Callable[..., int], width: int, count: int
) -> list[int]:
    """Buckets of whole hours from the series' running sums: O(buckets), not O(hours). Every metric
    value is a sum of the hour's fields, so ``fn`` of the summed fields is the bucket's value."""
    return [
        fn(part) for part in _bucket_parts(spec.seed, series.key, spec.start_hour, spec.end_hour, q.start, q.end, width)
    ]


@lru_cache(maxsize=8192)
def _bucket_parts(  # noqa: PLR0917 - a cache key
    seed: int, key: str, start_hour: int, end_hour: int, start: float, end: float, width: int
) -> tuple[traffic.HourUsage, ...]:
    # The tokens and requests requests of one batch ask for the same buckets of a series 4 times.
    sums = traffic.running_sums(seed, key, start_hour, end_hour)
    hours = len(sums) - 1
    out = []
    begin = start
    while begin < end:
        lo = sums[min(hours, max(0, int(begin // traffic.HOUR) - start_hour))]
        hi = sums[min(hours, max(0, int(min(begin + width, end) // traffic.HOUR) - start_hour))]
        out.append(traffic.HourUsage(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], hi[3] - lo[3], 0, 100))
        begin += width
    return tuple(out)


def _buckets(spec: traffic.TrafficSpec, series: traffic.Series, q: Query, fn: Callable[..., int]) -> list[int]:
    span = int(q.end - q.start)
    width = q.interval or span
    count = max(1, -(-span // width))
    if width % traffic.HOUR == 0 and q.start % traffic.HOUR == 0 and q.end % traffic.HOUR == 0:
        return _whole_hour_buckets(spec, series, q, fn, width, count)
    out = [0] * count
    for hour, usage in _hours_touching(spec, series, q.start, q.end):
        begin = hour * traffic.HOUR
        if width >= traffic.HOUR and begin >= q.start and begin + traffic.HOUR <= q.end:
            out[int((begin - q.start) // width)] += fn(usage)
            continue
        for minute in range(traffic.MINUTES_PER_HOUR):
            ts = begin + minute * 60
            if q.start <= ts < q.end:
                out[int((ts - q.start) // width)] += fn(traffic.minute_usage(usage, minute))
    return out


def _hours_touching(
    spec: traffic.TrafficSpec, series: traffic.Series, start: float, end: float
) -> list[tuple[int, traffic.HourUsage]]:
    return list(traffic.iter_hours(spec, series, start - traffic.HOUR + 1, end))


def _point(ts: float, total: int, count: int, aggregations: tuple[str, ...]) -> Doc:
    point: Doc = {"timeStamp": _z(ts)}
    for agg in aggregations:
        if agg == "total":
            point["total"] = float(total)
        elif agg == "count":
            point["count"] = float(count)
        elif count:
            point["average"] = total / count
    return point


def _metric_doc(world: World, resource_id: str, metric: MetricDef, q: Query) -> Doc:
    spec, series = account_series(world, resource_id)
    grouped: dict[tuple[tuple[str, str], ...], list[int]] = {}
    counts: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for s in series:
        assert spec is not None
        for dims, fn in _dimension_values(s, metric):
            if any(want is not None and dims[d] not in want for d, want in q.split.items()):
                continue
            key = tuple((d, dims[d]) for d in q.split)
            values = _buckets(spec, s, q, fn)
            # Count (and Average's divisor) = calls per interval; skipped when only Total is asked for.
            calls = (
                _buckets(spec, s, q, fn if metric.name == "AzureOpenAIRequests" else _successes)
                if set(q.aggregations) - {"total"}
                else values
            )
            acc = grouped.setdefault(key, [0] * len(values))
            acc_counts = counts.setdefault(key, [0] * len(values))
            for i, v in enumerate(values):
                acc[i] += v
                acc_counts[i] += calls[i]
    if not q.split and not grouped:
        grouped[()] = [0] * len(_buckets_shape(q))
        counts[()] = list(grouped[()])
    width = q.interval or int(q.end - q.start)
    ordered = sorted(grouped, key=lambda k: (-sum(grouped[k]), k))
    if q.top is not None:
        ordered = ordered[: q.top]
    timeseries = [
        {
            "metadatavalues": [{"name": {"value": d.lower(), "localizedValue": d}, "value": v} for d, v in key],
            "data": [
                _point(q.start + i * width, total, counts[key][i], q.aggregations)
                for i, total in enumerate(grouped[key])
            ],
        }
        for key in ordered
    ]
    return {
        "id": f"{resource_id}/providers/Microsoft.Insights/metrics/{metric.name}",
        "type": "Microsoft.Insights/metrics",
        "name": {"value": metric.name, "localizedValue": metric.display},
        "displayDescription": metric.description,
        "unit": "Count",
        "timeseries": timeseries,
        "errorCode": "Success",
    }


def _successes(u: traffic.HourUsage) -> int:
    return u.requests


def _buckets_shape(q: Query) -> list[int]:
    span = int(q.end - q.start)
    return [0] * max(1, -(-span // (q.interval or span)))


def load_spec(world: World) -> traffic.TrafficSpec | None:
    """The stored traffic spec, parsed once per generation (the document carries a version)."""
    marker = world.store.get("traffic", "version")
    cached = world.traffic_cache
    if marker is not None and cached is not None and cached[0] == str(marker.get("version")):
        current: traffic.TrafficSpec = cached[1]
        return current  # without reading the spec: every metrics request of every resource asks
    doc = world.store.get("traffic", "spec")
    if doc is None:
        return None
    cached = world.traffic_cache
    if cached is not None and cached[0] == str(doc.get("version")):
        known: traffic.TrafficSpec = cached[1]
        return known
    spec = traffic.TrafficSpec.from_doc(doc)
    world.traffic_cache = (str(doc.get("version")), spec)
    return spec


def account_series(world: World, resource_id: str) -> tuple[traffic.TrafficSpec | None, list[traffic.Series]]:
    spec = load_spec(world)
    if spec is None:
        return None, []
    return spec, spec.by_account.get(resource_id.lower(), [])


def _resource_region(world: World, resource_id: str) -> str:
    doc = world.store.get("account", resource_id)
    return str(doc["location"]) if doc else ""


def _check_namespace(ctx: Ctx) -> None:
    ns = ctx.query.get("metricnamespace")
    if ns and ns.lower() != NAMESPACE.lower():
        raise _bad(f"Metric namespace '{ns}' is not valid for resource type '{NAMESPACE}'.")


def _account_resource_id(ctx: Ctx) -> str:
    p = ctx.params
    rid = (
        f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}/providers/{NS}/"
        f"accounts/{p['accountName']}"
    )
    if ctx.world.store.get("account", rid) is None:
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{NS}/accounts/{p['accountName']}' under resource group "
            f"'{p['resourceGroupName']}' was not found. For more details please go to "
            "https://aka.ms/ARMResourceNotFoundFix",
        )
    return rid


def list_metrics(ctx: Ctx) -> Response:
    rid = _account_resource_id(ctx)
    _check_namespace(ctx)
    timespan = ctx.query.get("timespan", "")
    if timespan:
        first, _, second = timespan.partition("/")
        start, end = _parse_time(first, "timespan"), _parse_time(second, "timespan")
    else:
        end = now()
        start = end - 3600
    q = parse_query(ctx.query, start, end)
    return json_response(
        {
            "cost": 0,
            "timespan": f"{_z(q.start)}/{_z(q.end)}",
            "interval": q.interval_text,
            "value": [_metric_doc(ctx.world, rid, m, q) for m in q.metrics],
            "namespace": NAMESPACE,
            "resourceregion": _resource_region(ctx.world, rid),
        }
    )


def list_definitions(ctx: Ctx) -> Response:
    rid = _account_resource_id(ctx)
    return json_response(
        {
            "value": [
                {
                    "id": f"{rid}/providers/microsoft.insights/metricdefinitions/{m.name}",
                    "resourceId": rid,
                    "namespace": NAMESPACE,
                    "name": {"value": m.name, "localizedValue": m.display},
                    "displayDescription": m.description,
                    "isDimensionRequired": False,
                    "unit": "Count",
                    "primaryAggregationType": "Total",
                    "supportedAggregationTypes": ["Total", "Count", "Average"],
                    "metricAvailabilities": [{"timeGrain": grain, "retention": "P93D"} for grain in _INTERVALS],
                    "dimensions": [{"value": d, "localizedValue": d} for d in m.dimensions],
                    "category": "Azure OpenAI - Usage",
                }
                for m in METRICS.values()
            ]
        }
    )


def get_batch(ctx: Ctx) -> Response:
    sub = ctx.params["subscriptionId"].lower()
    ns = ctx.query.get("metricnamespace", "")
    if not ns:
        raise _bad("Required parameter 'metricnamespace' is missing.")
    _check_namespace(ctx)
    ids = ctx.json_body().get("resourceids")
    if not isinstance(ids, list) or not ids:
        raise _bad("The request body must contain a non-empty 'resourceids' list.")
    if len(ids) > BATCH_MAX_RESOURCES:
        raise _bad(f"The number of resource ids in a batch ({len(ids)}) exceeds the limit of {BATCH_MAX_RESOURCES}.")
    regions = set()
    for rid in ids:
        rid_l = str(rid).lower()
        if not rid_l.startswith(f"/subscriptions/{sub}/"):
            raise _bad(f"Resource '{rid}' is not in subscription '{sub}': a batch is for one subscription.")
        if f"/providers/{NAMESPACE.lower()}/" not in rid_l + "/":
            raise _bad(f"Resource '{rid}' is not of type '{NAMESPACE}': a batch is for one resource type.")
        regions.add(_resource_region(ctx.world, rid_l))
    if len(regions - {""}) > 1:
        raise _bad(f"All resources of a batch must be in one region; got {sorted(regions - {''})}.")
    if "starttime" in ctx.query and "endtime" in ctx.query:
        start = _parse_time(ctx.query["starttime"], "starttime")
        end = _parse_time(ctx.query["endtime"], "endtime")
    else:
        end = now()
        start = end - 3600
    q = parse_query(ctx.query, start, end)
    return json_response(
        {
            "values": [
                {
                    "starttime": _z(q.start),
                    "endtime": _z(q.end),
                    "interval": q.interval_text,
                    "namespace": NAMESPACE,
                    "resourceregion": _resource_region(ctx.world, str(rid).lower()),
                    "resourceid": rid,
                    "value": [_metric_doc(ctx.world, str(rid), m, q) for m in q.metrics],
                }
                for rid in ids
            ]
        }
    )


def register(router: Router) -> None:
    account = (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.CognitiveServices/accounts/{accountName}/providers/Microsoft.Insights"
    )
    router.add("GET", f"{account}/metrics", list_metrics, "metrics.list")
    router.add("GET", f"{account}/metricDefinitions", list_definitions, "metric_definitions.list")
    router.add("POST", "/subscriptions/{subscriptionId}/metrics:getBatch", get_batch, "metrics.get_batch")
