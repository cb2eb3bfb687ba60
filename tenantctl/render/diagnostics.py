"""Human rendering of diagnostics: where (file:line and key path), what, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape

from tenantctl.diagnostics import Diagnostic

__all__ = ["diagnostic_lines", "print_diagnostics"]


def diagnostic_lines(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """Plain text, one block per diagnostic; used by the human view and by golden tests."""
    lines: list[str] = []
    for d in diagnostics:
        where = ""
        if d.file:
            where = d.file + (f":{d.line}" if d.line else "")
        elif d.line:
            where = f"line {d.line}"
        location = " ".join(part for part in (where, d.path) if part)
        head = f"{d.severity.value}: {d.summary}"
        lines.append(f"{head}" + (f"\n  at {location}" if location else ""))
        if d.detail:
            lines.extend(f"  {line}" for line in d.detail.splitlines())
    return lines


def print_diagnostics(console: Console, diagnostics: Iterable[Diagnostic]) -> None:
    for d in diagnostics:
        style = "error" if d.is_error else "warning"
        where = ""
        if d.file:
            where = d.file + (f":{d.line}" if d.line else "")
        elif d.line:
            where = f"line {d.line}"
        console.print(f"[{style}]{d.severity.value}[/{style}]: {escape(d.summary)}")
        location = " ".join(part for part in (where, d.path) if part)
        if location:
            console.print(f"  at [path]{escape(location)}[/path]")
        for line in d.detail.splitlines():
            console.print(f"  {escape(line)}")
