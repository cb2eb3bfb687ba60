"""The report page alone (no cloud): self-contained, escaped, and usage rows attributed to the right tenants."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenantctl.cli.app import app
from tenantctl.errors import UsageError
from tenantctl.export.diagram import build_diagram
from tenantctl.inspection.fleet import quota_report
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.observation.scoped import QuotaObservation
from tenantctl.planning.placement import placed_desired_state
from tenantctl.report import FleetReport, UsageSection, render_html, usage_rows
from tenantctl.report.build import account_slots, parse_since, usage_window
from tenantctl.resources import TenantPeak, UsagePoint, UsageSeries

from .conftest import HOSTILE
from .test_diagram import parse_svg

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def _series(source: str, scope: str, key: str, *points: tuple[int, int, int, int, int]) -> UsageSeries:
    """points: (hour offset, prompt, completion, requests, throttled)."""
    return UsageSeries(
        source,
        scope,
        key,
        HOUR,
        tuple(UsagePoint(T0 + h * HOUR, p, c, r, t) for h, p, c, r, t in points),
    )


def _account_id(manifest: Manifest, name: str) -> str:
    sub, rg = manifest.provider.subscription_id, manifest.provider.resource_group
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{name}"


def test_rows_add_up_per_tenant_and_shared_deployments_are_left_to_the_gateway(example: Manifest) -> None:
    desired, _ = placed_desired_state(example, ObservedState())
    stamp = _account_id(example, "ctso-eu1--01")
    accounts = [
        # acme owns every deployment of its account; the account id's case does not matter (ARM ids)
        _series("account", _account_id(example, "ctso-acme").upper(), "chat", (0, 600, 60, 6, 1), (1, 1200, 0, 3, 0)),
        _series("account", _account_id(example, "ctso-acme"), "embed", (1, 100, 0, 1, 0)),
        _series("account", stamp, "litware--chat", (5, 30, 30, 2, 0)),
        _series("account", stamp, "chat", (5, 9_999_999, 0, 999, 0)),  # the stamp's shared chat
    ]
    gateway = [_series("gateway", "ws", "bluesky", (0, 500, 50, 5, 0)), _series("gateway", "ws", "", (0, 7, 7, 1, 0))]
    peaks = [TenantPeak("ws", "bluesky", 321)]
    rows = {r.tenant: r for r in usage_rows(example, desired, accounts, gateway, peaks)}
    acme, litware, bluesky = rows["acme"], rows["litware"], rows["bluesky"]
    assert (acme.prompt_tokens, acme.completion_tokens, acme.requests, acme.throttled) == (1900, 60, 10, 1)
    # busiest hour: 1300 tokens (1200 + 100 in hour 1) → 1300 / 60 rounded up, marked hourly
    assert (acme.peak_tpm, acme.peak_is_minute, acme.allocated_tpm) == (22, False, 70_000)
    assert (litware.tokens, litware.requests) == (60, 2)
    assert (bluesky.tokens, bluesky.peak_tpm, bluesky.peak_is_minute, bluesky.allocated_tpm) == (
        550,
        321,
        True,
        100_000,
    )
    assert sum(r.tokens for r in rows.values()) == 1960 + 60 + 550  # the shared chat went to no tenant
    assert rows["coho"].note == "no traffic in the window"
    assert (rows["trey"].visible, rows["trey"].note) == (False, "not visible: the tenant's own account")
    assert rows["woodgrove"].allocated_tpm is None  # PTUs have no TPM equivalent
    unread = {r.tenant: r for r in usage_rows(example, desired, accounts, None, None, reasons={"gateway": "why"})}
    assert (unread["bluesky"].visible, unread["bluesky"].note) == (False, "why")
    assert unread["acme"].tokens == 1960


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
    desired, _ = placed_desired_state(hostile, ObservedState())
    rows = usage_rows(hostile, desired, [], [_series("gateway", "ws", "quote", (0, 10, 5, 1, 0))], [])
    page = _report(hostile, UsageSection(T0, T0 + 24 * HOUR, rows, True))
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
