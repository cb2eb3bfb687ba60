"""The ``tenantctl`` command line: parse, call one core function, render.

Command modules import the core lazily inside their bodies so that ``tenantctl --help`` stays
fast (no Azure SDK, no pydantic at start-up).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from tenantctl import __version__
from tenantctl.cli import (
    byo_commands,
    completion,
    emulator_commands,
    export_commands,
    inspect_commands,
    keys_commands,
    lifecycle_commands,
    manifest_commands,
    picture_commands,
    plan_commands,
    tenant_commands,
    usage_commands,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="tenantctl",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold credentials: never show them in a traceback.
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tenantctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    cloud: Annotated[
        str | None,
        typer.Option(
            "--cloud",
            envvar="TENANTCTL_CLOUD",
            help="Azure cloud: AzureCloud, AzureUSGovernment, AzureChinaCloud, or a custom ARM endpoint URL "
            "(its metadata is read). Beats the manifest's [provider] cloud (they must agree), "
            "AZURE_RESOURCE_MANAGER_ENDPOINT and the az CLI's active cloud.",
        ),
    ] = None,
) -> None:
    """Declarative tenant lifecycle manager for SaaS providers serving tenants from Azure OpenAI.

    Exit codes: 0 success; 1 error (a bad option too); 2 plan --detailed-exitcode found changes;
    3 apply was partial; 130 interrupted.
    Every command takes -f/--manifest, -o/--output human|json and -v; cloud commands take --emulator.
    """
    from tenantctl.cli.runtime import request_cloud

    request_cloud(cloud)


manifest_commands.register(app)
plan_commands.register(app)
emulator_commands.register(app)
inspect_commands.register(app)
tenant_commands.register(app)
export_commands.register(app)
picture_commands.register(app)
byo_commands.register(app)
lifecycle_commands.register(app)
completion.register(app)
keys_commands.register(app)
usage_commands.register(app)


def main() -> None:
    _terminate_like_ctrl_c()
    sys.exit(run(sys.argv[1:]))


def _terminate_like_ctrl_c() -> None:
    """SIGTERM (a cancelled pipeline job, ``kill``) is handled as Ctrl-C: ``apply`` lets the writes in
    flight finish, skips the rest and reports; ``-o json`` still prints its envelope."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError, OSError):  # not the main thread, or a platform without SIGTERM
        signal.signal(signal.SIGTERM, interrupt)


def run(argv: Sequence[str]) -> int:
    """Run tenantctl on ``argv`` and return the exit code.

    Click exits 2 on a usage error (unknown option, ``--parallelism 0``, ``-o yaml`` ...), but 2 is
    tenantctl's "plan has changes": a pipeline running ``plan --detailed-exitcode`` with a typo
    would read "there are changes". Usage errors therefore exit 1 like every other error, and with
    ``-o json`` they still print the one JSON envelope scripts parse.
    """
    args = list(argv)
    if os.environ.get(completion.COMPLETE_VAR):  # a shell asking for completions (see `tenantctl completion`)
        completion.prepare_completion()
    try:
        result = app(args=args, prog_name="tenantctl", standalone_mode=False)
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        return 1
    except Exception as exc:
        # Typer vendors its own click: recognise its exceptions by their base class's name.
        names = {cls.__name__ for cls in type(exc).__mro__}
        if "ClickException" not in names:
            raise
        if _wants_json(args) and "NoArgsIsHelpError" not in names:
            _usage_envelope(exc)
        else:
            exc.show()  # type: ignore[attr-defined]
        return 1
    return result if isinstance(result, int) else 0


def _wants_json(args: list[str]) -> bool:
    """``-o json`` / ``-ojson`` / ``--output json`` / ``--output=json`` anywhere before ``--``."""
    for n, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("-o", "--output") and n + 1 < len(args) and args[n + 1] == "json":
            return True
        if arg in ("-ojson", "--output=json"):
            return True
    return False


def _usage_envelope(exc: Exception) -> None:
    from tenantctl.diagnostics import Diagnostic, Severity
    from tenantctl.render.envelope import Status, envelope, print_envelope

    ctx = getattr(exc, "ctx", None)
    path = str(getattr(ctx, "command_path", "") or "tenantctl")
    command = path.partition(" ")[2] or "tenantctl"
    format_message = getattr(exc, "format_message", None)
    summary = format_message() if callable(format_message) else str(exc)
    diagnostic = Diagnostic(Severity.ERROR, "usage", str(summary), detail=f"See `{path} -h` for the options.")
    print_envelope(envelope(command, Status.ERROR, 1, None, [diagnostic]))
