"""``models`` and ``upgrade``: model versions in use with their retirement dates, and moving them in waves.

``models`` is read-only.  ``upgrade`` reads Azure (is the previous wave live? which versions do the
regions sell?) and edits only the manifest, byte-exact outside the edited values; ``plan`` and
``apply`` then change the deployments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenantctl.cli.common import (
    EmulatorOpt,
    Globals,
    ManifestOpt,
    Outcome,
    OutputOpt,
    TodayOpt,
    VerboseOpt,
    parse_today,
    run_command,
    writing,
)
from tenantctl.cli.runtime import open_manifest_session
from tenantctl.cli.tenant_commands import _one_edit_at_a_time, _read

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("upgrade")(upgrade)


def models(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    today: TodayOpt = None,
) -> None:
    """Every model version the manifest uses: retirement date per region, and who runs it. Read-only.

    Sorted by the nearest retirement; versions retiring within 90 days are flagged.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.inspection.models import read_models
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        day = parse_today(today)
        with open_manifest_session(emulator, loaded) as session:
            inventory = read_models(loaded, session.cloud, day)

        def human() -> None:
            from tenantctl.render.models import print_models

            print_models(inventory)

        return Outcome(data=inventory.to_json(), human=human, diagnostics=warnings)

    run_command("models", g, body)


def upgrade(
    to: Annotated[str, typer.Option("--to", help="The version to move to: <model>@<version>.")],
    wave: Annotated[
        str,
        typer.Option(
            "--wave", help='canary, N% (cumulative share of owners), or tenants/stamps: "acme,globex,stamp:eu1".'
        ),
    ],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Only deployments on this <model>@<version> (default: every other version of --to's model); "
            "another model name than --to's is moved make-before-break (a successor deployment).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the wave; do not write the manifest.")] = False,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
) -> None:
    """Move one wave of a model's deployments to a new version by editing the manifest.

    Run canary first, then percentages; each wave is refused until the previous one is applied and its
    deployments are Succeeded on the new version. upgrade_policy = "manual" tenants move only when
    named, "pinned" ones never. Then review with `tenantctl plan` and `tenantctl apply`.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.errors import ExitCode, UsageError
        from tenantctl.inspection.models import upgrade_wave
        from tenantctl.manifest.edit import write_atomically
        from tenantctl.planning.upgrade import parse_model_version
        from tenantctl.reconcile import load_valid_manifest

        target = parse_model_version(to)
        source = parse_model_version(from_) if from_ is not None else None
        for flag, value, parsed in (("--to", to, target), ("--from", from_, source)):
            if value is not None and parsed is None:
                raise UsageError(
                    f"{flag} {value!r} is not <model>@<version>", code="bad-option", hint="e.g. gpt-4o@2024-11-20"
                )
        assert target is not None
        text = _read(manifest)
        loaded, warnings = load_valid_manifest(manifest)
        with open_manifest_session(emulator, loaded) as session:
            result = upgrade_wave(loaded, text, session.cloud, target=target, source=source, wave=wave, dry_run=dry_run)
        warnings.extend(result.diagnostics)
        if result.text is None:
            return Outcome(data=result.to_json(), diagnostics=warnings, exit_code=ExitCode.ERROR)
        if not dry_run and result.text != text:
            with writing(manifest, "manifest"):
                write_atomically(manifest, result.text)

        def human() -> None:
            from tenantctl.render.models import print_upgrade

            print_upgrade(result)

        return Outcome(data=result.to_json(), human=human, diagnostics=warnings)

    run_command("upgrade", g, _one_edit_at_a_time(manifest, body))
