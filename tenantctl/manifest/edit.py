"""Edit ``tenants.toml`` the way a careful person would: change one value, keep every other byte.

Edits work on the text, not on a re-serialised document: :func:`tenantctl.manifest.locate.text_layout`
gives the offsets of every header, ``key = value`` statement, inline-table entry and array element,
and an edit replaces, inserts or deletes exactly those characters.  Comments (inline ones on the
edited line too), blank lines, key order, quoting, arrays of tables, dotted keys, sub-tables far
from their tenant and CRLF line endings therefore survive by construction, in every layout TOML
allows.  (tomlkit re-renders what it touches: it turned ``[[tenants.X.deployments]]`` into an inline
array and dropped the comment on an edited line.)

Removing a tenant deletes its tables, its keys, and the comment lines glued above one of its headers
from the first line that names the tenant (its id or display name): a banner such as
``# ---- shared tenants ----`` right above the tenant introduces the section and stays.

Edits never raise on bad input: they return an :class:`EditResult` whose ``text`` is ``None``
when the edit is refused or the edited manifest would not validate.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest._toml import tomllib
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.locate import Loc, TextLayout, format_path, text_layout
from tenantctl.manifest.model import Isolation
from tenantctl.manifest.names import check_id
from tenantctl.manifest.report import did_you_mean
from tenantctl.manifest.semantics import allowed_keys

__all__ = [
    "EditResult",
    "add_tenant",
    "remove_tenant",
    "set_paths",
    "set_tenant_fields",
    "tenant_text",
    "write_atomically",
]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Deeper values are refused before they are rendered: nothing in the manifest nests beyond 4 levels,
# and Python's recursion limit (about 1,000 frames) must never be what stops a hostile value.
MAX_VALUE_DEPTH = 32
_MISSING = object()


@dataclass(frozen=True)
class EditResult:
    """The edited text (``None`` if refused), whether it differs from the input, and diagnostics."""

    text: str | None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    changed: bool = False


class _RefusedError(Exception):
    """An edit that cannot be made; becomes one error diagnostic."""

    def __init__(self, code: str, summary: str, detail: str = "") -> None:
        super().__init__(summary)
        self.code, self.summary, self.detail = code, summary, detail


def _refuse(code: str, summary: str, tenant: str | None = None, detail: str = "") -> EditResult:
    diagnostics = Diagnostics()
    path = f"tenants.{tenant}" if tenant else ""
    diagnostics.error(code, summary, detail=detail, path=path, tenant=tenant)
    return EditResult(None, diagnostics)


def _guarded(tenant_id: str, edit: Any) -> EditResult:
    """Run ``edit()``; every way it can fail on bad input becomes a diagnostic, never a traceback."""
    try:
        result: EditResult = edit()
        return result
    except _RefusedError as refused:
        return _refuse(refused.code, refused.summary, tenant_id, refused.detail)
    except tomllib.TOMLDecodeError as exc:
        return _refuse("toml-syntax", f"cannot edit the manifest: it is not valid TOML ({exc})", tenant_id)
    except RecursionError:
        return _refuse("too-deep", "cannot edit the manifest: its values are nested too deeply", tenant_id)


# --------------------------------------------------------------------------------------- rendering
def _key(key: str) -> str:
    if _BARE_KEY.fullmatch(key):
        return key
    return json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON leaves DEL raw; TOML does not


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(_key(str(part)) for part in path)


def _render(value: Any) -> str:
    """TOML text for a value in the manifest's house style: ``{ k = v }``, 2-space multi-line arrays."""
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_render(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, (list, tuple)):
        items = [_render(v) for v in value]
        if len(items) > 1 and any(isinstance(v, dict) for v in value):
            return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
        return "[" + ", ".join(items) + "]"
    return str(tomlkit.item(value).as_string())


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    """Refuse what cannot be written as UTF-8 TOML: lone surrogates (a ``\\xff`` byte on the command
    line arrives as one) and hostile nesting."""
    if depth > MAX_VALUE_DEPTH:
        raise _RefusedError("too-deep", f"the value of {where!r} is nested more than {MAX_VALUE_DEPTH} levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _RefusedError(
                "encoding",
                f"{where!r} contains {value[exc.start]!r}, which is not UTF-8 text",
                detail="A byte that is not UTF-8 (such as \\xff) or a lone surrogate cannot be written to the "
                "manifest, which is UTF-8 text. Pass the value as UTF-8.",
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where, depth + 1)
            _check_value(item, where, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_value(item, where, depth + 1)


def _same(a: Any, b: Any) -> bool:
    """Equal as TOML values (``true`` is not ``1``, ``1.0`` is not ``1``)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


# ------------------------------------------------------------------------------------- text helpers
def _newline(text: str) -> str:
    """The file's line ending: lines an edit adds to a CRLF (Windows) file are CRLF too."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf == text.count("\n") else "\n"


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end + 1


def _scan(text: str) -> tuple[TextLayout, dict[str, Any]]:
    document = tomllib.loads(text)
    layout = text_layout(text)
    if layout is None:
        raise _RefusedError("toml-syntax", "cannot edit the manifest: its layout could not be followed")
    return layout, document


def _lookup(document: Any, path: Loc) -> Any:
    value = document
    for part in path:
        in_table = isinstance(value, dict) and isinstance(part, str) and part in value
        in_array = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if in_table or in_array:
            value = value[part]
        else:
            return _MISSING
    return value


def _block(text: str, layout: TextLayout, index: int) -> tuple[int, int]:
    """``[start, end)`` of header ``index``'s own lines: the header to the line of its last value.

    Comments and blank lines after the last value introduce what follows, so they are not included.
    """
    start = layout.headers[index][0]
    limit = layout.headers[index + 1][0] if index + 1 < len(layout.headers) else len(text)
    end = _line_end(text, start)
    for _, path in layout.statements:
        key_start, _, value_end = layout.spans[path]
        if start <= key_start < limit:
            end = max(end, _line_end(text, value_end))
    return _line_start(text, start), end


def _insert_line(text: str, pos: int, line: str, newline: str) -> str:
    if pos == len(text) and text and not text.endswith("\n"):
        return text + newline + line
    return text[:pos] + line + newline + text[pos:]


def _append_block(text: str, block: str, newline: str) -> str:
    """``block`` at the end, after one blank line (none if the file already ends with one)."""
    if not text:
        return block
    if text.endswith("\n\n") or text.endswith("\n\r\n"):
        return text + block
    return text + (newline if text.endswith("\n") else newline * 2) + block


# ------------------------------------------------------------------------------------------ insert
def _insert(text: str, layout: TextLayout, table: Loc, key: str, rendered: str) -> str:
    """Add ``key = rendered`` to ``table`` where that table is written (inline, header or dotted keys)."""
    newline = _newline(text)
    entry = f"{_key(key)} = {rendered}"
    span = layout.spans.get(table)
    if span is not None and text[span[1]] == "{":
        close = span[2] - 1
        end = close
        while text[end - 1] in " \t":
            end -= 1
        if text[end - 1] == "{":
            return text[: span[1]] + "{ " + entry + " }" + text[span[2] :]
        return text[:end] + ", " + entry + text[end:]
    for index, (_, loc) in enumerate(layout.headers):
        if loc == table:
            return _insert_line(text, _block(text, layout, index)[1], entry, newline)
    last: tuple[Loc, Loc] | None = None
    for header, path in layout.statements:  # a table made by dotted keys: `acme.tpm = 1` under [tenants]
        if len(header) < len(table) < len(path) and path[: len(table)] == table:
            last = (header, path)
    if last is not None:
        header, path = last
        prefix = _dotted(table[len(header) :])
        return _insert_line(text, _line_end(text, layout.spans[path][2]), f"{prefix}.{entry}", newline)
    # Only sub-tables are written ([tenants.acme.tags] without [tenants.acme]): TOML lets the
    # table's own header come after them.
    return _append_block(text, f"[{_dotted(table)}]{newline}{entry}{newline}", newline)


# ------------------------------------------------------------------------------------------ delete
def _mentions(words: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = [re.escape(w) for w in words if w]
    if not alternatives:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


def _owned_comments(text: str, layout: TextLayout, start: int, mention: re.Pattern[str] | None) -> int:
    """Start of the comment lines glued above ``start`` that are about the removed tenant: from the
    topmost one that names it.  A banner glued above it (``# ---- shared tenants ----``) stays."""
    if mention is None:
        return start
    floor = max((end for _, _, end in layout.spans.values() if end <= start), default=0)
    owned = pos = start
    while pos > floor:
        line_start = _line_start(text, pos - 1)
        line = text[line_start:pos]
        if line_start < floor or not line.lstrip().startswith("#"):
            break
        if mention.search(line):
            owned = line_start
        pos = line_start
    return owned


def _delete_inline_entry(text: str, table: tuple[int, int, int], entry: tuple[int, int, int]) -> str:
    key_start, _, value_end = entry
    after = value_end
    while text[after] in " \t":
        after += 1
    if text[after] == ",":
        after += 1
        while text[after] in " \t":
            after += 1
        return text[:key_start] + text[after:]
    before = key_start
    while text[before - 1] in " \t":
        before -= 1
    if text[before - 1] == ",":
        before -= 1
        while text[before - 1] in " \t":
            before -= 1
        return text[:before] + text[value_end:]
    return text[: table[1]] + "{}" + text[table[2] :]


def _with_separator(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a removed run of tables by the blank lines before it (the separator ``add`` writes), or,
    when it is glued to what precedes it, by the blank lines after it."""
    pos = start
    while pos > 0:
        line_start = _line_start(text, pos - 1)
        if text[line_start:pos].strip():
            break
        pos = line_start
    if pos < start:
        return pos, end
    pos = end
    while pos < len(text):
        line_end = _line_end(text, pos)
        if text[pos:line_end].strip():
            break
        pos = line_end
    return start, pos


def _delete(text: str, layout: TextLayout, path: Loc, mention: re.Pattern[str] | None = None) -> str | None:
    """``text`` without ``path`` (its key, its tables, its dotted keys); ``None`` if it is not written."""
    span = layout.spans.get(path)
    parent = layout.spans.get(path[:-1])
    if span is not None and parent is not None and parent[1] < span[0] < parent[2]:
        if text[parent[1]] != "{":
            raise _RefusedError("bad-assignment", f"{format_path(path)!r} is an array element; set the whole array")
        return _delete_inline_entry(text, parent, span)
    ranges: list[tuple[int, int, bool]] = []
    for header, statement in layout.statements:
        if statement[: len(path)] == path and header[: len(path)] != path:
            key_start, _, value_end = layout.spans[statement]
            ranges.append((_line_start(text, key_start), _line_end(text, value_end), False))
    for index, (_, loc) in enumerate(layout.headers):
        if loc[: len(path)] == path:
            start, end = _block(text, layout, index)
            ranges.append((_owned_comments(text, layout, start, mention), end, True))
    if not ranges:
        return None
    runs: list[list[Any]] = []
    for start, end, is_table in sorted(ranges):
        if runs and not text[runs[-1][1] : start].strip():  # only blank lines between: one run
            runs[-1][1] = max(runs[-1][1], end)
            runs[-1][2] = runs[-1][2] or is_table
        else:
            runs.append([start, end, is_table])
    for run_start, run_end, is_table in reversed(runs):
        start, end = _with_separator(text, run_start, run_end) if is_table else (run_start, run_end)
        text = text[:start] + text[end:]
    return text


# --------------------------------------------------------------------------------------------- set
def _set_path(text: str, path: Loc, value: Any) -> str:
    """``text`` with ``path`` set to ``value`` (``None``: removed); every other byte kept."""
    layout, document = _scan(text)
    current = _lookup(document, path)
    if value is None:
        if current is _MISSING:
            parent = _lookup(document, path[:-1])
            hint = did_you_mean(str(path[-1]), parent) if isinstance(parent, dict) else ""
            raise _RefusedError("unknown-key", f"there is no {format_path(path[2:])!r} to unset{hint}")
        removed = _delete(text, layout, path)
        if removed is None:
            raise _RefusedError("unknown-key", f"{format_path(path[2:])!r} is not written in the manifest")
        return removed
    if current is not _MISSING and _same(current, value):
        return text
    newline = _newline(text)
    span = layout.spans.get(path)
    if current is not _MISSING and span is not None:
        return text[: span[1]] + _render(value).replace("\n", newline) + text[span[2] :]
    if current is not _MISSING:  # written as tables ([[…deployments]], [tenants.x.tags]) or dotted keys
        rewritten = _rewrite_array_of_tables(text, layout, path, value, newline)
        if rewritten is not None:
            return rewritten
        removed = _delete(text, layout, path)
        text = text if removed is None else removed
        layout, document = _scan(text)
    for depth in range(1, len(path)):
        found = _lookup(document, path[:depth])
        if found is _MISSING:
            break
        if not isinstance(found, (dict, list)):
            raise _RefusedError(
                "invalid-type",
                f"{format_path(path[2:depth])!r} is not a table, so {format_path(path[2:])!r} cannot be set in it",
            )
    else:
        depth = len(path)
    nested: Any = value
    for name in reversed(path[depth:]):
        nested = {name: nested}
    rendered = _render(nested).replace("\n", newline)
    return _insert(text, layout, path[: depth - 1], str(path[depth - 1]), rendered)


def _rewrite_array_of_tables(text: str, layout: TextLayout, path: Loc, value: Any, newline: str) -> str | None:
    """A new array of tables written where the old ``[[path]]`` elements were, as ``[[path]]`` again."""
    elements = [n for n, (_, loc) in enumerate(layout.headers) if loc[:-1] == path and isinstance(loc[-1], int)]
    if not elements or not value or not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return None
    header = f"[[{_dotted(path)}]]{newline}"
    blocks = [header + "".join(f"{_key(k)} = {_render(v)}{newline}" for k, v in item.items()) for item in value]
    first_start, first_end = _block(text, layout, elements[0])
    for index in reversed(elements[1:]):
        start, end = _with_separator(text, *_block(text, layout, index))
        text = text[:start] + text[end:]
    return text[:first_start] + newline.join(blocks) + text[first_end:]


def _plan(tenant: dict[str, Any], assignments: dict[str, object]) -> list[tuple[str, object]]:
    """The assignments in the order they are made; setting ``isolation`` drops the keys the new model
    does not use (they would make the tenant invalid), unless they are set in the same edit."""
    plan = [(k, v) for k, v in assignments.items() if not k.startswith("deployments.")]
    isolation = assignments.get("isolation")
    if isinstance(isolation, str) and isolation in {i.value for i in Isolation}:
        allowed = allowed_keys(Isolation(isolation))
        plan += [(key, None) for key in tenant if key not in allowed and key not in assignments]
    return plan + [(k, v) for k, v in assignments.items() if k.startswith("deployments.")]


def _tenant_path(text: str, tenant_id: str, dotted: str) -> Loc:
    """The document path of a tenant key; ``deployments.NAME.FIELD`` names a deployment by its name."""
    parts: list[str | int] = ["tenants", tenant_id, *dotted.split(".")]
    if len(parts) > 3 and parts[2] == "deployments":
        if len(parts) != 5:
            raise _RefusedError(
                "bad-assignment", f"{dotted!r}: write deployments.NAME.FIELD (e.g. deployments.chat.capacity)"
            )
        deployments = _lookup(tomllib.loads(text), ("tenants", tenant_id, "deployments"))
        if deployments is _MISSING or not deployments:
            raise _RefusedError(
                "unknown-deployment",
                f"the tenant has no deployments of its own to change {parts[3]!r} in (it uses the [defaults] ones)",
                detail="Give it its own array: deployments='[{ name = \"chat\", capacity = 10 }]' "
                "(model, version and sku still come from [defaults]).",
            )
        if not isinstance(deployments, list):
            raise _RefusedError("invalid-type", f"'deployments' is not an array, so {dotted!r} cannot be set")
        names = [d.get("name") if isinstance(d, dict) else None for d in deployments]
        if parts[3] not in names:
            known = ", ".join(str(n) for n in names) or "none"
            raise _RefusedError(
                "unknown-deployment",
                f"the tenant has no deployment {parts[3]!r} (it has: {known})",
                detail="Set the whole array instead: deployments='[{ name = \"chat\", capacity = 10 }]'.",
            )
        parts[3] = names.index(parts[3])
    return tuple(parts)


def set_tenant_fields(text: str, tenant_id: str, assignments: dict[str, object]) -> EditResult:
    """Set (or, with ``None``, remove) keys of one tenant: ``"network.public_access"`` reaches into a
    table, ``"deployments.chat.capacity"`` into the deployment named ``chat``."""

    def edit() -> EditResult:
        tenants = tomllib.loads(text).get("tenants")
        if not isinstance(tenants, dict) or tenant_id not in tenants:
            known = list(tenants) if isinstance(tenants, dict) else []
            raise _RefusedError("unknown-tenant", f"no tenant {tenant_id!r}{did_you_mean(tenant_id, known)}")
        tenant = tenants[tenant_id]
        if not isinstance(tenant, dict):
            raise _RefusedError("invalid-type", f"tenant {tenant_id!r} is not a table")
        new_text = text
        for dotted, value in _plan(tenant, assignments):
            _check_value(dotted, dotted)
            _check_value(value, dotted)
            new_text = _set_path(new_text, _tenant_path(new_text, tenant_id, dotted), value)
        return _finish(text, new_text, new_text != text)

    return _guarded(tenant_id, edit)


def set_paths(text: str, assignments: Iterable[tuple[Loc, object]]) -> EditResult:
    """Set values anywhere in the manifest by document path (``("stamps", "eu1", "deployments", 0,
    "version")``), then validate once: an edit spanning many tenants and stamps (``tenantctl upgrade``)
    is made whole or not at all."""

    def edit() -> EditResult:
        new_text = text
        for path, value in assignments:
            _check_value(value, format_path(path))
            new_text = _set_path(new_text, path, value)
        return _finish(text, new_text, new_text != text)

    return _guarded("", edit)


def _finish(text: str, new_text: str, changed: bool) -> EditResult:
    """Validate the edited manifest; refuse it when it has errors."""
    result = parse_manifest(new_text)
    if result.diagnostics.has_errors:
        return EditResult(None, result.diagnostics)
    return EditResult(new_text if changed else text, result.diagnostics, changed)


# ------------------------------------------------------------------------------------- add, remove
def add_tenant(text: str, tenant_id: str, fields: dict[str, Any]) -> EditResult:
    """Append ``[tenants.<id>]`` with ``fields``; same fields again is a no-op, other fields a conflict."""

    def edit() -> EditResult:
        problem = check_id("tenant", tenant_id, 2, 24)
        if problem:
            raise _RefusedError("invalid-name", problem)
        for key, value in fields.items():
            _check_value(key, key)
            _check_value(value, key)
        tenants = tomllib.loads(text).get("tenants")
        if isinstance(tenants, dict) and tenant_id in tenants:
            existing = tenants[tenant_id] if isinstance(tenants[tenant_id], dict) else {}
            if _same(existing, fields):
                return _finish(text, text, changed=False)
            differing = sorted(k for k in set(existing) | set(fields) if not _same(existing.get(k), fields.get(k)))
            raise _RefusedError(
                "tenant-exists",
                f"tenant {tenant_id!r} already exists with different {', '.join(differing)}",
                detail="Use `tenantctl tenant set` to change an existing tenant.",
            )
        newline = _newline(text)
        body = f"[tenants.{tenant_id}]{newline}" + "".join(
            f"{_key(k)} = {_render(v).replace(chr(10), newline)}{newline}" for k, v in fields.items()
        )
        new_text = _append_block(text, body, newline)
        try:
            tomllib.loads(new_text)
        except tomllib.TOMLDecodeError:  # `tenants` is an inline table or dotted keys: add it there
            new_text = _set_path(text, ("tenants", tenant_id), fields)
        return _finish(text, new_text, changed=True)

    return _guarded(tenant_id, edit)


def remove_tenant(text: str, tenant_id: str) -> EditResult:
    """Delete the tenant's tables and keys (and comments glued above it that name it); refuses protected tenants."""

    def edit() -> EditResult:
        layout, document = _scan(text)
        tenants = document.get("tenants")
        if not isinstance(tenants, dict) or tenant_id not in tenants:
            known = list(tenants) if isinstance(tenants, dict) else []
            raise _RefusedError("unknown-tenant", f"no tenant {tenant_id!r}{did_you_mean(tenant_id, known)}")
        tenant = tenants[tenant_id] if isinstance(tenants[tenant_id], dict) else {}
        if tenant.get("protected") is True:
            raise _RefusedError(
                "protected",
                f"tenant {tenant_id!r} is protected and cannot be removed",
                detail="Set `protected = false` first (a separate, reviewable change).",
            )
        name = tenant.get("display_name")
        mention = _mentions([tenant_id, name if isinstance(name, str) else ""])
        new_text = _delete(text, layout, ("tenants", tenant_id), mention)
        if new_text is None:
            raise _RefusedError("unknown-tenant", f"tenant {tenant_id!r} is not written in the manifest")
        return _finish(text, new_text, changed=True)

    return _guarded(tenant_id, edit)


def tenant_text(text: str, tenant_id: str) -> str | None:
    """The tenant's own TOML as written in ``text`` (its tables' lines), or ``None`` if it has none.

    Tenants written inline or with dotted keys are rendered as one ``[tenants.<id>]`` table.
    """
    try:
        layout, document = _scan(text)
        tenant = _lookup(document, ("tenants", tenant_id))
        if not isinstance(tenant, dict):
            return None
        own = ("tenants", tenant_id)
        blocks = [_block(text, layout, n) for n, (_, loc) in enumerate(layout.headers) if loc[:2] == own]
        if blocks and not any(s[:2] == own and h[:2] != own for h, s in layout.statements):
            parts = [text[start:end] for start, end in blocks]
            # tables written one after the other stay so; tables far apart are shown a blank line apart
            return "".join(
                (_newline(text) if n and blocks[n - 1][1] != blocks[n][0] else "") + part
                for n, part in enumerate(parts)
            )
        return f"[tenants.{tenant_id}]\n" + "".join(f"{_key(k)} = {_render(v)}\n" for k, v in tenant.items())
    except Exception:  # the contract: never raise on bad input
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: temp file in the same directory, fsync, rename.

    A crash leaves either the old or the new manifest, never half of one.  Keeps the file's mode.
    A symlinked manifest (a shared config checked out elsewhere) is edited at its target: renaming
    onto the link itself would replace the link with a file.
    """
    path = Path(os.path.realpath(path))
    directory = path.parent
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where directories can be fsynced
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
