"""``tenantctl usage``: per-tenant usage, cost and right-sizing from Azure Monitor. Read-only for Azure.

``--apply-recommendations`` only edits the manifest (the scripted-edit path); ``plan``/``apply``
stay the one way to change Azure.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from tenantctl.cli.common import EmulatorOpt, Globals, ManifestOpt, Outcome, Output, VerboseOpt, run_command
from tenantctl.cli.completion import complete_tenant_id
from tenantctl.cli.runtime import open_manifest_session
from tenantctl.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from tenantctl.diagnostics import Diagnostics
    from tenantctl.manifest.model import Manifest
    from tenantctl.usage import UsageCloud, UsageReport

__all__ = ["register"]

_SINCE_RE = re.compile(r"([1-9][0-9]{0,3})([dh])")


class UsageOutput(str, Enum):
    human = "human"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)


def _moment(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date or time",
            code="bad-option",
            hint="Use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC unless an offset is given).",
        ) from None
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed.astimezone(dt.timezone.utc)


def _window(since: str | None, start: str | None, end: str | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if since is not None and start is not None:
        raise UsageError("give --since or --from, not both", code="bad-option")
    # Whole hours only: the current hour is still being counted by Azure Monitor.
    until = _moment(end, "--to") if end else now.replace(minute=0, second=0, microsecond=0)
    if start is not None:
        return _moment(start, "--from"), until
    text = since or "30d"
    match = _SINCE_RE.fullmatch(text)
    if match is None:
        raise UsageError(f"--since {text!r} is not a duration", code="bad-option", hint="For example 30d or 12h.")
    amount, unit = int(match[1]), match[2]
    return until - (dt.timedelta(days=amount) if unit == "d" else dt.timedelta(hours=amount)), until


def usage(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: Annotated[
        UsageOutput, typer.Option("--output", "-o", help="human, json (a versioned envelope), or csv (billing import).")
    ] = UsageOutput.human,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DURATION", help="Window ending now: 30d, 12h (default 30d).")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", metavar="WHEN", help="Window start, YYYY-MM-DD[THH:MM] (UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="WHEN", help="Window end (exclusive; default: this hour).")
    ] = None,
    tenant: Annotated[
        list[str] | None,
        typer.Option(
            "--tenant", metavar="ID", help="Only this tenant (repeatable).", autocompletion=complete_tenant_id
        ),
    ] = None,
    granularity: Annotated[str, typer.Option("--granularity", metavar="1h|1d", help="Series points: 1h or 1d.")] = "1d",
    apply_recommendations: Annotated[
        bool,
        typer.Option(
            "--apply-recommendations", help="Write raise/lower recommendations into the manifest (not Azure)."
        ),
    ] = False,
) -> None:
    """Per tenant and deployment: tokens, requests, throttled requests, peak vs allocated TPM, cost, right-sizing.

    Dedicated tenants from the accounts' platform metrics, shared tenants from the gateway's token
    metrics ([gateway] in the manifest), tenant-provided tenants are not visible. Rules: docs/usage.md.
    """
    g = Globals(manifest=manifest, output=Output.json if output is UsageOutput.json else Output.human,
                verbose=verbose, emulator=emulator)  # fmt: skip

    def body() -> Outcome:
        from tenantctl.reconcile import load_valid_manifest
        from tenantctl.usage import collect_usage

        loaded, warnings = load_valid_manifest(manifest)
        window = _window(since, start, end, dt.datetime.now(dt.timezone.utc))
        with open_manifest_session(emulator, loaded) as session:
            # The Azure adapter (and so the session's cloud) implements the usage port as well.
            report = collect_usage(
                loaded,
                cast("UsageCloud", session.cloud),
                start=window[0],
                end=window[1],
                granularity=granularity,
                tenants=tenant,
                gateway_workspace=session.gateway_workspace,
            )
        warnings.items.extend(report.diagnostics)
        data = report.to_json()
        if apply_recommendations:
            data["applied"] = _apply(loaded, manifest, report, warnings)

        def human() -> None:
            if output is UsageOutput.csv:
                import sys

                from tenantctl.render.usage import usage_csv

                sys.stdout.write(usage_csv(report))
                return
            from tenantctl.render.usage import print_usage

            print_usage(report)
            if apply_recommendations:
                _print_applied(data["applied"], manifest)

        code = ExitCode.ERROR if warnings.has_errors else ExitCode.PARTIAL if report.partial else ExitCode.SUCCESS
        return Outcome(data=data, human=human, diagnostics=warnings, exit_code=code)

    run_command("usage", g, body)


def _apply(loaded: Manifest, manifest: Path, report: UsageReport, warnings: Diagnostics) -> list[dict[str, object]]:
    from tenantctl.cli.common import writing
    from tenantctl.manifest.edit import write_atomically
    from tenantctl.manifest.load import read_manifest_bytes
    from tenantctl.usage import apply_recommendations

    text = read_manifest_bytes(manifest).decode("utf-8")
    result = apply_recommendations(loaded, text, report.recommendations)
    warnings.items.extend(result.diagnostics)
    if result.applied and result.text != text:
        with writing(manifest, "manifest"):
            write_atomically(manifest, result.text)
    return [{"tenant": r.tenant, **r.to_json()} for r in result.applied]


def _print_applied(applied: list[dict[str, object]], manifest: Path) -> None:
    from rich.markup import escape

    from tenantctl.render.console import out_console

    console = out_console()
    if not applied:
        console.print("No recommendation to apply; the manifest is unchanged.")
        return
    console.print(f"[success]✓[/success] wrote {len(applied)} recommendation(s) to {escape(str(manifest))}:")
    for a in applied:
        console.print(f"  {escape(str(a['tenant']))}.{escape(str(a['field']))} = {a['proposed']}")
    console.print("Run `tenantctl plan` to see what this changes in Azure, then `tenantctl apply`.")
