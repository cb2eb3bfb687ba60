"""Views of ``tenantctl usage``: a table per tenant for people, CSV for a billing import.

CSV: one row per tenant and deployment (a shared tenant's one row is its gateway budget), with a
header row; amounts are plain decimals, no thousands separators, so spreadsheets and billing tools
read them as numbers. Rows whose cost could not be computed have an empty ``cost`` and
``priced=false``; rows of tenants whose usage was not visible say so in ``visibility``.
"""

from __future__ import annotations

import csv
import io

from rich.console import Console
from rich.markup import escape

from tenantctl.render.console import out_console
from tenantctl.render.inspect import table
from tenantctl.usage import UsageReport
from tenantctl.wording import count_of

__all__ = ["CSV_COLUMNS", "print_usage", "usage_csv"]

CSV_COLUMNS = (
    "window_start",
    "window_end",
    "tenant",
    "isolation",
    "location",
    "stamp",
    "deployment",
    "azure_name",
    "account",
    "model",
    "sku",
    "capacity",
    "unit",
    "prompt_tokens",
    "completion_tokens",
    "requests",
    "throttled_requests",
    "peak_tpm",
    "cost",
    "currency",
    "priced",
    "visibility",
)


def usage_csv(report: UsageReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    window = (report.start.isoformat(), report.end.isoformat())
    currency = report.currency or ""
    for t in report.tenants:
        head = (*window, t.tenant, t.isolation, t.location, t.stamp or "")
        if not t.deployments:
            writer.writerow((*head, "", "", "", "", "", "", "", 0, 0, 0, 0, 0, "", currency, "false", t.visibility))
        for d in t.deployments:
            writer.writerow(
                (
                    *head,
                    d.deployment,
                    d.azure_name,
                    d.account,
                    d.model,
                    d.sku,
                    d.capacity,
                    d.unit,
                    d.totals.prompt_tokens,
                    d.totals.completion_tokens,
                    d.totals.requests,
                    d.totals.throttled_requests,
                    d.peak_tpm,
                    "" if d.cost is None else str(d.cost),
                    currency,
                    "true" if d.cost is not None else "false",
                    t.visibility,
                )
            )
    return buffer.getvalue()


def _allocated(tpm: int | None, ptu: int | None) -> str:
    parts = []
    if tpm is not None:
        parts.append(f"{tpm:,} TPM")
    if ptu is not None:
        parts.append(f"{ptu:,} PTU")
    return " + ".join(parts) or "-"


def print_usage(report: UsageReport, console: Console | None = None) -> None:
    con = console or out_console()
    marked = " [warning](partial: see the warnings)[/warning]" if report.partial else ""
    con.print(
        f"[heading]Usage[/heading] {report.start:%Y-%m-%d %H:%M} – {report.end:%Y-%m-%d %H:%M} UTC, "
        f"{count_of(len(report.tenants), 'tenant')}{marked}"
    )
    t = table(con, "TENANT", "ISOLATION", "PROMPT", "COMPLETION", "REQUESTS", "429", "PEAK TPM", "ALLOCATED", "COST")
    for row in report.tenants:
        totals = row.totals
        if row.visibility != "visible":
            cells = [f"[muted]{escape(row.visibility)}[/muted]"] + ["" for _ in range(6)]
        else:
            cost = row.cost
            cost_text = "-" if cost is None else f"{cost:,.2f}" + ("" if row.cost_complete else " *")
            cells = [
                f"{totals.prompt_tokens:,}",
                f"{totals.completion_tokens:,}",
                f"{totals.requests:,}",
                f"{totals.throttled_requests:,}",
                f"{row.peak_tpm:,}" + ("" if row.peak_basis == "minute" else " ~"),
                _allocated(row.allocated_tpm, row.allocated_ptu),
                cost_text,
            ]
        t.add_row(escape(row.tenant), escape(row.isolation), *cells)
    con.print(t)
    total = report.totals
    cost = report.cost
    money = "" if cost is None else f", cost {cost:,.2f} {escape(report.currency or '')}"
    con.print(
        f"Total: {total.prompt_tokens:,} prompt + {total.completion_tokens:,} completion tokens, "
        f"{total.requests:,} requests, {total.throttled_requests:,} throttled{money}"
    )
    con.print(
        "[muted]~ busiest interval's average (platform metrics at the granularity read; the gateway's is the "
        "busiest minute); * cost incomplete (a price is missing)[/muted]"
    )
    changes = [r for r in report.recommendations if r.action != "keep"]
    if changes:
        con.print(f"\n[heading]Right-sizing[/heading] ({count_of(len(changes), 'change')}; rules: docs/usage.md)")
        for r in changes:
            con.print(f"  {escape(r.tenant)}: {escape(r.evidence)}")
