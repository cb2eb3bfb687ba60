"""Edit ``tenants.toml`` the way a careful person would: touch one tenant, keep every other byte.

tomlkit keeps comments and layout, but it attaches the comments that *precede* a table to the
table before it, so deleting a tenant with tomlkit alone also deletes the next section's banner,
and a key added to a tenant lands below that banner.  We therefore cut the tenant's own lines out
of the text (found with :func:`tenantctl.manifest.locate.table_headers`), edit that fragment with
tomlkit and splice it back; bytes outside the tenant's lines are unchanged by construction.
Tenants written in other layouts (inline, dotted keys) are edited on the whole document.

Edits never raise on bad input: they return an :class:`EditResult` whose ``text`` is ``None``
when the edit is refused or the edited manifest would not validate.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.locate import table_headers
from tenantctl.manifest.names import check_id
from tenantctl.manifest.report import did_you_mean

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

__all__ = ["EditResult", "add_tenant", "remove_tenant", "set_tenant_fields", "tenant_text", "write_atomically"]


@dataclass(frozen=True)
class EditResult:
    """The edited text (``None`` if refused), whether it differs from the input, and diagnostics."""

    text: str | None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    changed: bool = False


def _refuse(code: str, summary: str, tenant: str | None = None, detail: str = "") -> EditResult:
    diagnostics = Diagnostics()
    path = f"tenants.{tenant}" if tenant else ""
    diagnostics.error(code, summary, detail=detail, path=path, tenant=tenant)
    return EditResult(None, diagnostics)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


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


def _to_item(value: Any) -> Any:
    """Python value → tomlkit item that keeps the house style when written."""
    return tomlkit.parse(f"v = {_render(value)}\n")["v"]


def _plain(value: Any) -> Any:
    if hasattr(value, "unwrap"):
        value = value.unwrap()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _lines(text: str) -> list[str]:
    """Lines with their ``\n``; unlike ``str.splitlines`` never splits at U+0085, U+2028 and friends,
    which TOML allows inside strings and comments."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _span(text: str, tenant_id: str) -> tuple[int, int] | None:
    """0-based ``[start, end)`` line range of the tenant's own tables, without trailing comments."""
    headers = table_headers(text)
    if headers is None:
        return None
    mine = [n for n, (_, loc) in enumerate(headers) if loc[:2] == ("tenants", tenant_id)]
    if not mine or mine != list(range(mine[0], mine[-1] + 1)):
        return None  # not written as [tenants.<id>] tables, or split up: edit the whole document
    lines = _lines(text)
    start = headers[mine[0]][0] - 1
    end = headers[mine[-1] + 1][0] - 1 if mine[-1] + 1 < len(headers) else len(lines)
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1  # blank lines and comments before the next header introduce the next table
    return start, end


def _edit(text: str, tenant_id: str, change: Any) -> tuple[str, bool] | EditResult:
    """Apply ``change(tenant_table)`` to the tenant's lines (or the whole document) and splice back."""
    span = _span(text, tenant_id)
    lines = _lines(text)
    fragment = "".join(lines[span[0] : span[1]]) if span else text
    document = tomlkit.parse(fragment)
    tenants = document.get("tenants")
    if tenants is None or tenant_id not in tenants:
        known = list(tenants) if tenants is not None else []
        return _refuse("unknown-tenant", f"no tenant {tenant_id!r}{did_you_mean(tenant_id, known)}", tenant_id)
    outcome = change(tenants, tenants[tenant_id])
    if isinstance(outcome, EditResult):
        return outcome
    edited = tomlkit.dumps(document)
    if span is None:
        return edited, edited != text
    if fragment.endswith("\n") and not edited.endswith("\n") and edited:
        edited += "\n"
    new_text = "".join(lines[: span[0]]) + edited + "".join(lines[span[1] :])
    return new_text, new_text != text


def _finish(text: str, new_text: str, changed: bool) -> EditResult:
    """Validate the edited manifest; refuse it when it has errors."""
    result = parse_manifest(new_text)
    if result.diagnostics.has_errors:
        return EditResult(None, result.diagnostics)
    return EditResult(new_text if changed else text, result.diagnostics, changed)


def add_tenant(text: str, tenant_id: str, fields: dict[str, Any]) -> EditResult:
    """Append ``[tenants.<id>]`` with ``fields``; same fields again is a no-op, other fields a conflict."""
    try:
        return _add_tenant(text, tenant_id, fields)
    except Exception as exc:  # the contract: never raise on bad input
        return _refuse("toml-syntax", f"cannot edit the manifest: {exc}", tenant_id)


def _add_tenant(text: str, tenant_id: str, fields: dict[str, Any]) -> EditResult:
    problem = check_id("tenant", tenant_id, 2, 24)
    if problem:
        return _refuse("invalid-name", problem, tenant_id)
    document = tomlkit.parse(text)
    tenants = document.get("tenants")
    if tenants is not None and tenant_id in tenants:
        existing = _plain(tenants[tenant_id])
        wanted = _plain(fields)
        if existing == wanted:
            return _finish(text, text, changed=False)
        differing = sorted(k for k in set(existing) | set(wanted) if existing.get(k) != wanted.get(k))
        return _refuse(
            "tenant-exists",
            f"tenant {tenant_id!r} already exists with different {', '.join(differing)}",
            tenant_id,
            detail="Use `tenantctl tenant set` to change an existing tenant.",
        )
    body = f"[tenants.{tenant_id}]\n" + "".join(f"{_key(k)} = {_render(v)}\n" for k, v in fields.items())
    if not text:
        new_text = body
    elif text.endswith("\n\n"):
        new_text = text + body
    else:
        new_text = text + ("\n" if text.endswith("\n") else "\n\n") + body
    return _finish(text, new_text, changed=True)


def set_tenant_fields(text: str, tenant_id: str, assignments: dict[str, object]) -> EditResult:
    """Set (or, with ``None``, remove) keys of one tenant; ``"network.public_access"`` reaches in."""

    def change(_tenants: Any, tenant: Any) -> EditResult | None:
        for dotted, value in assignments.items():
            *parents, key = dotted.split(".")
            target = tenant
            for n, part in enumerate(parents):
                if part not in target:
                    nested: Any = value
                    for name in reversed([*parents[n + 1 :], key]):
                        nested = {name: nested}
                    target[part], target = _to_item(nested), None
                    break
                target = target[part]
            if target is None:
                continue
            if value is None:
                if key in target:
                    del target[key]
            elif _plain(target.get(key)) != _plain(value):
                target[key] = _to_item(value)
        return None

    try:
        outcome = _edit(text, tenant_id, change)
    except Exception as exc:  # the contract: never raise on bad input
        return _refuse("toml-syntax", f"cannot edit the manifest: {exc}", tenant_id)
    if isinstance(outcome, EditResult):
        return outcome
    return _finish(text, *outcome)


def remove_tenant(text: str, tenant_id: str) -> EditResult:
    """Delete the tenant's tables (and a comment block glued to its header); refuses protected tenants."""
    try:
        return _remove_tenant(text, tenant_id)
    except Exception as exc:  # the contract: never raise on bad input
        return _refuse("toml-syntax", f"cannot edit the manifest: {exc}", tenant_id)


def _remove_tenant(text: str, tenant_id: str) -> EditResult:
    tenants = tomlkit.parse(text).get("tenants")
    if tenants is None or tenant_id not in tenants:
        known = list(tenants) if tenants is not None else []
        return _refuse("unknown-tenant", f"no tenant {tenant_id!r}{did_you_mean(tenant_id, known)}", tenant_id)
    if _plain(tenants[tenant_id]).get("protected") is True:
        return _refuse(
            "protected",
            f"tenant {tenant_id!r} is protected and cannot be removed",
            tenant_id,
            detail="Set `protected = false` first (a separate, reviewable change).",
        )
    span = _span(text, tenant_id)
    if span is None:
        outcome = _edit(text, tenant_id, lambda tables, _tenant: tables.remove(tenant_id) and None)
        return outcome if isinstance(outcome, EditResult) else _finish(text, *outcome)
    lines = _lines(text)
    start, end = span
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1  # a comment glued to the header describes this tenant
    while end < len(lines) and not lines[end].strip():
        end += 1  # and the blank lines that separated it from the next table
    if end == len(lines):
        while start > 0 and not lines[start - 1].strip():
            start -= 1  # the last table: drop the separator add_tenant put before it, so add+remove is a no-op
    return _finish(text, "".join(lines[:start] + lines[end:]), changed=True)


def tenant_text(text: str, tenant_id: str) -> str | None:
    """The tenant's own TOML as written in ``text`` (its tables' lines), or ``None`` if it has none.

    Tenants written inline or with dotted keys are re-rendered as one ``[tenants.<id>]`` table.
    """
    try:
        span = _span(text, tenant_id)
        if span is not None:
            return "".join(_lines(text)[span[0] : span[1]])
        tenants = tomlkit.parse(text).get("tenants")
        if tenants is None or tenant_id not in tenants:
            return None
        fields = _plain(tenants[tenant_id])
        return f"[tenants.{tenant_id}]\n" + "".join(f"{_key(k)} = {_render(v)}\n" for k, v in fields.items())
    except Exception:  # the contract: never raise on bad input
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically: temp file in the same directory, fsync, rename.

    A crash leaves either the old or the new manifest, never half of one.  Keeps the file's mode.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
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
