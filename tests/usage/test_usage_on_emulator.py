"""The adapter's usage reads with the REAL azure-monitor clients against the emulator's Azure Monitor.

Totals must equal the generator's ground truth exactly; request counts prove the batching.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from tenantctl.cloud.azure.usage import BATCH_MAX_RESOURCES, chunks
from tenantctl.emulator import Emulator
from tenantctl.errors import TerminalError
from tenantctl.resources import Account, AccountRef
from tests.emulator.helpers import provider_credential
from tests.usage.conftest import DAYS, TENANTS, UsageWorld

HOUR = dt.timedelta(hours=1)
_FIELDS = ("prompt_tokens", "completion_tokens", "requests", "throttled_requests")


def _truth(world: UsageWorld, start: dt.datetime | None = None, end: dt.datetime | None = None) -> list[dict[str, Any]]:
    return world.emulator.traffic_truth(start.timestamp() if start else None, end.timestamp() if end else None)


def _deployment_truth(world: UsageWorld, **window: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    return {
        (r["account_id"], r["deployment"]): tuple(r[f] for f in _FIELDS)
        for r in _truth(world, **window)
        if r["kind"] == "deployment" and r["prompt_tokens"] + r["requests"] + r["throttled_requests"]
    }


def _credential(emulator: Emulator) -> Any:
    return provider_credential(emulator)


def _metrics_client(emulator: Emulator) -> Any:
    from azure.monitor.querymetrics import MetricsClient

    return MetricsClient(emulator.endpoint, _credential(emulator), connection_verify=str(emulator.ca_path),
                         retry_total=0)  # fmt: skip


@pytest.mark.parametrize("granularity", [HOUR, dt.timedelta(days=1)])
def test_account_usage_equals_ground_truth_in_two_requests_per_region(
    usage_world: UsageWorld, granularity: dt.timedelta
) -> None:
    world = usage_world
    world.emulator.reset_counts()
    series = world.cloud.query_account_usage(world.accounts, start=world.start, end=world.end, granularity=granularity)
    got = {(s.scope.lower(), s.key): tuple(getattr(s, f) for f in _FIELDS) for s in series}
    assert got == _deployment_truth(world)
    assert len(got) >= 3  # the seed gives several deployments traffic (a check that can fail)
    # swedencentral (3 accounts) and westeurope (1): one batch each, two requests per batch
    assert world.emulator.request_counts().get("metrics.get_batch") == 4
    assert all(s.granularity == granularity and s.source == "account" for s in series)


def test_a_window_cutting_hours_is_exact_to_the_minute(usage_world: UsageWorld) -> None:
    world = usage_world
    start, end = world.end - dt.timedelta(hours=5, minutes=17), world.end - dt.timedelta(minutes=43)
    series = world.cloud.query_account_usage(world.accounts, start=start, end=end, granularity=HOUR)
    got = {(s.scope.lower(), s.key): tuple(getattr(s, f) for f in _FIELDS) for s in series}
    assert got == _deployment_truth(world, start=start, end=end)
    gateway = world.cloud.query_gateway_usage(world.workspace_id, start=start, end=end, granularity=HOUR)
    truth = {r["tenant"]: r for r in _truth(world, start=start, end=end) if r["kind"] == "tenant" and r["requests"]}
    assert {s.key: (s.prompt_tokens, s.requests) for s in gateway} == {
        t: (r["prompt_tokens"], r["requests"]) for t, r in truth.items()
    }


def test_minute_grain_gives_the_exact_peak_tpm(usage_world: UsageWorld) -> None:
    world = usage_world
    start = world.end - dt.timedelta(hours=6)
    series = world.cloud.query_account_usage(
        world.accounts, start=start, end=world.end, granularity=dt.timedelta(minutes=1)
    )
    truth = {
        (r["account_id"], r["deployment"]): r["peak_tokens_per_minute"]
        for r in _truth(world, start=start, end=world.end)
        if r["kind"] == "deployment" and r["peak_tokens_per_minute"]
    }
    assert {(s.scope.lower(), s.key): s.peak_tokens_per_interval for s in series} == truth


def test_batches_hold_at_most_50_accounts_of_one_subscription_and_region() -> None:
    accounts = [
        Account(AccountRef(sub, "rg", f"a{i:03d}"), region, None)
        for i in range(120)
        for sub, region in [("s1", "swedencentral" if i % 3 else "westeurope")]
    ] + [Account(AccountRef("s2", "rg", "other"), "swedencentral", None)]
    batches = chunks(accounts)
    assert [len(b) for _, b in batches] == [50, 30, 40, 1]
    for location, members in batches:
        assert {(a.ref.subscription_id, a.location) for a in members} == {(members[0].ref.subscription_id, location)}
    assert sum(len(b) for _, b in batches) == len(accounts)


def test_gateway_usage_and_peaks_equal_ground_truth_in_one_query_each(usage_world: UsageWorld) -> None:
    world = usage_world
    world.emulator.reset_counts()
    series = world.cloud.query_gateway_usage(world.workspace_id, start=world.start, end=world.end, granularity=HOUR)
    peaks = world.cloud.query_gateway_peaks(world.workspace_id, start=world.start, end=world.end)
    assert world.emulator.request_counts().get("logs.query") == 2
    truth = {r["tenant"]: r for r in _truth(world) if r["kind"] == "tenant" and r["requests"]}
    assert {s.key: (s.prompt_tokens, s.completion_tokens, s.requests) for s in series} == {
        t: (r["prompt_tokens"], r["completion_tokens"], r["requests"]) for t, r in truth.items()
    }
    assert {p.tenant: p.tokens_per_minute for p in peaks} == {t: r["peak_tokens_per_minute"] for t, r in truth.items()}
    daily = world.cloud.query_gateway_usage(
        world.workspace_id, start=world.start, end=world.end, granularity=dt.timedelta(days=1), tenants=[TENANTS[0]]
    )
    assert [s.key for s in daily] == ([TENANTS[0]] if TENANTS[0] in truth else [])
    assert all(len(s.points) <= DAYS + 1 for s in daily)


def test_a_gateway_without_the_tenant_dimension_reads_as_one_unnamed_series(usage_world: UsageWorld) -> None:
    world = usage_world
    series = world.cloud.query_gateway_usage(
        world.workspace_id, start=world.start, end=world.end, granularity=HOUR, dimension="Subscription ID"
    )
    truth = [r for r in _truth(world) if r["kind"] == "tenant"]
    assert [s.key for s in series] == [""]
    assert series[0].prompt_tokens == sum(r["prompt_tokens"] for r in truth)


def test_a_window_beyond_the_93_day_retention_is_azures_bad_request(usage_world: UsageWorld) -> None:
    world = usage_world
    with pytest.raises(TerminalError) as caught:
        world.cloud.query_account_usage(
            world.accounts, start=world.end - dt.timedelta(days=94), end=world.end, granularity=HOUR
        )
    assert caught.value.code == "BadRequest"
    assert "93.00:00:00" in str(caught.value)


def test_unknown_metric_unsupported_dimension_and_oversized_batch_are_refused(usage_world: UsageWorld) -> None:
    world = usage_world
    client = _metrics_client(world.emulator)
    ids = [a.ref.id for a in world.accounts if a.location == "swedencentral"]
    common: dict[str, Any] = {"metric_namespace": "Microsoft.CognitiveServices/accounts",
                              "timespan": (world.start, world.end)}  # fmt: skip
    with pytest.raises(HttpResponseError, match="Failed to find metric configuration") as unknown:
        client.query_resources(resource_ids=ids, metric_names=["TokensPerBanana"], **common)
    assert unknown.value.status_code == 400
    with pytest.raises(HttpResponseError, match="does not support requested dimension"):
        client.query_resources(resource_ids=ids, metric_names=["GeneratedTokens"], filter="StatusCode eq '*'", **common)
    too_many = [f"{ids[0]}{i}" for i in range(BATCH_MAX_RESOURCES + 1)]
    with pytest.raises(HttpResponseError, match="exceeds the limit of 50"):
        client.query_resources(resource_ids=too_many, metric_names=["GeneratedTokens"], **common)
    client.close()


def test_a_filter_returns_ten_series_unless_top_says_otherwise(usage_world: UsageWorld) -> None:
    world = usage_world
    client = _metrics_client(world.emulator)
    ids = [a.ref.id for a in world.accounts if a.location == "swedencentral"]
    common: dict[str, Any] = {"metric_namespace": "Microsoft.CognitiveServices/accounts",
                              "metric_names": ["AzureOpenAIRequests"], "timespan": (world.start, world.end),
                              "granularity": dt.timedelta(days=1),
                              "filter": "ModelDeploymentName eq '*' and StatusCode eq '*'"}  # fmt: skip
    # 2 deployments x (200, 429) per account: 4 series, so shrink `top` below it to see the cut.
    default = client.query_resources(resource_ids=ids, max_results=3, **common)
    everything = client.query_resources(resource_ids=ids, max_results=100, **common)
    assert [len(r.metrics[0].timeseries) for r in default] == [min(3, len(r.metrics[0].timeseries)) for r in everything]
    assert max(len(r.metrics[0].timeseries) for r in everything) == 4
    client.close()


def test_resource_metrics_and_definitions_over_arm(usage_world: UsageWorld) -> None:
    from tests.emulator.helpers import raw_token

    world = usage_world
    account = world.accounts[0]
    base = f"{world.emulator.endpoint}{account.ref.id}/providers/Microsoft.Insights"
    headers = {"Authorization": f"Bearer {raw_token(world.emulator)}"}
    verify = str(world.emulator.ca_path)
    window = f"{world.start:%Y-%m-%dT%H:%M:%SZ}/{world.end:%Y-%m-%dT%H:%M:%SZ}"
    doc = requests.get(
        f"{base}/metrics",
        params={"api-version": "2023-10-01", "metricnames": "ProcessedPromptTokens", "timespan": window,
                "interval": "FULL", "aggregation": "Total"},
        headers=headers, verify=verify, timeout=10,
    ).json()  # fmt: skip
    truth = sum(r["prompt_tokens"] for r in _truth(world) if r.get("account_id") == account.ref.key)
    assert doc["value"][0]["timeseries"][0]["data"][0]["total"] == truth
    assert doc["resourceregion"] == "swedencentral"
    defs = requests.get(f"{base}/metricDefinitions", params={"api-version": "2018-01-01"}, headers=headers,
                        verify=verify, timeout=10).json()  # fmt: skip
    names = {d["name"]["value"] for d in defs["value"]}
    assert {"ProcessedPromptTokens", "GeneratedTokens", "AzureOpenAIRequests"} <= names


def test_kql_the_emulator_does_not_answer_is_log_analytics_bad_argument(usage_world: UsageWorld) -> None:
    from azure.monitor.query import LogsQueryClient

    world = usage_world
    client = LogsQueryClient(_credential(world.emulator), endpoint=world.emulator.endpoint,
                             connection_verify=str(world.emulator.ca_path), retry_total=0)  # fmt: skip
    with pytest.raises(HttpResponseError) as caught:
        client.query_workspace(world.workspace_id, "AppRequests | take 10", timespan=dt.timedelta(days=1))
    assert caught.value.status_code == 400
    assert "AppRequests" in str(caught.value)
    with pytest.raises(HttpResponseError) as missing:
        client.query_workspace("00000000-0000-0000-0000-000000000000", "AppMetrics", timespan=dt.timedelta(days=1))
    assert missing.value.status_code == 404
    client.close()


def test_emulator_traffic_command_writes_the_same_data_for_the_same_seed(tmp_path: Path) -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        out = subprocess.run(
            [sys.executable, "-m", "tenantctl", "emulator", "traffic", "--days", "2", "--seed", str(seed),
             "--tenant", "acme", "--tenant-count", "3", "--state", str(tmp_path), "-o", "json"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        envelope = json.loads(out.stdout)
        assert envelope["data"]["tenants"] == 4
        emulator = Emulator(tmp_path)
        try:
            return emulator.traffic_truth()
        finally:
            emulator.stop()

    first, again = run(5), run(5)  # other seeds differ: test_traffic_generator
    assert first == again
    assert [r["tenant"] for r in first] == ["acme", "tenant-00001", "tenant-00002", "tenant-00003"]
