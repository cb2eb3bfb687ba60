"""The ``tenantctl`` command line: parse, call one core function, render.

Command modules import the core lazily inside their bodies so that ``tenantctl --help`` stays
fast (no Azure SDK, no pydantic at start-up).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tenantctl import __version__
from tenantctl.cli import (
    byo_commands,
    emulator_commands,
    export_commands,
    inspect_commands,
    manifest_commands,
    plan_commands,
    tenant_commands,
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
) -> None:
    """Declarative tenant lifecycle manager for SaaS providers serving tenants from Azure OpenAI.

    Exit codes: 0 success; 1 error; 2 plan --detailed-exitcode found changes; 3 apply was partial.
    Every command takes -f/--manifest, -o/--output human|json and -v; cloud commands take --emulator.
    """


manifest_commands.register(app)
plan_commands.register(app)
emulator_commands.register(app)
inspect_commands.register(app)
tenant_commands.register(app)
export_commands.register(app)
byo_commands.register(app)


def main() -> None:
    app()
