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
    for location, members in chunks(accounts):
        client = metrics_client(location)
        ids = [a.ref.id for a in members]
        common: dict[str, Any] = {
            "resource_ids": ids,
            "metric_namespace": NAMESPACE,
            "timespan": (_utc(start), _utc(end)),
            "granularity": granularity,
            "aggregations": ["Total"],
            "max_results": _TOP,
        }

        def tokens(client: Any = client, common: dict[str, Any] = common) -> Any:
            return client.query_resources(
                metric_names=list(TOKEN_METRICS), filter="ModelDeploymentName eq '*'", **common
            )

        def requests(client: Any = client, common: dict[str, Any] = common) -> Any:
            return client.query_resources(
                metric_names=[REQUEST_METRIC], filter="ModelDeploymentName eq '*' and StatusCode eq '*'", **common
            )

        for result in [*run("query_account_usage", tokens), *run("query_account_usage", requests)]:
            for metric in result.metrics:
                # The SDK's result keeps no resource id; each metric's id is "{resource id}/providers/
                # Microsoft.Insights/metrics/{name}".
                resource_id = str(metric.id or "").lower().split("/providers/microsoft.insights/", 1)[0]
                resource_id = str(metric.id)[: len(resource_id)] if metric.id else ""
                account_id = by_key.get(resource_id.lower(), resource_id)
                for ts in metric.timeseries:
                    dims = {k.lower(): v for k, v in (ts.metadata_values or {}).items()}
                    deployment = str(dims.get("modeldeploymentname", ""))
                    field = _field(metric.name, str(dims.get("statuscode", "")))
                    for point in ts.data:
                        acc.add(account_id, deployment, point.timestamp, field, point.total)
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
