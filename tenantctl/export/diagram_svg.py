"""The fleet diagram as SVG, drawn without Graphviz: a fixed layered layout (pure, deterministic).

Four columns (tenants, stamps, accounts, deployments) and one horizontal band per home of tenants
(see :mod:`tenantctl.export.diagram`). Inside a band each column's boxes are centred on the band,
so a stamp sits level with its tenants and an account with its deployments; bands never interleave,
so edges cross only inside a band. No text measurement is available without a font engine: labels
are cut to a display width that fits the box at the font size used (full text in each box's
``<title>``, which browsers show as a tooltip and screen readers read).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from tenantctl.export.diagram import COLUMNS, GENERATED_BY, ISOLATION_COLOURS, DiagramNode, FleetDiagram, truncate

__all__ = ["LEGEND", "to_svg"]

MARGIN = 20
NODE_W = 256
NODE_H = 44
COL_GAP = 40
ROW = 54
BAND_TITLE = 20
BAND_PAD = 10
LEGEND_H = 30
HEADER_H = 26
TITLE_COLUMNS = 31  # display columns of a bold 12px title (DejaVu Sans is wide: ~7.8 px) in NODE_W
DETAIL_COLUMNS = 38  # of an 11px detail line (~6.5 px a column)
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

LEGEND: tuple[tuple[str, str], ...] = (
    ("dedicated", "dedicated: own account"),
    ("dedicated-deployment", "dedicated-deployment: own deployments on a stamp"),
    ("shared", "shared: stamp deployments, gateway budget"),
    ("tenant-provided", "tenant-provided: the tenant's own account"),
)
_HEADINGS = ("Tenants", "Stamps", "Accounts", "Deployments")


@dataclass(frozen=True)
class _Box:
    node: DiagramNode
    x: int
    y: int


def _layout(diagram: FleetDiagram) -> tuple[dict[str, _Box], list[tuple[str, int, int]], int]:
    """Boxes by node key, band rectangles (title, top, height), and the total height."""
    by_band: dict[str, list[list[DiagramNode]]] = defaultdict(lambda: [[] for _ in COLUMNS])
    for node in diagram.nodes:
        by_band[node.band][COLUMNS[node.kind]].append(node)
    boxes: dict[str, _Box] = {}
    bands = []
    top = MARGIN + LEGEND_H + HEADER_H
    for band in diagram.bands:
        columns = by_band[band.key]
        rows = max(len(c) for c in columns)
        head = BAND_TITLE if band.title else 0
        height = head + rows * ROW + BAND_PAD
        for col, nodes in enumerate(columns):
            offset = (rows - len(nodes)) * ROW // 2
            for i, node in enumerate(nodes):
                x = MARGIN + col * (NODE_W + COL_GAP)
                y = top + head + BAND_PAD // 2 + offset + i * ROW + (ROW - NODE_H) // 2
                boxes[node.key] = _Box(node, x, y)
        bands.append((band.title, top, height))
        top += height
    return boxes, bands, top + MARGIN


def _text(x: int, y: int, text: str, *, size: int, weight: str = "normal", fill: str = "#111111") -> str:
    return f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}">{escape(text)}</text>'


def _legend(width: int) -> list[str]:
    out = []
    x = MARGIN
    for colour, words in LEGEND:
        fill, border = ISOLATION_COLOURS[colour]
        out.append(
            f'<rect x="{x}" y="{MARGIN}" width="16" height="16" rx="3" fill="{fill}" stroke="{border}" '
            f'stroke-width="2"><title>{escape(words)}</title></rect>'
        )
        out.append(_text(x + 22, MARGIN + 13, words, size=11))
        x += 34 + round(len(words) * 6.6)
        if x > width - 200:
            break
    return out


def to_svg(diagram: FleetDiagram, *, standalone: bool = True) -> str:
    """The SVG document (``standalone``: with an XML declaration, for a ``.svg`` file) or the inline
    ``<svg>`` element for an HTML page."""
    boxes, bands, height = _layout(diagram)
    width = 2 * MARGIN + len(COLUMNS) * NODE_W + (len(COLUMNS) - 1) * COL_GAP
    name = diagram.manifest_name
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family={quoteattr(FONT)}>',
        f"<!-- {GENERATED_BY} -->",
        f"<title>{escape(f'Fleet of manifest {name}: tenants, stamps, accounts and deployments')}</title>",
        f"<desc>{len(diagram.nodes)} boxes, {len(diagram.edges)} links; colour and text give the "
        "isolation model of each.</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        *_legend(width),
    ]
    for col, heading in enumerate(_HEADINGS):
        x = MARGIN + col * (NODE_W + COL_GAP)
        parts.append(_text(x, MARGIN + LEGEND_H + 14, heading, size=13, weight="bold", fill="#374151"))
    for n, (title, top, band_height) in enumerate(bands):
        if n % 2 == 0:
            parts.append(f'<rect x="0" y="{top}" width="{width}" height="{band_height}" fill="#f7f8fa"/>')
        parts.append(f'<line x1="0" y1="{top}" x2="{width}" y2="{top}" stroke="#e5e7eb"/>')
        if title:
            parts.append(_text(MARGIN, top + 14, title, size=11, weight="bold", fill="#4b5563"))
    for edge in diagram.edges:
        a, b = boxes[edge.source], boxes[edge.target]
        x1, y1 = a.x + NODE_W, a.y + NODE_H // 2
        x2, y2 = b.x, b.y + NODE_H // 2
        mid = (x1 + x2) // 2
        parts.append(
            f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" fill="none" stroke="#8b95a3" '
            f'stroke-width="1.2"><title>{escape(f"{a.node.title} → {b.node.title}")}</title></path>'
        )
    for box in boxes.values():
        node = box.node
        fill, border = ISOLATION_COLOURS[node.colour]
        parts.append(
            f"<g><title>{escape(f'{node.title} — {node.detail}')}</title>"
            f'<rect x="{box.x}" y="{box.y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
            f'stroke="{border}" stroke-width="1.5"/>'
            + _text(box.x + 8, box.y + 18, truncate(node.title, TITLE_COLUMNS), size=12, weight="bold")
            + _text(box.x + 8, box.y + 35, truncate(node.detail, DETAIL_COLUMNS), size=11, fill="#1f2937")
            + "</g>"
        )
    parts.append("</svg>")
    body = "\n".join(parts) + "\n"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body if standalone else body
