"""Diagnostics as values: problems with user input are collected and returned, never raised.

A loader keeps going after the first problem so the user sees every mistake at once. Each
diagnostic names *where* (a key path such as ``tenants.acme.deployments[0].capacity`` and,
when it can be found in the text, a line number) and *what* (a one-line summary plus detail).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantctl.errors import TenantctlError

__all__ = ["Diagnostic", "Diagnostics", "Severity", "assert_no_errors"]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's input or in the cloud, with where it is and how to fix it.

    ``code`` is a stable machine-readable identifier (``unknown-key``, ``quota-short`` ...) that
    scripts may branch on; ``summary`` and ``detail`` are for people and may change wording.
    """

    severity: Severity
    code: str
    summary: str
    detail: str = ""
    path: str = ""  # key path in the manifest, e.g. tenants.acme.deployments[0].capacity
    line: int | None = None  # 1-based line in the manifest file, when it can be located
    file: str | None = None
    tenant: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @classmethod
    def from_error(cls, exc: TenantctlError) -> Diagnostic:
        """An operational error as a diagnostic, so every failure reaches users the same way."""
        return cls(Severity.ERROR, exc.code, exc.message, detail=exc.hint)

    @classmethod
    def internal(cls, summary: str, detail: str = "") -> Diagnostic:
        return cls(Severity.ERROR, "internal", summary, detail=detail)

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "summary": self.summary,
            "detail": self.detail,
            "path": self.path or None,
            "line": self.line,
            "file": self.file,
            "tenant": self.tenant,
        }


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics; iterable, appendable, and asked ``has_errors``."""

    items: list[Diagnostic] = field(default_factory=list)

    def append(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def error(self, code: str, summary: str, **where: object) -> None:
        self.items.append(Diagnostic(Severity.ERROR, code, summary, **where))  # type: ignore[arg-type]

    def warning(self, code: str, summary: str, **where: object) -> None:
        self.items.append(Diagnostic(Severity.WARNING, code, summary, **where))  # type: ignore[arg-type]

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def assert_no_errors(diagnostics: Diagnostics) -> None:
    """Fail a test with every error listed, not just the first."""
    if diagnostics.has_errors:
        listing = "\n".join(f"{d.path or '-'}: {d.summary}" for d in diagnostics.errors)
        raise AssertionError(f"unexpected diagnostics:\n{listing}")
