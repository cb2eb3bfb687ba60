"""Usage reads over ``azure-monitor-querymetrics`` (metrics:getBatch) and ``azure-monitor-query`` (Logs).

Request budget (see tenantctl/emulator/README.md, "Usage metrics", for the Azure sources):

* platform metrics: accounts are grouped by (subscription, region) — a batch must be one subscription,
  one region, one resource type — and chunked by 50 (the batch limit). Each chunk costs 2 requests:
  token metrics split by ModelDeploymentName, and AzureOpenAIRequests split by ModelDeploymentName and
  StatusCode (a $filter dimension every metric of the request must support, so they cannot share one).
* gateway metrics: one KQL query per call, aggregated server-side.

Nothing from the SDKs leaves this module: results are :class:`~tenantctl.resources.UsageSeries`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tenantctl.errors import TerminalError
from tenantctl.resources import Account, TenantPeak, UsagePoint, UsageSeries

T = TypeVar("T")
BATCH_MAX_RESOURCES = 50
NAMESPACE = "Microsoft.CognitiveServices/accounts"
TOKEN_METRICS = ("ProcessedPromptTokens", "GeneratedTokens")
REQUEST_METRIC = "AzureOpenAIRequests"
# Azure returns only `top` dimension series when a $filter is given (default 10): ask for all.
# 32 deployments per account is Azure's limit; two status codes is the common case, allow many more.
_TOP = 5000
_PARALLEL_BATCHES = 4  # batches in flight at once (the metrics API is regional and rate-limited per caller)
_GATEWAY_BINS = {dt.timedelta(hours=1): "1h", dt.timedelta(days=1): "1d"}

Runner = Callable[[str, Callable[[], Any]], Any]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def chunks(accounts: Sequence[Account]) -> list[tuple[str, list[Account]]]:
    """(location, ≤50 accounts of one subscription and region) in a stable order."""
    groups: dict[tuple[str, str], list[Account]] = defaultdict(list)
    for account in accounts:
        groups[(account.ref.subscription_id.lower(), account.location.lower())].append(account)
    out = []
    for (_, location), members in sorted(groups.items()):
        members.sort(key=lambda a: a.ref.key)
        for i in range(0, len(members), BATCH_MAX_RESOURCES):
            out.append((location, members[i : i + BATCH_MAX_RESOURCES]))
    return out


class _Accumulator:
    """Sums metric values into UsagePoints keyed by (account id, deployment, interval start)."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], dict[dt.datetime, dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )

    def add(self, account_id: str, deployment: str, at: dt.datetime, field: str, value: float | None) -> None:
        if value:
            self.values[(account_id, deployment)][_utc(at)][field] += round(value)

    def series(self, source: str, granularity: dt.timedelta) -> list[UsageSeries]:
        out = []
        for (scope, key), by_time in sorted(self.values.items()):
            points = tuple(UsagePoint(start=at, **fields) for at, fields in sorted(by_time.items()))
            out.append(UsageSeries(source=source, scope=scope, key=key, granularity=granularity, points=points))
        return out


API_VERSION = "2024-02-01"  # metrics:getBatch, as azure-monitor-querymetrics sends it


def _get_batch(
    client: Any, ids: Sequence[str], names: Sequence[str], filter_: str, window: tuple[str, str, str]
) -> list[dict[str, Any]]:
    """One ``metrics:getBatch`` through the SDK client's pipeline (sign-in, transport), parsed as JSON.

    ``MetricsClient.query_resources`` sends the same request but turns every data point into SDK model
    objects: ~0.1 ms a point, 20 s for a month of 1,000 tenants, where the JSON itself parses in
    milliseconds. ``send_request`` is the SDK's documented way to send a request through its pipeline.
    """
    from azure.core.exceptions import HttpResponseError, ODataV4Format
    from azure.core.rest import HttpRequest

    start, end, interval = window
    params = {
        "api-version": API_VERSION,
        "starttime": start,
        "endtime": end,
        "interval": interval,
        "metricnamespace": NAMESPACE,
        "metricnames": ",".join(n.replace(",", "%2") for n in names),
        "aggregation": "total",
        "top": str(_TOP),
        "filter": filter_,
    }
    subscription = ids[0].split("/")[2]
    request = HttpRequest(
        "POST", f"/subscriptions/{subscription}/metrics:getBatch", params=params, json={"resourceids": list(ids)}
    )
    response = client.send_request(request)
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ODataV4Format)
    doc = response.json()
    values: list[dict[str, Any]] = (json.loads(doc) if isinstance(doc, str) else doc).get("values", [])
    return values


def _iso_duration(grain: dt.timedelta) -> str:
    """Azure Monitor's time grains as ISO 8601 durations: PT1M … PT30M, PT1H … PT12H, P1D."""
    minutes = int(grain.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"P{minutes // 1440}D"
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def _timestamp(text: str) -> dt.datetime:
    return _utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def query_account_usage(
    metrics_client: Callable[[str], Any],
    run: Runner,
    *,
    accounts: Sequence[Account],
    start: dt.datetime,
    end: dt.datetime,
    granularity: dt.timedelta,
) -> list[UsageSeries]:
    acc = _Accumulator()
    by_key = {a.ref.key: a.ref.id for a in accounts}
    stamps: dict[str, dt.datetime] = {}
    window = (
        f"{_utc(start):%Y-%m-%dT%H:%M:%S.%fZ}",
        f"{_utc(end):%Y-%m-%dT%H:%M:%S.%fZ}",
        _iso_duration(granularity),
    )

    def batch(client: Any, ids: list[str]) -> list[dict[str, Any]]:
        tokens = run(
            "query_account_usage",
            lambda: _get_batch(client, ids, TOKEN_METRICS, "ModelDeploymentName eq '*'", window),
        )
        requests = run(
            "query_account_usage",
            lambda: _get_batch(
                client, ids, (REQUEST_METRIC,), "ModelDeploymentName eq '*' and StatusCode eq '*'", window
            ),
        )
        return [*tokens, *requests]

    # Clients first (one per region, cached by the factory), then the batches a few at a time: each
    # waits on the network and Azure Monitor, not on this process.
    work = [(metrics_client(location), [a.ref.id for a in members]) for location, members in chunks(accounts)]
    with ThreadPoolExecutor(max_workers=_PARALLEL_BATCHES) as pool:
        results = list(pool.map(lambda item: batch(*item), work))
    for chunk_results in results:
        for result in chunk_results:
            for metric in result.get("value", []):
                # Each metric's id is "{resource id}/providers/Microsoft.Insights/metrics/{name}".
                metric_id = str(metric.get("id") or "")
                resource_id = metric_id[: len(metric_id.lower().split("/providers/microsoft.insights/", 1)[0])]
                account_id = by_key.get(resource_id.lower(), resource_id)
                name = str((metric.get("name") or {}).get("value", ""))
                for ts in metric.get("timeseries", []):
                    dims = {
                        str(d["name"]["value"]).lower(): str(d.get("value", "")) for d in ts.get("metadatavalues", [])
                    }
                    deployment = dims.get("modeldeploymentname", "")
                    field = _field(name, dims.get("statuscode", ""))
                    for point in ts.get("data", []):
                        text = point["timeStamp"]
                        at = stamps.get(text) or stamps.setdefault(text, _timestamp(text))  # ~30 distinct
                        acc.add(account_id, deployment, at, field, point.get("total"))
    return acc.series("account", granularity)


def _field(metric: str, status: str) -> str:
    if metric == "ProcessedPromptTokens":
        return "prompt_tokens"
    if metric == "GeneratedTokens":
        return "completion_tokens"
    return "throttled_requests" if status == "429" else "requests"


def _kql_string(value: str) -> str:
    # json.dumps gives a double-quoted literal with \" and \\ escaped, which KQL reads the same way.
    return json.dumps(value)


def gateway_prefix(
    start: dt.datetime, end: dt.datetime, names: Sequence[str], dimension: str, tenants: Sequence[str] | None
) -> list[str]:
    names_clause = (
        f"where Name == {_kql_string(names[0])}"
        if len(names) == 1
        else f"where Name in ({', '.join(_kql_string(n) for n in names)})"
    )
    stages = [
        "AppMetrics",
        f"where TimeGenerated >= datetime({_utc(start):%Y-%m-%dT%H:%M:%SZ}) "
        f"and TimeGenerated < datetime({_utc(end):%Y-%m-%dT%H:%M:%SZ})",
        names_clause,
        f"extend Tenant = tostring(Properties[{_kql_string(dimension)}])",
    ]
    if tenants is not None:
        stages.append(f"where Tenant in ({', '.join(_kql_string(t) for t in tenants)})")
    return stages


def gateway_usage_query(
    start: dt.datetime,
    end: dt.datetime,
    granularity: dt.timedelta,
    dimension: str,
    tenants: Sequence[str] | None,
) -> str:
    bin_text = _GATEWAY_BINS.get(granularity)
    if bin_text is None:
        raise ValueError(f"granularity {granularity} is not one of the gateway's bins (1 hour, 1 day)")
    stages = gateway_prefix(start, end, ("Prompt Tokens", "Completion Tokens"), dimension, tenants)
    stages.append(
        "summarize Tokens = sum(Sum), Requests = sum(ItemCount) by Tenant, Name, "
        f"TimeGenerated = bin(TimeGenerated, {bin_text})"
    )
    return "\n| ".join(stages)


def gateway_peak_query(start: dt.datetime, end: dt.datetime, dimension: str, tenants: Sequence[str] | None) -> str:
    stages = gateway_prefix(start, end, ("Total Tokens",), dimension, tenants)
    stages.append("summarize Tokens = sum(Sum) by Tenant, TimeGenerated = bin(TimeGenerated, 1m)")
    stages.append("summarize PeakTokensPerMinute = max(Tokens) by Tenant")
    return "\n| ".join(stages)


class _Row:
    """A result row, read by column name or position (as the SDK's LogsTableRow is)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: list[Any]) -> None:
        self._index, self._values = index, values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._index[key]]


class _Table:
    def __init__(self, doc: dict[str, Any]) -> None:
        index = {str(c["name"]): i for i, c in enumerate(doc.get("columns", []))}
        self.rows = [_Row(index, values) for values in doc.get("rows", [])]


class _LogsResult:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.tables = [_Table(t) for t in doc.get("tables", [])]
        self.partial_error = doc.get("error")  # a 200 with an error: Log Analytics' partial result


def run_kql(client: Any, workspace_id: str, query: str, start: dt.datetime, end: dt.datetime) -> _LogsResult:
    """One Log Analytics query through the SDK client's pipeline, parsed as JSON.

    ``LogsQueryClient.query_workspace`` builds an SDK object per cell (seconds for a month of 1,000
    tenants); ``send_request`` sends the same request through the same pipeline (sign-in, transport).
    """
    from azure.core.exceptions import HttpResponseError, ODataV4Format
    from azure.core.rest import HttpRequest

    timespan = f"{_utc(start):%Y-%m-%dT%H:%M:%SZ}/{_utc(end):%Y-%m-%dT%H:%M:%SZ}"
    request = HttpRequest("POST", f"/workspaces/{workspace_id}/query", json={"query": query, "timespan": timespan})
    response = client.send_request(request)
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ODataV4Format)
    return _LogsResult(response.json())


def _table(result: Any) -> Any:
    tables = getattr(result, "tables", None) or getattr(result, "partial_data", None) or []
    if getattr(result, "partial_error", None) is not None:
        # A partial answer would under-count usage silently: treat it as the failure it is.
        raise TerminalError(f"Log Analytics returned a partial result: {result.partial_error}", code="PartialResult")
    return tables[0] if tables else None


def gateway_series(result: Any, workspace_id: str, granularity: dt.timedelta) -> list[UsageSeries]:
    table = _table(result)
    values: dict[str, dict[dt.datetime, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for row in table.rows if table is not None else []:
        tenant, name, at = str(row["Tenant"]), str(row["Name"]), row["TimeGenerated"]
        if not isinstance(at, dt.datetime):
            at = dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        bucket = values[tenant][_utc(at)]
        if name == "Prompt Tokens":
            bucket["prompt_tokens"] += round(float(row["Tokens"]))
            # Each request emits every token metric once: count requests on one metric only.
            bucket["requests"] += int(row["Requests"])
        elif name == "Completion Tokens":
            bucket["completion_tokens"] += round(float(row["Tokens"]))
    return [
        UsageSeries(
            source="gateway",
            scope=workspace_id,
            key=tenant,
            granularity=granularity,
            points=tuple(UsagePoint(start=at, **fields) for at, fields in sorted(by_time.items())),
        )
        for tenant, by_time in sorted(values.items())
    ]


def gateway_peaks(result: Any, workspace_id: str) -> list[TenantPeak]:
    table = _table(result)
    return [
        TenantPeak(workspace_id=workspace_id, tenant=str(row["Tenant"]), tokens_per_minute=round(float(row[1])))
        for row in (table.rows if table is not None else [])
    ]
