"""``export diagram``: the graph from placement, and each format well-formed, deterministic and escaped."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenantctl.cli.app import app
from tenantctl.export.diagram import ISOLATION_COLOURS, FleetDiagram, diagram_for, to_dot, to_mermaid
from tenantctl.export.diagram_svg import NODE_H, NODE_W, to_svg
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import load_valid_manifest

from .conftest import EXAMPLE, HOSTILE, hostile_manifest_text

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).parent / "golden"


def _diagram(manifest: Manifest) -> FleetDiagram:
    return diagram_for(manifest)[0]


def parse_svg(text: str) -> ET.Element:
    """The ``<svg>`` element of text we generated ourselves (the point is to fail on malformed XML)."""
    return ET.fromstring(text[text.index("<svg") :])  # noqa: S314


def _boxes(svg: str) -> list[tuple[float, float, str, str]]:
    """(x, y, fill, title) of every node box."""
    root = parse_svg(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        rect = g.find(f"{SVG}rect")
        title = g.find(f"{SVG}title")
        assert rect is not None
        assert title is not None
        out.append((float(rect.get("x", "0")), float(rect.get("y", "0")), rect.get("fill", ""), title.text or ""))
    return out


@pytest.mark.parametrize("which", ["example", "hostile"])
def test_svg_is_well_formed_with_one_box_per_node_none_overlapping(which: str, request: Any) -> None:
    manifest: Manifest = request.getfixturevalue(which)
    diagram = _diagram(manifest)
    svg = to_svg(diagram)
    root = parse_svg(svg)  # raises on any unescaped <, & or quote
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    boxes = _boxes(svg)
    assert len(boxes) == len(diagram.nodes) == len({n.key for n in diagram.nodes})
    for x, y, _, _ in boxes:
        assert x >= 0
        assert x + NODE_W <= width
        assert y >= 0
        assert y + NODE_H <= height
    for i, (x1, y1, _, t1) in enumerate(boxes):
        for x2, y2, _, t2 in boxes[i + 1 :]:
            apart = x1 + NODE_W <= x2 or x2 + NODE_W <= x1 or y1 + NODE_H <= y2 or y2 + NODE_H <= y1
            assert apart, f"{t1!r} overlaps {t2!r}"
    assert len(root.findall(f"{SVG}path")) == len(diagram.edges)


def test_example_fleet_every_tenant_and_deployment_is_drawn_coloured_by_isolation(example: Manifest) -> None:
    diagram = _diagram(example)
    kinds = [n.kind for n in diagram.nodes]
    assert kinds.count("tenant") == len(example.tenants)
    assert kinds.count("stamp") == len(example.stamps)
    for node in diagram.nodes:
        if node.kind == "tenant":
            tenant_id = node.key.removeprefix("tenant:")
            assert node.colour == example.tenants[tenant_id].isolation.value
    titles = {n.title for n in diagram.nodes}
    # capacity on every deployment: TPM in thousands, PTU for provisioned SKUs
    assert "chat — 300K TPM" in titles
    assert "chat — 50 PTU" in titles
    assert "proseware--mini — 15K TPM" in titles
    details = {n.key: n.detail for n in diagram.nodes}
    assert details["tenant:bluesky"] == "shared · 100K TPM on chat, mini"
    fills = {fill for _, _, fill, _ in _boxes(to_svg(diagram))}
    assert {
        ISOLATION_COLOURS[i][0] for i in ("dedicated", "dedicated-deployment", "shared", "tenant-provided")
    } <= fills
    # a dedicated-deployment tenant's deployment hangs off the stamp account placement chose
    edges = {(e.source, e.target) for e in diagram.edges}
    account = next(n.key for n in diagram.nodes if n.title == "ctso-eu1--01")
    litware = next(n.key for n in diagram.nodes if n.title.startswith("litware--chat"))
    assert (account, litware) in edges
    assert ("tenant:litware", "stamp:eu1") in edges


def test_same_manifest_in_another_order_gives_the_same_bytes(example: Manifest) -> None:
    shuffled = example.model_copy(
        update={
            "tenants": dict(reversed(list(example.tenants.items()))),
            "stamps": dict(reversed(list(example.stamps.items()))),
        }
    )
    for render in (to_svg, to_mermaid, to_dot):
        assert render(_diagram(example)) == render(_diagram(shuffled)) == render(_diagram(example))


def test_a_full_stamp_grows_and_an_unplaceable_tenant_is_said_so(tmp_path: Path) -> None:
    # s1 holds 3 deployments an account: shared chat + markup's a, b fill account 1; unicode goes to 2.
    text = hostile_manifest_text() + (
        '\n[tenants.huge]\nisolation = "dedicated-deployment"\nstamp = "s1"\ndeployments = ['
        + ", ".join(
            f'{{ name = "dd{i}", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1 }}'
            for i in range(3)
        )
        + "]\n"
    )
    path = tmp_path / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    manifest = load_valid_manifest(path)[0]
    diagram, diagnostics = diagram_for(manifest)
    accounts = [n for n in diagram.nodes if n.kind == "account" and n.band == "stamp:s1"]
    assert [a.title for a in accounts] == ["pic-s1--01", "pic-s1--02"]
    by_key = {n.key: n for n in diagram.nodes}
    parents = {by_key[e.target].title: by_key[e.source].title for e in diagram.edges}
    assert parents["unicode--aa — 2K TPM"] == "pic-s1--02"
    assert parents["markup--bb — 1K TPM"] == "pic-s1--01"
    assert "NOT PLACED" in by_key["tenant:huge"].detail
    assert [(d.code, d.is_error) for d in diagnostics] == [("stamp-full", False)]  # drawn, not failed


def _mermaid_decode(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), text).replace("\u2060", "")


def test_mermaid_labels_keep_hostile_names_inside_their_quotes(hostile: Manifest) -> None:
    text = to_mermaid(_diagram(hostile))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    labels = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith(("%%", "end", "classDef ", "class ")) or re.fullmatch(r"n\d+ --> n\d+", stripped):
            continue
        match = re.fullmatch(r'(?:subgraph b\d+|n\d+)\["([^"]*)"\]', stripped)
        assert match, f"not a node or subgraph line: {line!r}"
        assert "<script" not in match[1]
        assert "`" not in match[1]
        labels.append(_mermaid_decode(match[1]))
    joined = "\n".join(labels)
    for name in HOSTILE.values():
        assert name in joined


def _dot_strings(text: str) -> tuple[str, list[str]]:
    """The text with quoted strings removed, and the strings decoded (\\" and \\\\ only)."""
    rest, strings, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c != '"':
            rest.append(c)
            i += 1
            continue
        j, value = i + 1, []
        while text[j] != '"':
            if text[j] == "\\":
                value.append(text[j : j + 2])
                j += 2
                continue
            value.append(text[j])
            j += 1
        strings.append("".join(value))
        rest.append('""')
        i = j + 1
    return "".join(rest), strings


def test_dot_is_a_balanced_digraph_with_escaped_labels(hostile: Manifest) -> None:
    text = to_dot(_diagram(hostile))
    skeleton, strings = _dot_strings(text)  # an unterminated string raises IndexError
    assert skeleton.count("{") == skeleton.count("}")
    body = [line.strip() for line in skeleton.splitlines()[1:] if line.strip()]
    assert body[0].startswith("digraph")
    assert body[-1] == "}"
    for line in body[1:-1]:
        assert line.endswith((";", "{", "}")), line
    decoded = "\n".join(s.replace("\\\\", "\0").replace('\\"', '"').replace("\0", "\\") for s in strings)
    for name in HOSTILE.values():
        assert name in decoded
    assert any(s.startswith('pic \\"prod\\"') for s in strings)  # the manifest name is the graph's id


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_accepts_the_dot(hostile: Manifest) -> None:
    done = subprocess.run(
        ["dot", "-Tsvg"], input=to_dot(_diagram(hostile)), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    parse_svg(done.stdout)


def test_svg_titles_carry_hostile_names_exactly(hostile: Manifest) -> None:
    svg = to_svg(_diagram(hostile))
    root = parse_svg(svg)
    titles = "\n".join(t.text or "" for t in root.iter(f"{SVG}title"))
    for name in HOSTILE.values():
        assert name in titles
    assert "<script>" not in svg


def test_cli_writes_each_format_and_refuses_to_replace_other_files(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    runner = CliRunner()
    for fmt in ("mermaid", "dot", "svg"):
        out = tmp_path / f"fleet.{fmt}"
        first = runner.invoke(app, ["export", "diagram", "--format", fmt, "--out", str(out), "-f", str(EXAMPLE)])
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["export", "diagram", "--format", fmt, "--out", str(out), "-f", str(EXAMPLE)])
        assert again.exit_code == 0, again.output  # its own earlier output may be replaced
    notes = tmp_path / "notes.md"
    notes.write_text("my notes\n", encoding="utf-8")
    refused = runner.invoke(app, ["export", "diagram", "--out", str(notes), "-f", str(EXAMPLE)])
    assert refused.exit_code == 1
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    assert "refusing to replace" in refused.output
    result = runner.invoke(app, ["export", "diagram", "--format", "dot", "-o", "json", "-f", str(EXAMPLE)])
    doc = json.loads(result.stdout)
    assert (doc["command"], doc["status"], doc["data"]["format"]) == ("export diagram", "success", "dot")
    assert doc["data"]["text"].startswith("// generated by tenantctl")


@pytest.mark.parametrize(("fmt", "render"), [("mmd", to_mermaid), ("dot", to_dot), ("svg", to_svg)])
def test_hostile_fleet_matches_its_golden_picture(fmt: str, render: Any, hostile: Manifest) -> None:
    """Byte for byte (TENANTCTL_UPDATE_GOLDENS=1 rewrites them: review the diff, and look at the SVG)."""
    actual = render(_diagram(hostile))
    path = GOLDEN / f"hostile.{fmt}"
    if os.environ.get("TENANTCTL_UPDATE_GOLDENS") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
