"""Collects manifest diagnostics, attaching the key path, line, file and tenant to each."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from tenantctl.diagnostics import Diagnostic, Diagnostics, Severity
from tenantctl.manifest.locate import LineIndex, Loc, format_path

__all__ = ["Reporter", "did_you_mean"]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` for the closest candidate, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


class Reporter:
    """Appends diagnostics located by key path; lines are looked up only when something is reported."""

    def __init__(self, text: str, file: str | None) -> None:
        self.lines = LineIndex(text)
        self.file = file
        self.diagnostics = Diagnostics()
        # Paths already reported as malformed: later checks of the same key would only repeat it.
        self.muted: set[Loc] = set()

    def _add(self, severity: Severity, code: str, summary: str, loc: Loc, detail: str) -> None:
        if loc in self.muted:
            return
        tenant = loc[1] if len(loc) > 1 and loc[0] == "tenants" and isinstance(loc[1], str) else None
        self.diagnostics.append(
            Diagnostic(
                severity,
                code,
                summary,
                detail=detail,
                path=format_path(loc),
                line=self.lines.line_for(loc) if loc else None,
                file=self.file,
                tenant=tenant,
            )
        )

    def error(self, code: str, summary: str, loc: Loc = (), detail: str = "") -> None:
        self._add(Severity.ERROR, code, summary, loc, detail)

    def warning(self, code: str, summary: str, loc: Loc = (), detail: str = "") -> None:
        self._add(Severity.WARNING, code, summary, loc, detail)

    def sorted(self) -> Diagnostics:
        """Diagnostics in file order (unlocated last), errors before warnings on the same line."""
        items = sorted(
            self.diagnostics.items,
            key=lambda d: (d.line if d.line is not None else 1 << 62, not d.is_error),
        )
        return Diagnostics(items)
