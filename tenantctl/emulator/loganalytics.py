"""Log Analytics query API (``POST /v1/workspaces/{id}/query``) over the gateway's token metrics.

API Management's ``azure-openai-emit-token-metric`` policy writes custom metrics ("Prompt Tokens",
"Completion Tokens", "Total Tokens") with the configured dimensions to Application Insights; in a
workspace-based Application Insights they land in the ``AppMetrics`` table (``Name``, ``Sum``,
``ItemCount``, ``TimeGenerated``, dimensions in ``Properties``), pre-aggregated per minute. The emulator
answers exactly the KQL shapes tenantctl sends (README.md, "Usage metrics"), evaluated on the
traffic generator's data:

    AppMetrics
    | where TimeGenerated >= datetime(<start>) and TimeGenerated < datetime(<end>)
    | where Name in ("Prompt Tokens", "Completion Tokens")            (or: Name == "...")
    | extend Tenant = tostring(Properties["<dimension>"])
    [| where Tenant in ("a", "b")]
    | summarize Tokens = sum(Sum), Requests = sum(ItemCount) by Tenant, Name, TimeGenerated = bin(TimeGenerated, 1h|1d)

    ... the same first four stages, then
    | summarize Tokens = sum(Sum) by Tenant, TimeGenerated = bin(TimeGenerated, 1m)
    | summarize PeakTokensPerMinute = max(Tokens) by Tenant

Anything else is answered 400 with Log Analytics' error envelope (``BadArgumentError`` /
``SyntaxError``), so a query tenantctl changes without teaching the emulator fails loudly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response

from tenantctl.emulator import traffic
from tenantctl.emulator.core import ArmError, Ctx, json_response
from tenantctl.emulator.world import World

GATEWAY_METRICS: dict[str, Callable[[traffic.HourUsage], int]] = {
    "Prompt Tokens": lambda u: u.prompt,
    "Completion Tokens": lambda u: u.completion,
    "Total Tokens": lambda u: u.tokens,
}
_BINS = {"1m": 60, "1h": 3600, "1d": 86400}


class KqlError(Exception):
    def __init__(self, message: str, inner: str = "SyntaxError") -> None:
        super().__init__(message)
        self.message = message
        self.inner = inner


def error_response(status: int, code: str, message: str, inner_code: str, inner_message: str) -> Response:
    return json_response(
        {
            "error": {
                "code": code,
                "message": message,
                "innererror": {"code": inner_code, "message": inner_message},
            }
        },
        status,
    )


_TIME = re.compile(
    r"^where\s+TimeGenerated\s*>=\s*datetime\(([^)]+)\)\s+and\s+TimeGenerated\s*<\s*datetime\(([^)]+)\)$"
)
_NAME_IN = re.compile(r"^where\s+Name\s+in\s*\((.*)\)$")
_NAME_EQ = re.compile(r'^where\s+Name\s*==\s*"([^"]*)"$')
_EXTEND = re.compile(r'^extend\s+Tenant\s*=\s*tostring\(Properties\["([^"]+)"\]\)$')
_TENANT_IN = re.compile(r"^where\s+Tenant\s+in\s*\((.*)\)$")
_SERIES = re.compile(
    r"^summarize\s+Tokens\s*=\s*sum\(Sum\)\s*,\s*Requests\s*=\s*sum\(ItemCount\)\s+by\s+Tenant\s*,\s*Name\s*,"
    r"\s*TimeGenerated\s*=\s*bin\(TimeGenerated\s*,\s*(1h|1d)\)$"
)
_PER_MINUTE = re.compile(
    r"^summarize\s+Tokens\s*=\s*sum\(Sum\)\s+by\s+Tenant\s*,\s*TimeGenerated\s*=\s*bin\(TimeGenerated\s*,\s*1m\)$"
)
_PEAK = re.compile(r"^summarize\s+PeakTokensPerMinute\s*=\s*max\(Tokens\)\s+by\s+Tenant$")
_STRINGS = re.compile(r'^\s*"([^"]*)"\s*(?:,\s*"([^"]*)"\s*)*$')


def _strings(text: str) -> list[str]:
    if not _STRINGS.match(text):
        raise KqlError(f"Expected a list of string literals, got ({text}).")
    return re.findall(r'"([^"]*)"', text)


def _time(text: str) -> float:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise KqlError(f"Invalid datetime literal '{text}'.") from None
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp()


@dataclass
class ParsedQuery:
    start: float
    end: float
    names: list[str]
    dimension: str
    tenants: list[str] | None
    bin_seconds: int  # 60 = the peak shape
    peak: bool


def parse(query: str) -> ParsedQuery:
    stages = [" ".join(s.split()) for s in query.strip().split("|")]
    if not stages or stages[0] != "AppMetrics":
        table = stages[0] if stages else ""
        raise KqlError(f"'{table}' is not a table the emulator answers (only AppMetrics).", "SemanticError")
    if len(stages) < 5:
        raise KqlError("The emulator answers only tenantctl's AppMetrics query shapes (README: Usage metrics).")
    time = _TIME.match(stages[1])
    if time is None:
        raise KqlError(f"Expected the TimeGenerated window as stage 2, got '{stages[1]}'.")
    names_in, name_eq = _NAME_IN.match(stages[2]), _NAME_EQ.match(stages[2])
    if names_in is None and name_eq is None:
        raise KqlError(f"Expected a Name filter as stage 3, got '{stages[2]}'.")
    names = _strings(names_in.group(1)) if names_in else [name_eq.group(1)]  # type: ignore[union-attr]
    extend = _EXTEND.match(stages[3])
    if extend is None:
        raise KqlError(f"Expected 'extend Tenant = tostring(Properties[\"...\"])' as stage 4, got '{stages[3]}'.")
    rest = stages[4:]
    tenants = None
    if rest and (m := _TENANT_IN.match(rest[0])):
        tenants = _strings(m.group(1))
        rest = rest[1:]
    parsed = ParsedQuery(_time(time.group(1)), _time(time.group(2)), names, extend.group(1), tenants, 0, False)
    if len(rest) == 1 and (m := _SERIES.match(rest[0])):
        parsed.bin_seconds = _BINS[m.group(1)]
        return parsed
    if len(rest) == 2 and _PER_MINUTE.match(rest[0]) and _PEAK.match(rest[1]):
        parsed.bin_seconds, parsed.peak = 60, True
        return parsed
    raise KqlError(f"Unsupported summarize stage(s): {' | '.join(rest)!r}.")


def _tenant_series(world: World, parsed: ParsedQuery) -> tuple[traffic.TrafficSpec | None, list[traffic.Series]]:
    from tenantctl.emulator.metrics import load_spec

    spec = load_spec(world)
    if spec is None:
        return None, []
    series = [s for s in spec.series if s.kind == "tenant"]
    if parsed.tenants is not None:
        wanted = set(parsed.tenants)
        series = [s for s in series if s.tenant in wanted]
    return spec, series


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluate(world: World, parsed: ParsedQuery) -> tuple[list[dict[str, str]], list[list[object]]]:
    spec, series = _tenant_series(world, parsed)
    # The generator's tenants carry the dimension traffic.GATEWAY_DIMENSION; another key reads as "".
    label = (lambda s: s.tenant) if parsed.dimension == traffic.GATEWAY_DIMENSION else (lambda s: "")
    if parsed.peak:
        return _peaks(spec, series, parsed, label)
    columns = [
        {"name": "Tenant", "type": "string"},
        {"name": "Name", "type": "string"},
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "Tokens", "type": "real"},
        {"name": "Requests", "type": "long"},
    ]
    sums: dict[tuple[str, str, int], list[int]] = {}
    whole_hours = parsed.start % traffic.HOUR == 0 and parsed.end % traffic.HOUR == 0
    for s in series:
        assert spec is not None
        if whole_hours and parsed.bin_seconds % traffic.HOUR == 0:
            _add_bins(sums, spec=spec, series=s, key=label(s), parsed=parsed)
            continue
        for hour, usage in traffic.iter_hours(spec, s, parsed.start - traffic.HOUR + 1, parsed.end):
            for name in parsed.names:
                fn = GATEWAY_METRICS.get(name)
                if fn is None:  # not an error in Log Analytics: a metric nobody emits has no rows
                    continue
                _add_hour(sums, key=(label(s), name), hour=hour, usage=usage, fn=fn, parsed=parsed)
    rows: list[list[object]] = [
        [tenant, name, _iso(bucket), float(v[0]), v[1]]
        for (tenant, name, bucket), v in sorted(sums.items())
        if v[0] or v[1]
    ]
    return columns, rows


def _add_bins(
    sums: dict[tuple[str, str, int], list[int]],
    *,
    spec: traffic.TrafficSpec,
    series: traffic.Series,
    key: str,
    parsed: ParsedQuery,
) -> None:
    """Whole-hour bins from the running sums (KQL's bin() floors to multiples of the width since the epoch)."""
    width = parsed.bin_seconds
    first = int(parsed.start // width * width)
    for begin in range(first, int(parsed.end), width):
        part = traffic.summed_hours(spec, series, max(begin, parsed.start), min(begin + width, parsed.end))
        for name in parsed.names:
            fn = GATEWAY_METRICS.get(name)
            if fn is not None and (fn(part) or part.requests):
                acc = sums.setdefault((key, name, begin), [0, 0])
                acc[0] += fn(part)
                acc[1] += part.requests


def _add_hour(
    sums: dict[tuple[str, str, int], list[int]],
    *,
    key: tuple[str, str],
    hour: int,
    usage: traffic.HourUsage,
    fn: Callable[[traffic.HourUsage], int],
    parsed: ParsedQuery,
) -> None:
    begin = hour * traffic.HOUR
    width = parsed.bin_seconds
    if begin >= parsed.start and begin + traffic.HOUR <= parsed.end:
        parts = [(begin, usage)]
    else:
        parts = [
            (begin + m * 60, traffic.minute_usage(usage, m))
            for m in range(traffic.MINUTES_PER_HOUR)
            if parsed.start <= begin + m * 60 < parsed.end
        ]
    for ts, part in parts:
        # A request emits one value per metric: ItemCount counts the successful requests.
        acc = sums.setdefault((*key, int(ts // width * width)), [0, 0])
        acc[0] += fn(part)
        acc[1] += part.requests


def _peaks(
    spec: traffic.TrafficSpec | None,
    series: list[traffic.Series],
    parsed: ParsedQuery,
    label: Callable[[traffic.Series], str],
) -> tuple[list[dict[str, str]], list[list[object]]]:
    if parsed.names != ["Total Tokens"]:
        raise KqlError('The peak shape is answered for Name == "Total Tokens" only.')
    peaks: dict[str, int] = {}
    for s in series:
        assert spec is not None
        best = 0
        for hour, usage in traffic.iter_hours(spec, s, parsed.start - traffic.HOUR + 1, parsed.end):
            begin = hour * traffic.HOUR
            if begin >= parsed.start and begin + traffic.HOUR <= parsed.end:
                best = max(best, traffic.peak_minute_tokens(usage))
            else:
                for m in range(traffic.MINUTES_PER_HOUR):
                    if parsed.start <= begin + m * 60 < parsed.end:
                        best = max(best, traffic.minute_usage(usage, m).tokens)
        if best:
            peaks[label(s)] = max(peaks.get(label(s), 0), best)
    columns = [{"name": "Tenant", "type": "string"}, {"name": "PeakTokensPerMinute", "type": "real"}]
    return columns, [[tenant, float(v)] for tenant, v in sorted(peaks.items())]


def query(ctx: Ctx) -> Response:
    from tenantctl.emulator.traffic import gateway_workspace_id

    workspace = ctx.params["workspaceId"].lower()
    bootstrap = ctx.world.store.get("meta", "bootstrap") or {}
    if workspace != gateway_workspace_id(str(bootstrap.get("subscription_id", ""))):
        return error_response(
            404,
            "WorkspaceNotFoundError",
            f"The workspace could not be found: {workspace}",
            "WorkspaceNotFoundError",
            "The workspace could not be found",
        )
    body = ctx.body if isinstance(ctx.body, dict) else {}
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        return error_response(
            400, "BadArgumentError", "The request had some invalid properties", "QueryValidationError",
            "The 'query' property is required.",
        )  # fmt: skip
    try:
        columns, rows = evaluate(ctx.world, parse(text))
    except KqlError as err:
        return error_response(400, "BadArgumentError", "The request had some invalid properties", err.inner,
                              err.message)  # fmt: skip
    return json_response({"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]})


def handle(ctx: Ctx) -> Response:
    """Entry from the dispatcher; ArmError keeps Log Analytics' envelope for auth failures too."""
    try:
        return query(ctx)
    except ArmError as err:
        return error_response(err.status, err.code, err.message, err.code, err.message)
