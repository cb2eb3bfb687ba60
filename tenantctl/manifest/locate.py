"""Find the line where a key path is written in TOML text.

``tomllib`` and ``tomlkit`` keep no source positions, so this scanner walks the text once and
records the 1-based line of every table header, ``key =`` line, dotted key, inline-table key and
array element, keyed by path tuples such as ``("tenants", "acme", "deployments", 0, "capacity")``.
It runs only on text ``tomllib`` has accepted and only when there is something to report; it is
best effort and never raises (a scan that stumbles keeps what it found so far).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from dataclasses import dataclass

from tenantctl.manifest._toml import tomllib

__all__ = ["LineIndex", "Loc", "TextLayout", "format_path", "table_headers", "text_layout"]

Loc = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BARE_PATH_PART = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"[ \t]*")
_SPACE_NL_COMMENT = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_SCALAR = re.compile(r"[^,\]\}\s#]+(?: [0-9][^,\]\}\s#]*)?")  # also "1979-05-27 07:32:00"
_BASIC = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LITERAL = re.compile(r"'[^'\n]*'")
_ML_BASIC = re.compile(r'"""(?:[^\\]|\\.)*?"""(?!")|"""(?:[^\\]|\\.)*?""""{1,2}', re.DOTALL)
_ML_LITERAL = re.compile(r"'''.*?'''(?!')|'''.*?''''{1,2}", re.DOTALL)


def format_path(loc: Loc) -> str:
    """``("tenants", "acme", "deployments", 0, "capacity")`` → ``tenants.acme.deployments[0].capacity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE_PATH_PART.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{text}" if out else text
    return out


def table_headers(text: str) -> list[tuple[int, Loc]] | None:
    """``(line, path)`` of every ``[table]`` / ``[[array]]`` header in order; ``None`` if the scan failed."""
    scanner = _Scanner(text)
    scanner.scan()
    return scanner.headers if scanner.complete else None


@dataclass(frozen=True)
class TextLayout:
    """Where things are written, as character offsets (for edits that must keep every other byte).

    ``headers``: ``(offset of the header, path)`` of every ``[table]`` / ``[[array]]`` header in order
    (array-of-tables paths end with the element's index). ``statements``: ``(table, full path)`` of
    every top-level ``key = value`` in order. ``spans``: path → ``(key start, value start, value end)``
    of every key and array element (an element's key start is its value start).
    """

    headers: list[tuple[int, Loc]]
    statements: list[tuple[Loc, Loc]]
    spans: dict[Loc, tuple[int, int, int]]


def text_layout(text: str) -> TextLayout | None:
    """The :class:`TextLayout` of ``text``; ``None`` if the scan failed."""
    scanner = _Scanner(text)
    scanner.scan()
    if not scanner.complete:
        return None
    return TextLayout(scanner.header_offsets, scanner.statements, scanner.spans)


class _StopError(Exception):
    """The scanner met something it does not understand; keep what was found."""


class LineIndex:
    """Lazily built map from key paths to the line that writes them."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._index: dict[Loc, int] | None = None

    def line_for(self, loc: Loc) -> int | None:
        """The line of ``loc``, else of its nearest written ancestor, else ``None``."""
        if self._index is None:
            self._index = _Scanner(self._text).scan()
        loc = tuple(loc)
        while loc:
            line = self._index.get(loc)
            if line is not None:
                return line
            loc = loc[:-1]
        return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.index: dict[Loc, int] = {}
        self.aot: dict[Loc, int] = {}  # array-of-tables path → index of its latest element
        self.headers: list[tuple[int, Loc]] = []
        self.header_offsets: list[tuple[int, Loc]] = []
        self.statements: list[tuple[Loc, Loc]] = []
        self.spans: dict[Loc, tuple[int, int, int]] = {}
        self.complete = False

    def scan(self) -> dict[Loc, int]:
        with contextlib.suppress(_StopError, IndexError, tomllib.TOMLDecodeError, RecursionError):
            self._document()
            self.complete = True
        return self.index

    def _line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def _record(self, loc: Loc, pos: int) -> None:
        self.index.setdefault(loc, self._line(pos))

    def _skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.s, self.i)
        if match:
            self.i = match.end()

    def _document(self) -> None:
        table: Loc = ()
        n = len(self.s)
        while True:
            self._skip(_SPACE_NL_COMMENT)
            if self.i >= n:
                return
            start = self.i
            if self.s.startswith("[[", self.i):
                self.i += 2
                table = self._header(self._key(), start, array=True)
                self._expect("]]")
            elif self.s[self.i] == "[":
                self.i += 1
                table = self._header(self._key(), start, array=False)
                self._expect("]")
            else:
                parts = self._key()
                self._record(table + parts, start)
                self._expect("=")
                self.statements.append((table, table + parts))
                self._value(table + parts, start)

    def _header(self, parts: tuple[str, ...], start: int, *, array: bool) -> Loc:
        loc: Loc = ()
        for n, part in enumerate(parts):
            loc = (*loc, part)
            last = n == len(parts) - 1
            if last and array:
                self.aot[loc] = self.aot.get(loc, -1) + 1
            if loc in self.aot:
                self._record(loc, start)
                loc = (*loc, self.aot[loc])
            self._record(loc, start)
        self.headers.append((self._line(start), loc))
        self.header_offsets.append((start, loc))
        return loc

    def _expect(self, token: str) -> None:
        self._skip(_SPACE)
        if not self.s.startswith(token, self.i):
            raise _StopError
        self.i += len(token)

    def _key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self._skip(_SPACE)
            match = _BASIC.match(self.s, self.i) or _LITERAL.match(self.s, self.i) or _BARE_KEY.match(self.s, self.i)
            if match is None:
                raise _StopError
            raw = match.group()
            parts.append(tomllib.loads(f"k = {raw}")["k"] if raw[0] in "\"'" else raw)
            self.i = match.end()
            self._skip(_SPACE)
            if self.s.startswith(".", self.i):
                self.i += 1
                continue
            return tuple(parts)

    def _value(self, loc: Loc, key_start: int | None = None) -> None:
        self._skip(_SPACE)
        start = self.i
        c = self.s[self.i]
        if c == "{":
            self.i += 1
            self._inline_table(loc)
        elif c == "[":
            self.i += 1
            self._array(loc)
        else:
            for pattern in (_ML_BASIC, _ML_LITERAL, _BASIC, _LITERAL, _SCALAR):
                match = pattern.match(self.s, self.i)
                if match:
                    self.i = match.end()
                    break
            else:
                raise _StopError
        self.spans.setdefault(loc, (start if key_start is None else key_start, start, self.i))

    def _inline_table(self, loc: Loc) -> None:
        while True:
            self._skip(_SPACE_NL_COMMENT)
            if self.s[self.i] == "}":
                self.i += 1
                return
            start = self.i
            parts = self._key()
            self._record(loc + parts, start)
            self._expect("=")
            self._value(loc + parts, start)
            self._skip(_SPACE_NL_COMMENT)
            if self.s[self.i] == ",":
                self.i += 1

    def _array(self, loc: Loc) -> None:
        index = 0
        while True:
            self._skip(_SPACE_NL_COMMENT)
            if self.s[self.i] == "]":
                self.i += 1
                return
            self._record((*loc, index), self.i)
            self._value((*loc, index))
            self._skip(_SPACE_NL_COMMENT)
            if self.s[self.i] == ",":
                self.i += 1
            index += 1
