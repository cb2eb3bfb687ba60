"""The report page alone (no cloud): self-contained, escaped, and its usage rows laid out from a usage report."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenantctl.cli.app import app
from tenantctl.diagnostics import Diagnostic, Severity
from tenantctl.errors import UsageError
from tenantctl.export.diagram import build_diagram
from tenantctl.inspection.fleet import quota_report
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.observation.scoped import QuotaObservation
from tenantctl.planning.placement import placed_desired_state
from tenantctl.report import FleetReport, UsageSection, render_html, usage_section
from tenantctl.report.build import account_slots, parse_since, usage_window
from tenantctl.usage import DeploymentUsage, TenantUsage, UsageReport, UsageTotals

from .conftest import HOSTILE
from .test_diagram import parse_svg

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def _deployment(name: str, unit: str, capacity: int, totals: UsageTotals, cost: str | None) -> DeploymentUsage:
    return DeploymentUsage(
        name,
        name,
        "acct",
        "gpt-4o",
        "GlobalStandard",
        capacity,
        unit,
        totals,
        0,
        None if cost is None else Decimal(cost),
        "",
    )


def _tenant(
    manifest: Manifest,
    tenant: str,
    visibility: str = "visible",
    *deployments: DeploymentUsage,
    peak: int = 0,
    basis: str = "hour average",
    note: str = "",
) -> TenantUsage:
    isolation = manifest.tenants[tenant].isolation.value
    return TenantUsage(tenant, isolation, "swedencentral", None, visibility, note, deployments, peak, basis)


def _usage(*tenants: TenantUsage, currency: str | None = "USD") -> UsageReport:
    warning = Diagnostic(Severity.WARNING, "missing-price", "no price for model 'x' on GlobalStandard")
    return UsageReport(T0, T0 + 24 * HOUR, "1h", currency, tenants, partial=True, diagnostics=(warning,))


def test_rows_are_the_usage_reports_tenants_with_cost_and_peak_basis(example: Manifest) -> None:
    report = _usage(
        _tenant(
            example,
            "acme",
            "visible",
            _deployment("chat", "K TPM", 50, UsageTotals(600, 60, 6, 1), "1.25"),
            _deployment("embed", "K TPM", 20, UsageTotals(1300, 0, 4, 0), "0.50"),
            peak=22,
        ),
        _tenant(
            example,
            "bluesky",
            "visible",
            _deployment("chat", "TPM", 100_000, UsageTotals(500, 50, 5, 0), None),
            peak=321,
            basis="minute",
        ),
        _tenant(
            example,
            "coho",
            "no data",
            _deployment("chat", "TPM", 0, UsageTotals(), None),
            basis="minute",
            note="no gateway metrics for this tenant in the window",
        ),
        _tenant(example, "woodgrove", "visible", _deployment("chat", "PTU", 50, UsageTotals(10, 0, 1, 0), "9.99")),
        _tenant(example, "litware", "not visible", note="platform metrics could not be read"),
        _tenant(example, "trey", "not visible", note="tenant-provided: metrics need a monitoring role"),
    )
    section = usage_section(example, report)
    rows = {r.tenant: r for r in section.rows}
    assert list(rows) == sorted(rows)
    acme, bluesky, coho = rows["acme"], rows["bluesky"], rows["coho"]
    assert (acme.display_name, acme.prompt_tokens, acme.completion_tokens, acme.requests, acme.throttled) == (
        "Acme Corporation",
        1900,
        60,
        10,
        1,
    )
    assert (acme.peak_tpm, acme.peak_is_minute, acme.allocated_tpm, acme.cost, acme.currency) == (
        22,
        False,
        70_000,
        1.75,
        "USD",
    )
    # the gateway's token metric counts no 429s: a shared tenant shows none rather than a wrong 0
    assert (bluesky.tokens, bluesky.throttled, bluesky.peak_tpm, bluesky.peak_is_minute) == (550, None, 321, True)
    assert (bluesky.allocated_tpm, bluesky.cost, bluesky.currency) == (100_000, None, None)  # no price: no cost
    assert (coho.visible, coho.tokens, coho.allocated_tpm, coho.note) == (
        True,
        0,
        None,
        "no gateway metrics for this tenant in the window",
    )
    assert (rows["woodgrove"].allocated_tpm, rows["woodgrove"].cost) == (None, 9.99)  # PTUs have no TPM
    assert (rows["litware"].visible, rows["litware"].note) == (
        False,
        "not collected: platform metrics could not be read",
    )
    assert (rows["trey"].visible, rows["trey"].note, rows["trey"].tokens) == (
        False,
        "not visible: the tenant's own account",
        0,
    )
    assert (section.start, section.end, section.collected) == (T0, T0 + 24 * HOUR, True)
    assert section.notes == ("no price for model 'x' on GlobalStandard",)


def test_a_report_without_traffic_is_not_collected(example: Manifest) -> None:
    idle = _usage(_tenant(example, "acme", "no data", _deployment("chat", "K TPM", 50, UsageTotals(), None)))
    section = usage_section(example, idle)
    assert (section.collected, section.notes[-1]) == (False, "usage not collected: no traffic in the window")
    assert "Usage not collected." in _report(example, section)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _report(manifest: Manifest, usage: UsageSection) -> str:
    desired, _ = placed_desired_state(manifest, ObservedState())
    quota = quota_report(manifest, QuotaObservation((), {}, {}))
    return render_html(
        FleetReport(manifest.provider.manifest_name, T0, "observed", build_diagram(manifest, desired), quota, usage)
    )


def test_page_is_self_contained_and_escapes_hostile_names(hostile: Manifest) -> None:
    quote = _tenant(hostile, "quote", "visible", _deployment("chat", "TPM", 1000, UsageTotals(10, 5, 1, 0), "0.01"))
    page = _report(hostile, usage_section(hostile, _usage(quote, currency="<EUR>")))
    parser = _Page()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert tags.count("script") == 1  # ours; the tenant's <script> is text
    for tag, attrs in parser.tags:
        for name in ("src", "href", "data", "action", "srcset", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), f"<{tag} {name}={value!r}> would fetch"
        assert not (tag == "link" and attrs.get("rel") == "stylesheet")
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert "@import" not in page
    assert "url(" not in page
    assert "0.01 &lt;EUR&gt;" in page  # the report's currency is escaped like any name
    for name in HOSTILE.values():
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in page
    # every inline SVG (diagram and charts) is well-formed XML on its own
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 1 + 1 + 1 + 3  # diagram, stamp utilisation, swedencentral quota, 3 usage charts
    for svg in svgs:
        parse_svg(svg)


def test_page_says_usage_not_collected_with_the_reasons(example: Manifest) -> None:
    usage = UsageSection(T0, T0 + HOUR, (), False, ("account metrics not read: BadRequest: retention",))
    page = _report(example, usage)
    assert "Usage not collected." in page
    assert "account metrics not read: BadRequest: retention" in page
    assert "Tokens per tenant" not in page


@pytest.mark.parametrize(("text", "hours"), [("30d", 720), ("24h", 24), ("1h", 1), (" 93D ", 93 * 24)])
def test_since_reads_days_and_hours(text: str, hours: int) -> None:
    assert parse_since(text) == timedelta(hours=hours)


@pytest.mark.parametrize("text", ["", "30", "0h", "94d", "1w", "-3d", "3.5d"])
def test_since_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_since(text)


def test_window_ends_on_the_hour() -> None:
    start, end = usage_window(timedelta(days=1), datetime(2026, 12, 4, 13, 59, 59, tzinfo=timezone.utc))
    assert (start, end) == (
        datetime(2026, 12, 3, 13, tzinfo=timezone.utc),
        datetime(2026, 12, 4, 13, tzinfo=timezone.utc),
    )


SMALL_FLEET = """
schema = 1
[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-quiet"
location = "swedencentral"
name_prefix = "qt"

[stamps.s1]
location = "swedencentral"
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 10 }]

[tenants.solo]
isolation = "dedicated"
display_name = "Solo & Co <b>"
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 5 }]

[tenants.rider]
isolation = "shared"
stamp = "s1"
tpm = 2000
"""


def test_cli_report_without_traffic_says_usage_not_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_AUTHORITY_HOST", "TENANTCTL_MANIFEST"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "tenants.toml").write_text(SMALL_FLEET, encoding="utf-8")
    runner = CliRunner()
    applied = runner.invoke(app, ["apply", "--emulator", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    result = runner.invoke(app, ["report", "--html", "fleet.html", "--emulator", "--since", "7d", "-o", "json"])
    doc = json.loads(result.stdout)
    assert (result.exit_code, doc["command"], doc["status"]) == (0, "report", "success")
    assert (doc["data"]["usage_collected"], doc["data"]["tenants"]) == (False, 2)
    assert "usage not collected: no traffic in the window" in [d["summary"] for d in doc["diagnostics"]]
    page = (tmp_path / "fleet.html").read_text(encoding="utf-8")
    assert "Usage not collected." in page
    assert "Solo &amp; Co &lt;b&gt;" in page
    assert "Utilisation per stamp" in page
    # a second run replaces its own page; the manifest and other files are never replaced
    again = runner.invoke(app, ["report", "--html", "fleet.html", "--emulator"])
    assert again.exit_code == 0, again.output
    for victim in ("tenants.toml", "notes.html"):
        path = tmp_path / victim
        if not path.exists():
            path.write_text("<p>mine</p>\n", encoding="utf-8")
        before = path.read_text(encoding="utf-8")
        refused = runner.invoke(app, ["report", "--html", victim, "--emulator"])
        assert refused.exit_code == 1
        assert path.read_text(encoding="utf-8") == before
    bad = runner.invoke(app, ["report", "--html", "x.html", "--since", "1y"])
    assert bad.exit_code == 1
    assert "--since '1y'" in bad.output


def test_slots_count_each_stamp_accounts_deployments(hostile: Manifest) -> None:
    desired, _ = placed_desired_state(hostile, ObservedState())
    slots = [
        (s.stamp, s.account, s.shared, s.tenant_owned, s.tenants, s.limit) for s in account_slots(hostile, desired)
    ]
    # 3 deployments an account: the shared chat and markup's two fill account 1, unicode's goes to 2,
    # which carries no shared deployment (no shared tenant is pinned there)
    assert slots == [("s1", "pic-s1--01", 1, 2, 1, 3), ("s1", "pic-s1--02", 0, 1, 1, 3)]
