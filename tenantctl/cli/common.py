"""What every command shares: the global options, the output mode, and the error boundary.

A command body parses its arguments, calls one core function and returns an :class:`Outcome`;
:func:`run_command` renders it as people or as the JSON envelope and exits with its code. Errors
raised on purpose (:class:`TenantctlError`) become a clear message and exit 1, never a traceback;
anything unexpected shows a traceback only with ``-v``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from tenantctl.diagnostics import Diagnostic, Diagnostics
from tenantctl.errors import ExitCode, InvalidManifestError, TenantctlError, UsageError

__all__ = [
    "INTERRUPTED",
    "EmulatorOpt",
    "Globals",
    "ManifestOpt",
    "Outcome",
    "Output",
    "OutputOpt",
    "VerboseOpt",
    "refuse_to_clobber",
    "run_command",
    "writing",
]

INTERRUPTED = 130  # Ctrl-C (SIGINT), the shell's convention: 128 + signal number


class Output(str, Enum):
    human = "human"
    json = "json"


ManifestOpt = Annotated[
    Path,
    typer.Option("--manifest", "-f", help="The tenants manifest.", envvar="TENANTCTL_MANIFEST", show_default=True),
]
OutputOpt = Annotated[Output, typer.Option("--output", "-o", help="human, or json (a versioned envelope).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug detail.")]
TodayOpt = Annotated[
    str | None,
    typer.Option("--today", hidden=True, help="Pretend today is YYYY-MM-DD (retirement warnings; tests)."),
]
EmulatorOpt = Annotated[
    bool,
    typer.Option(
        "--emulator",
        help="Run against the embedded Azure emulator (state in .tenantctl/ of the working directory).",
        envvar="TENANTCTL_EMULATOR",
    ),
]


@dataclass(frozen=True)
class Globals:
    manifest: Path = Path("tenants.toml")
    output: Output = Output.human
    verbose: bool = False
    emulator: bool = False

    @property
    def json(self) -> bool:
        return self.output is Output.json


@dataclass
class Outcome:
    """What a command hands to the renderer: data for JSON, a view for people, and an exit code."""

    data: Any = None
    human: Callable[[], None] | None = None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    exit_code: int = ExitCode.SUCCESS
    status: str | None = None  # derived from exit_code when None
    rendered: bool = False  # the command printed its own output already (a long-running server)


def _status_for(exit_code: int) -> str:
    if exit_code == ExitCode.PARTIAL:
        return "partial"
    if exit_code in (ExitCode.SUCCESS, ExitCode.CHANGES_PRESENT):
        return "success"
    return "error"


def run_command(command: str, globals_: Globals, body: Callable[[], Outcome]) -> NoReturn:
    """Run ``body`` inside the error boundary, render its outcome, and exit with its code."""
    # The Azure SDKs log their own multi-line account of a failure (DefaultAzureCredential lists every
    # credential it tried) before tenantctl reports it in one diagnostic; -v shows it.
    azure_log = logging.getLogger("azure")
    azure_level = azure_log.level
    if not globals_.verbose:
        azure_log.setLevel(logging.ERROR)
    # -v also shows tenantctl's own notes on how it read Azure (e.g. accounts listed per subscription
    # because Resource Graph is not available), on stderr so -o json stays parseable.
    own_log, notes = logging.getLogger("tenantctl"), logging.StreamHandler(sys.stderr)
    own_level = own_log.level
    if globals_.verbose:
        own_log.addHandler(notes)
        own_log.setLevel(logging.INFO)
    try:
        outcome = _run_body(body, globals_)
    finally:
        azure_log.setLevel(azure_level)
        own_log.removeHandler(notes)
        own_log.setLevel(own_level)
    _render(command, globals_, outcome)
    raise typer.Exit(int(outcome.exit_code))


def _run_body(body: Callable[[], Outcome], globals_: Globals) -> Outcome:
    from tenantctl.render.console import err_console

    try:
        outcome = body()
    except InvalidManifestError as exc:
        outcome = Outcome(diagnostics=Diagnostics(list(exc.diagnostics)), exit_code=ExitCode.ERROR)
    except TenantctlError as exc:
        outcome = Outcome(
            diagnostics=Diagnostics([Diagnostic.from_error(exc)]),
            exit_code=ExitCode.ERROR,
        )
    except KeyboardInterrupt:
        # Scripts still get their one envelope; people get one line. Nothing was half-written: the
        # manifest is only ever replaced atomically, and every Azure write is an idempotent PUT.
        outcome = Outcome(
            diagnostics=Diagnostics(
                [
                    Diagnostic.from_error(
                        TenantctlError(
                            "interrupted",
                            code="interrupted",
                            hint="Nothing is lost: run the command again (apply converges from where it stopped).",
                        )
                    )
                ]
            ),
            exit_code=INTERRUPTED,
        )
        if not globals_.json:
            err_console().print("[error]interrupted[/error]")
            raise typer.Exit(INTERRUPTED) from None
    except typer.Abort:  # Ctrl-D or Ctrl-C at a confirmation prompt: the answer is no
        outcome = Outcome(
            diagnostics=Diagnostics(
                [Diagnostic.from_error(TenantctlError("cancelled at the prompt; nothing changed", code="cancelled"))]
            ),
            exit_code=ExitCode.ERROR,
        )
    except Exception as exc:  # the boundary: never a traceback unless asked for
        if globals_.verbose:
            traceback.print_exc()
        outcome = Outcome(
            diagnostics=Diagnostics(
                [
                    Diagnostic.internal(
                        f"internal error: {type(exc).__name__}: {exc}",
                        "" if globals_.verbose else "Run again with -v for the traceback, and report it.",
                    )
                ]
            ),
            exit_code=ExitCode.ERROR,
        )
    return outcome


def _render(command: str, globals_: Globals, outcome: Outcome) -> None:
    from tenantctl.render.console import err_console

    if outcome.rendered:
        return

    if globals_.json:
        from tenantctl.render.envelope import Status, envelope, print_envelope

        status = Status(outcome.status or _status_for(outcome.exit_code))
        print_envelope(envelope(command, status, outcome.exit_code, outcome.data, outcome.diagnostics))
        return
    if outcome.human is not None:
        outcome.human()
    if outcome.diagnostics:
        from tenantctl.render.diagnostics import print_diagnostics

        print_diagnostics(err_console(), outcome.diagnostics)


@contextmanager
def writing(path: Path, what: str) -> Iterator[None]:
    """Turn a failed write of ``path`` (missing directory, a directory in the way, read-only ...) into
    a clear error that names the file, instead of an internal error."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"cannot write {what} {path}: {reason}",
            code="write-failed",
            hint="Check that the directory exists and is writable, and that the path is not a directory.",
        ) from None


def refuse_to_clobber(path: Path, what: str, *, manifest: Path | None = None) -> None:
    """``--out`` never replaces the manifest, nor an existing file that is not JSON (a saved plan or a
    schema written before is JSON; a TOML manifest or anything else is somebody's work)."""
    import json

    if not path.exists() or path.is_dir():
        return  # a directory is reported by the write, with its name
    if manifest is not None and manifest.exists() and path.resolve() == manifest.resolve():
        raise UsageError(
            f"--out {path} is the manifest itself; writing {what} there would replace it",
            code="would-overwrite",
            hint="Choose another file, e.g. --out plan.json.",
        )
    try:
        json.loads(path.read_bytes()[: 64 * 1024 * 1024])
    except (OSError, ValueError):
        raise UsageError(
            f"--out {path} exists and is not a JSON file tenantctl wrote; refusing to replace it with {what}",
            code="would-overwrite",
            hint="Choose another file, or remove it first if it is really meant to go.",
        ) from None


def parse_today(value: str | None) -> date:
    """``--today`` (hidden; tests pin retirement warnings with it), else the clock's UTC date."""
    if value is None:
        return datetime.now(timezone.utc).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today {value!r} is not a date (YYYY-MM-DD)", code="bad-date") from None
