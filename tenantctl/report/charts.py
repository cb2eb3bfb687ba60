"""Horizontal bar charts as inline SVG (no script, no fonts to fetch): the report's charts.

Each bar is labelled in text on the left and its value in words on the right, so a chart reads the
same printed in black and white or through a screen reader (every shape has a ``<title>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tenantctl.export.diagram import truncate

__all__ = ["Bar", "Segment", "bar_chart"]

LABEL_W = 250
BAR_W = 440
VALUE_W = 250
ROW_H = 24
BAR_H = 14
TOP = 8
LEGEND_H = 22
LABEL_COLUMNS = 32  # ~7 px a column at 12px: fits LABEL_W
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Segment:
    value: float
    colour: str
    name: str  # what the segment is, for its tooltip and the legend


@dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    text: str  # the value in words, shown right of the bar
    limit: float | None = None  # a marker: capacity, quota limit, allocation
    limit_name: str = ""  # the marker's tooltip, with its value in words


def _scale(bars: Sequence[Bar]) -> float:
    top = max((max(sum(s.value for s in b.segments), b.limit or 0.0) for b in bars), default=0.0)
    return top if top > 0 else 1.0


def bar_chart(
    title: str, bars: Sequence[Bar], *, legend: Sequence[tuple[str, str]] = (), limit_legend: str = ""
) -> str:
    """An ``<svg>`` with one row per bar, all on one linear scale from zero; ``legend`` = (colour, name)
    of the segments, ``limit_legend`` names the black marker line."""
    scale = BAR_W / _scale(bars)
    head = LEGEND_H if legend or limit_legend else 0
    width = LABEL_W + BAR_W + VALUE_W
    height = TOP + head + len(bars) * ROW_H + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    x = LABEL_W
    for colour, name in legend:
        out.append(
            f'<rect x="{x}" y="{TOP}" width="12" height="12" fill="{colour}"><title>{escape(name)}</title></rect>'
        )
        out.append(f'<text x="{x + 16}" y="{TOP + 10}" fill="#111111">{escape(name)}</text>')
        x += 36 + round(len(name) * 6.8)
    if limit_legend:
        out.append(
            f'<line x1="{x + 6}" y1="{TOP - 2}" x2="{x + 6}" y2="{TOP + 14}" stroke="#111111" stroke-width="2"/>'
        )
        out.append(f'<text x="{x + 16}" y="{TOP + 10}" fill="#111111">{escape(limit_legend)}</text>')
    for n, bar in enumerate(bars):
        y = TOP + head + n * ROW_H
        mid = y + ROW_H // 2
        out.append(
            f'<text x="{LABEL_W - 8}" y="{mid + 4}" text-anchor="end" fill="#111111">'
            f"<title>{escape(bar.label)}</title>{escape(truncate(bar.label, LABEL_COLUMNS))}</text>"
        )
        out.append(f'<rect x="{LABEL_W}" y="{mid - BAR_H // 2}" width="{BAR_W}" height="{BAR_H}" fill="#f1f3f5"/>')
        left = float(LABEL_W)
        for seg in bar.segments:
            w = max(0.0, seg.value * scale)
            if w <= 0:
                continue
            out.append(
                f'<rect x="{left:.1f}" y="{mid - BAR_H // 2}" width="{w:.1f}" height="{BAR_H}" fill="{seg.colour}">'
                f"<title>{escape(f'{bar.label}: {seg.name} {seg.value:,.0f}')}</title></rect>"
            )
            left += w
        if bar.limit is not None:
            lx = LABEL_W + bar.limit * scale
            out.append(
                f'<line x1="{lx:.1f}" y1="{mid - BAR_H // 2 - 3}" x2="{lx:.1f}" y2="{mid + BAR_H // 2 + 3}" '
                f'stroke="#111111" stroke-width="2"><title>{escape(f"{bar.label}: {bar.limit_name}")}'
                "</title></line>"
            )
        out.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{mid + 4}" fill="#1f2937">{escape(bar.text)}</text>')
    out.append("</svg>")
    return "\n".join(out)
