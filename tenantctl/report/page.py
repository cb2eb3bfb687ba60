"""The fleet report as one self-contained HTML page (inline CSS, SVG and a few lines of script).

Nothing is fetched: no fonts, stylesheets, scripts or images from the network (the Content Security
Policy forbids it, so a page opened offline, or from a mail attachment, looks the same). The script
only makes the usage table sortable; without it the page is complete. Every chart has its numbers
in text next to it and a table below it, colours are never the only carrier of meaning, and the
print style keeps sections whole on a page.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from tenantctl import __version__
from tenantctl.export.diagram import ISOLATION_COLOURS
from tenantctl.export.diagram_svg import to_svg
from tenantctl.inspection.fleet import QuotaLineView, QuotaReport
from tenantctl.report.charts import Bar, Segment, bar_chart
from tenantctl.report.model import AccountSlots, FleetReport, TenantUsageRow, UsageSection

__all__ = ["GENERATOR", "render_html"]

GENERATOR = "tenantctl report"

_BUDGET = "#b86e00"
_CAPACITY = "#4a5563"
_USED = "#0b5fa5"
_ALLOCATED = "#7fb2e5"
_PROMPT = "#0b5fa5"
_COMPLETION = "#00795c"
_PEAK = "#9c3d7a"
_THROTTLED = "#c2410c"
_OWNED = "#00795c"

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #111111; background: #ffffff;
       margin: 0; padding: 24px 32px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 2px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, p.note { color: #374151; margin: 4px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d1d5db; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 22px; }
.scroll { overflow-x: auto; border: 1px solid #e5e7eb; border-radius: 8px; }
.scroll > svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num, .badge { white-space: nowrap; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0;
            cursor: pointer; color: inherit; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; border: 1px solid; font-size: 12px; }
.notice { border: 2px solid #b86e00; background: #fff8eb; border-radius: 8px; padding: 10px 14px; margin: 8px 0; }
.muted { color: #4b5563; }
@media print {
  body { padding: 0; font-size: 11px; }
  .scroll { overflow: visible; border: 0; }
  .scroll > svg { width: 100%; height: auto; }
  /* an SVG cannot be split across pages: the diagram shrinks to one page (it is vector, zoomable) */
  .scroll.fleet > svg { width: auto; max-width: 100%; max-height: 24cm; }
  th button { pointer-events: none; }
  .scroll:not(.fleet), tr, .card { break-inside: avoid-page; }  /* the diagram may span pages */
  h2, h3, p.note { break-after: avoid-page; }
}
"""

# Sort the usage table by a column when its header button is pressed (numbers as numbers).
_JS = """
(function () {
  "use strict";
  var table = document.getElementById("usage-table");
  if (!table || !table.tBodies.length) { return; }
  var buttons = table.querySelectorAll("th button");
  Array.prototype.forEach.call(buttons, function (button, column) {
    button.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var down = button.getAttribute("data-order") !== "descending";
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
        var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return down ? -c : c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      Array.prototype.forEach.call(buttons, function (b) { b.removeAttribute("data-order"); });
      button.setAttribute("data-order", down ? "descending" : "ascending");
      var th = button.parentNode;
      Array.prototype.forEach.call(table.querySelectorAll("th"), function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
    });
  });
})();
"""


def _n(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".rstrip()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _badge(isolation: str) -> str:
    fill, border = ISOLATION_COLOURS.get(isolation, ISOLATION_COLOURS["stamp"])
    return f'<span class="badge" style="background:{fill};border-color:{border}">{escape(isolation)}</span>'


def _summary(report: FleetReport) -> str:
    counts: dict[str, int] = defaultdict(int)
    for node in report.diagram.nodes:
        if node.kind == "tenant":
            counts[node.colour] += 1
    tenants = sum(counts.values())
    regions = {line.location for line in report.quota.lines} | {s.location for s in report.quota.stamps}
    cards = [
        ("tenants", str(tenants)),
        *((isolation, str(n)) for isolation, n in sorted(counts.items())),
        ("stamps", str(len(report.quota.stamps))),
        ("regions", str(len(regions))),
    ]
    if report.usage.collected:
        cards.append(("tokens in window", _n(sum(r.tokens for r in report.usage.rows))))
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in cards)
        + "</div>"
    )


def _stamps(quota: QuotaReport) -> str:
    if not quota.stamps:
        return '<p class="note">The manifest has no stamps.</p>'
    bars = []
    rows = []
    for stamp in quota.stamps:
        for line in stamp.deployments:
            label = f"{stamp.stamp} · {line.name} ({line.model})"
            if line.allowed_tpm is None:
                text = f"{_n(line.budgets_tpm)} TPM budgets · PTU capacity"
            else:
                text = f"{_n(line.budgets_tpm)} of {_n(line.allowed_tpm)} TPM ({_pct(line.utilisation)})"
            bars.append(
                Bar(
                    label,
                    (Segment(line.budgets_tpm, _BUDGET, "shared budgets, TPM"),),
                    text,
                    limit=line.allowed_tpm,
                    limit_name=f"capacity × overcommit {_n(line.allowed_tpm)} TPM",
                )
            )
            rows.append(
                f"<tr><td>{escape(stamp.stamp)}</td><td>{escape(stamp.location)}</td><td>{escape(line.name)}</td>"
                f"<td>{escape(line.model)} · {escape(line.sku)}</td><td class=num>{stamp.accounts}</td>"
                f"<td class=num>{_n(line.capacity_tpm)}</td><td class=num>{stamp.overcommit:g}×</td>"
                f"<td class=num>{_n(line.allowed_tpm)}</td><td class=num>{_n(line.budgets_tpm)}</td>"
                f"<td class=num>{line.tenants}</td><td class=num>{_pct(line.utilisation)}</td></tr>"
            )
    chart = bar_chart(
        "Shared budgets against capacity × overcommit, per stamp deployment",
        bars,
        legend=((_BUDGET, "shared tenants' budgets"),),
        limit_legend="capacity × overcommit",
    )
    head = (
        "<tr><th>stamp</th><th>region</th><th>deployment</th><th>model · SKU</th><th class=num>accounts</th>"
        "<th class=num>capacity TPM</th><th class=num>overcommit</th><th class=num>allowed TPM</th>"
        "<th class=num>budgets TPM</th><th class=num>shared tenants</th><th class=num>utilisation</th></tr>"
    )
    return f'<div class="scroll">{chart}</div><table>{head}{"".join(rows)}</table>'


def _slots(slots: tuple[AccountSlots, ...]) -> str:
    if not slots:
        return ""
    bars = [
        Bar(
            f"{s.stamp} · {s.account}",
            (
                Segment(s.shared, _BUDGET, "the stamp's shared deployments"),
                Segment(s.tenant_owned, _OWNED, "dedicated-deployment tenants' deployments"),
            ),
            f"{s.used} of {s.limit} deployments ({s.tenants} tenant{'s' if s.tenants != 1 else ''})",
            limit=float(s.limit),
            limit_name=f"at most {s.limit} deployments an account",
        )
        for s in slots
    ]
    counts: dict[str, tuple[int, int]] = {}
    for s in slots:
        counts[s.stamp] = (counts.get(s.stamp, (0, 0))[0] + 1, s.max_accounts)
    growth = "; ".join(f"{stamp}: {n} of at most {most} accounts" for stamp, (n, most) in sorted(counts.items()))
    chart = bar_chart(
        "Deployments on each stamp account against the per-account limit",
        bars,
        legend=((_BUDGET, "shared"), (_OWNED, "tenants' own")),
        limit_legend="per-account limit",
    )
    return (
        "<h3>Deployment slots per stamp account</h3>"
        f'<p class="note">A stamp grows by an account when its accounts are full ({escape(growth)}).</p>'
        f'<div class="scroll">{chart}</div>'
    )


def _region_chart(location: str, lines: list[QuotaLineView]) -> str:
    # Lines count different units (K TPM, PTU, accounts): each bar is drawn as a share of its own limit.
    bars = []
    for line in lines:
        label = line.usage_name.removeprefix("OpenAI.")
        if not line.limit:
            bars.append(Bar(label, (), f"allocated {_n(line.allocated, line.unit)}; limit not listed"))
            continue
        taken = max(line.used or 0.0, line.allocated)
        used = min(line.used or 0.0, taken)
        bars.append(
            Bar(
                label,
                (
                    Segment(used / line.limit * 100, _USED, "used, % of the limit"),
                    Segment((taken - used) / line.limit * 100, _ALLOCATED, "allocated, not yet used, % of the limit"),
                ),
                f"headroom {_n(line.headroom, line.unit)} of {_n(line.limit)}",
                limit=100.0,
                limit_name=f"quota limit {_n(line.limit, line.unit)}",
            )
        )
    return bar_chart(
        f"Quota in {location}: used and allocated as a share of each limit",
        bars,
        legend=((_USED, "used"), (_ALLOCATED, "allocated by the manifest")),
        limit_legend="quota limit (100 %)",
    )


def _quota(quota: QuotaReport) -> str:
    if not quota.lines:
        return '<p class="note">No quota lines: the manifest places nothing in a region.</p>'
    by_region: dict[str, list[QuotaLineView]] = defaultdict(list)
    for line in quota.lines:
        by_region[line.location].append(line)
    parts = []
    for location in sorted(by_region):
        lines = by_region[location]
        subs = sorted({line.subscription_id for line in lines})
        parts.append(f"<h3>{escape(location)}</h3>")
        if len(subs) > 1:
            parts.append(f'<p class="note">subscriptions: {escape(", ".join(subs))}</p>')
        parts.append(f'<div class="scroll">{_region_chart(location, lines)}</div>')
        rows = "".join(
            f"<tr><td>{escape(line.usage_name)}</td><td>{escape(line.unit)}</td><td class=num>{_n(line.limit)}</td>"
            f"<td class=num>{_n(line.used)}</td><td class=num>{_n(line.allocated)}</td>"
            f"<td class=num>{_n(line.headroom)}</td></tr>"
            for line in lines
        )
        parts.append(
            "<table><tr><th>usage</th><th>unit</th><th class=num>limit</th><th class=num>used</th>"
            f"<th class=num>allocated</th><th class=num>headroom</th></tr>{rows}</table>"
        )
    return "".join(parts)


def _usage_charts(rows: list[TenantUsageRow]) -> str:
    # Biggest first: the chart answers "who consumes most"; the table below stays in tenant order.
    rows = sorted(rows, key=lambda r: (-r.tokens, r.tenant))
    tokens = [
        Bar(
            r.display_name,
            (
                Segment(r.prompt_tokens, _PROMPT, "prompt tokens"),
                Segment(r.completion_tokens, _COMPLETION, "completion tokens"),
            ),
            f"{_n(r.tokens)} tokens",
        )
        for r in rows
    ]
    peaks = [
        Bar(
            r.display_name,
            (Segment(r.peak_tpm or 0, _PEAK, "peak TPM" if r.peak_is_minute else "busiest hour ÷ 60, TPM"),),
            _peak_text(r),
            limit=r.allocated_tpm,
            limit_name=f"allocated {_n(r.allocated_tpm)} TPM",
        )
        # Closest to (or past) its allocation first: who is about to be throttled.
        for r in sorted(
            rows, key=lambda r: (-((r.peak_tpm or 0) / r.allocated_tpm) if r.allocated_tpm else 0.0, r.tenant)
        )
    ]
    counted = [(r, r.throttled) for r in rows if r.throttled is not None]
    throttled = [
        Bar(r.display_name, (Segment(n, _THROTTLED, "throttled (429)"),), f"{_n(n)} of {_n(r.requests + n)} requests")
        for r, n in sorted(counted, key=lambda x: (-x[1], x[0].tenant))
    ]
    return (
        "<h3>Tokens per tenant</h3>"
        + '<div class="scroll">'
        + bar_chart(
            "Prompt and completion tokens per tenant",
            tokens,
            legend=((_PROMPT, "prompt"), (_COMPLETION, "completion")),
        )
        + "</div><h3>Peak against allocation</h3>"
        + '<p class="note">Peak: the busiest minute for shared tenants (from the gateway); for the others the '
        "busiest hour's tokens ÷ 60 (marked “hourly”), a lower bound of their busiest minute.</p>"
        + '<div class="scroll">'
        + bar_chart(
            "Peak tokens per minute against the allocated TPM per tenant",
            peaks,
            legend=((_PEAK, "peak TPM"),),
            limit_legend="allocated TPM",
        )
        + "</div><h3>Throttled requests</h3>"
        + '<p class="note">Shared tenants are not listed: the gateway\'s token metric counts only the calls '
        "it let through.</p>"
        + '<div class="scroll">'
        + bar_chart("Requests answered 429 per tenant", throttled, legend=((_THROTTLED, "throttled (429)"),))
        + "</div>"
    )


def _peak_text(r: TenantUsageRow) -> str:
    peak = _n(r.peak_tpm) + ("" if r.peak_is_minute else " (hourly)")
    if r.allocated_tpm is None:
        return f"{peak} TPM; capacity in PTU"
    return f"{peak} of {_n(r.allocated_tpm)} TPM"


def _usage_table(rows: tuple[TenantUsageRow, ...]) -> str:
    columns = (
        ("tenant", False),
        ("isolation", False),
        ("prompt tokens", True),
        ("completion tokens", True),
        ("requests", True),
        ("throttled", True),
        ("peak TPM", True),
        ("allocated TPM", True),
        ("cost", True),
        ("note", False),
    )
    head = "".join(
        f'<th{" class=num" if num else ""}><button type="button">{escape(name)}</button></th>' for name, num in columns
    )
    body = []
    for r in rows:
        cost = "—" if r.cost is None else f"{r.cost:,.2f} {escape(r.currency or '')}"
        peak = _n(r.peak_tpm) + ("" if r.peak_is_minute or r.peak_tpm is None else " (hourly)")
        cells = [
            f'<td data-sort="{escape(r.tenant)}">{escape(r.display_name)}'
            + (f' <span class="muted">({escape(r.tenant)})</span>' if r.display_name != r.tenant else "")
            + "</td>",
            f'<td data-sort="{escape(r.isolation)}">{_badge(r.isolation)}</td>',
        ]
        for value in (r.prompt_tokens, r.completion_tokens, r.requests, r.throttled):
            shown = _n(value) if r.visible else "—"
            cells.append(f'<td class=num data-sort="{"" if value is None else value}">{shown}</td>')
        cells.append(f'<td class=num data-sort="{r.peak_tpm or 0}">{peak if r.visible else "—"}</td>')
        cells.append(f'<td class=num data-sort="{r.allocated_tpm or 0}">{_n(r.allocated_tpm)}</td>')
        cells.append(f'<td class=num data-sort="{r.cost or 0}">{cost}</td>')
        cells.append(f"<td>{escape(r.note)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="usage-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _usage(usage: UsageSection) -> str:
    window = f"{usage.start:%Y-%m-%d %H:%M} – {usage.end:%Y-%m-%d %H:%M} UTC"
    parts = [f'<p class="meta">Window: {escape(window)}</p>']
    if not usage.collected:
        parts.append('<div class="notice"><b>Usage not collected.</b>')
        parts.extend(f"<br>{escape(note)}" for note in usage.notes)
        parts.append("</div>")
    else:
        parts.extend(f'<p class="note">{escape(note)}</p>' for note in usage.notes)
        visible = [r for r in usage.rows if r.visible]
        parts.append(_usage_charts(visible))
    if usage.rows:
        parts.append("<h3>Per tenant</h3>")
        if all(r.cost is None for r in usage.rows):
            parts.append('<p class="note">Cost: no price table was given, so no cost is shown.</p>')
        parts.append(_usage_table(usage.rows))
    return "".join(parts)


def render_html(report: FleetReport) -> str:
    """The whole page; deterministic for a given report (the generation time is part of the report)."""
    name = escape(report.manifest_name)
    sections = [
        ("fleet", "Fleet", f'<div class="scroll fleet">{to_svg(report.diagram, standalone=False)}</div>'),
        ("stamps", "Utilisation per stamp", _stamps(report.quota) + _slots(report.slots)),
        ("quota", "Quota headroom per region", _quota(report.quota)),
        ("usage", "Usage and cost per tenant", _usage(report.usage)),
    ]
    nav = " · ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "".join(
        f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">{escape(title)}</h2>{html}</section>'
        for key, title, html in sections
    )
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in report.notes)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta name="generator" content="{GENERATOR} {__version__}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Offline by construction: the page may load nothing but what it carries.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        '<link rel="icon" href="data:,">\n'
        f"<title>Fleet report — {name}</title>\n<style>{_CSS}</style></head>\n<body>\n"
        f"<header><h1>Fleet report — {name}</h1>"
        f'<p class="meta">Generated {report.generated:%Y-%m-%d %H:%M} UTC by {GENERATOR} {__version__} from '
        f"{'the manifest and what Azure reports' if report.source == 'observed' else 'the manifest alone'}.</p>"
        f"{notes}<nav>{nav}</nav></header>\n"
        f"<main>{_summary(report)}{body}</main>\n"
        f"<script>{_JS}</script>\n</body></html>\n"
    )
