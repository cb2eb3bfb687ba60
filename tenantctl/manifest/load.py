"""Load ``tenants.toml``: read, parse, validate and check it, reporting every problem at once.

``load_manifest`` and ``parse_manifest`` never raise: a missing file, bytes that are not UTF-8, a
TOML syntax error, wrong types and broken Azure rules all come back as diagnostics, and the
manifest is ``None`` whenever there is an error.  Reading uses the stdlib ``tomllib`` (much faster
than tomlkit, which is kept for edits that must preserve comments).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest._toml import tomllib
from tenantctl.manifest.locate import Loc, format_path
from tenantctl.manifest.model import Manifest
from tenantctl.manifest.pool_record import check_removed_subscriptions, read_pool_record
from tenantctl.manifest.report import Reporter
from tenantctl.manifest.semantics import check_manifest
from tenantctl.manifest.structure import SECRET_KEYS, validate_sections

__all__ = ["LoadResult", "load_manifest", "parse_manifest"]

_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_CREDENTIALS_HELP = (
    "tenantctl never reads credentials from the manifest, which is meant to be committed. Remove the key and "
    "supply credentials through the environment (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or "
    "AZURE_CLIENT_CERTIFICATE_PATH, or workload identity federation / OIDC in pipelines); rotate the "
    "credential if this file was ever shared."
)


@dataclass(frozen=True)
class LoadResult:
    """A validated manifest (``None`` if there is any error) and every diagnostic found."""

    manifest: Manifest | None
    diagnostics: Diagnostics


MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # 10,000 tenants take about 2 MB


def read_manifest_bytes(path: Path, limit: int = MAX_MANIFEST_BYTES) -> bytes:
    """The bytes of a manifest file, at most ``limit`` of them.

    ``ValueError`` for a directory, a device or socket, a named pipe nobody writes to, or more than
    ``limit`` bytes.  Pipes with a writer (``-f /dev/stdin``, ``-f <(...)``) are read like files.  The
    file is opened non-blocking: opening a FIFO for reading otherwise waits, forever, for a writer.
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)  # POSIX only; Windows has no FIFOs in the file system
    fd = os.open(path, os.O_RDONLY | nonblocking)
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ValueError("it is a directory, not a file")
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            raise ValueError("it is a device or socket, not a file")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise ValueError(f"it is {info.st_size:,} bytes; at most {limit:,} are read")
        first = b""
        if stat.S_ISFIFO(info.st_mode):
            try:
                first = os.read(fd, limit + 1)
            except BlockingIOError:
                pass  # a writer is connected and has not written yet: wait for it below
            else:
                if not first:
                    raise ValueError("it is a pipe with nothing written to it (a named pipe with no writer?)")
        if nonblocking:
            os.set_blocking(fd, True)
        data = first + handle.read(limit + 1 - len(first))
    if len(data) > limit:
        raise ValueError(f"it is larger than {limit:,} bytes, the most that is read")
    return data


def load_manifest(path: Path) -> LoadResult:
    """Read and check the manifest at ``path``; never raises."""
    file = str(path)
    report = Reporter("", file)
    try:
        data = read_manifest_bytes(Path(path))
    except FileNotFoundError:
        report.error("file-not-found", f"manifest {file} does not exist", detail="Create one with `tenantctl init`.")
        return LoadResult(None, report.diagnostics)
    except OSError as exc:
        report.error("file-unreadable", f"cannot read manifest {file}: {exc.strerror or exc}")
        return LoadResult(None, report.diagnostics)
    except ValueError as exc:
        report.error("file-unreadable", f"cannot read manifest {file}: {exc}")
        return LoadResult(None, report.diagnostics)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.diagnostics.error(
            "encoding",
            f"manifest is not UTF-8 text (byte {exc.start} on line {line})",
            detail="TOML files must be UTF-8; re-save the file as UTF-8.",
            line=line,
            file=file,
        )
        return LoadResult(None, report.diagnostics)
    result = parse_manifest(text, file)
    record = read_pool_record(Path(path)) if result.manifest is not None else {}
    if result.manifest is not None and record:
        located = Reporter(text, file)
        check_removed_subscriptions(result.manifest, record, located)
        if located.diagnostics.has_errors:
            return LoadResult(None, Diagnostics([*result.diagnostics, *located.diagnostics]))
    return result


def parse_manifest(text: str, file: str = "tenants.toml") -> LoadResult:
    """Parse and check manifest ``text``; never raises."""
    try:
        return _parse(text, file)
    except Exception as exc:  # the contract is "never raises": report instead
        diagnostics = Diagnostics()
        diagnostics.error(
            "internal",
            f"tenantctl could not check this manifest ({type(exc).__name__}); please report this as a bug",
            detail=str(exc)[:500],
            file=file,
        )
        return LoadResult(None, diagnostics)


def _parse(text: str, file: str) -> LoadResult:
    text = text.removeprefix("\ufeff")  # editors on Windows add a BOM that TOML does not allow
    report = Reporter(text, file)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _AT_LINE.search(message)
        summary = _AT_LINE.sub("", message).strip() or "invalid TOML"
        report.diagnostics.error(
            "toml-syntax",
            f"TOML syntax error: {summary[0].lower()}{summary[1:]}",
            detail=f"column {match[2]}" if match else "",
            line=int(match[1]) if match else None,
            file=file,
        )
        return LoadResult(None, report.diagnostics)
    except RecursionError:
        report.diagnostics.error("toml-syntax", "TOML syntax error: values are nested too deeply", file=file)
        return LoadResult(None, report.diagnostics)
    for loc in _secret_keys(document, ()):
        report.error(
            "secret-in-manifest",
            f"{format_path(loc)!r} looks like a credential and must not be in the manifest",
            loc,
            detail=_CREDENTIALS_HELP,
        )
    sections = validate_sections(document, report)
    manifest = sections.manifest()
    if manifest is not None:
        check_manifest(manifest, report, unchecked_stamps=frozenset(sections.broken_stamps))
    diagnostics = report.sorted()
    return LoadResult(None if diagnostics.has_errors else manifest, diagnostics)


def _secret_keys(value: Any, loc: Loc, depth: int = 0) -> list[Loc]:
    """Paths of every key named like a credential, at any depth."""
    found: list[Loc] = []
    if depth > 50:  # tomllib already limits nesting; this keeps a hostile document cheap
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in SECRET_KEYS:
                found.append((*loc, key))
            found.extend(_secret_keys(item, (*loc, key), depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_secret_keys(item, (*loc, index), depth + 1))
    return found
