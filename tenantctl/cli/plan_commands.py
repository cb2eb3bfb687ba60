"""``plan`` and ``apply``: the two verbs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    refuse_to_clobber,
    run_command,
    writing,
)
from tenantctl.cli.completion import complete_tenant_id
from tenantctl.diagnostics import Diagnostics
from tenantctl.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from tenantctl.execution.hooks import ApplyHooks
    from tenantctl.execution.lock import LockWait
    from tenantctl.planning.model import Plan
    from tenantctl.reconcile import ApplyRun, PlanOptions

__all__ = ["register"]

TenantOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tenant",
        "-t",
        metavar="TENANT",
        help="Only this tenant (repeatable).",
        show_default=False,
        autocompletion=complete_tenant_id,
    ),
]
PruneOpt = Annotated[
    bool, typer.Option("--prune", help="Delete resources tenantctl owns that the manifest no longer names.")
]
PurgeOpt = Annotated[
    bool,
    typer.Option("--purge-deleted", help="Purge soft-deleted accounts that block a create (irreversible)."),
]
RetireOpt = Annotated[
    bool,
    typer.Option(
        "--retire",
        help="Phase 3 of a migration: delete a migrating tenant's old resources once its new ones are live.",
    ),
]
ReverifyOpt = Annotated[
    bool,
    typer.Option(
        "--reverify",
        help="Verify every tenant-provided account afresh (recently passed checks are otherwise reused for an hour).",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("apply")(apply)


def _plan_options(
    *, tenant: list[str] | None, prune: bool, purge_deleted: bool, retire: bool, reverify: bool, today: str | None
) -> PlanOptions:
    """The options plan and apply share."""
    from tenantctl.reconcile import PlanOptions

    return PlanOptions(
        prune=prune,
        purge_deleted=purge_deleted,
        tenants=tuple(tenant or ()),
        retire=retire,
        reverify=reverify,
        today=parse_today(today),
    )


def plan(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    tenant: TenantOpt = None,
    prune: PruneOpt = False,
    purge_deleted: PurgeOpt = False,
    retire: RetireOpt = False,
    reverify: ReverifyOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none, 1 on error.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan for `apply --plan`.")] = None,
    today: TodayOpt = None,
) -> None:
    """Show what apply would change, per tenant, with quota pre-flight. Never writes to Azure."""
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cli.runtime import open_manifest_session
        from tenantctl.reconcile import load_valid_manifest, make_plan_run, remember_pool, write_saved_plan

        loaded, warnings = load_valid_manifest(manifest)
        if out is not None:
            refuse_to_clobber(out, "the saved plan", manifest=manifest)
        options = _plan_options(
            tenant=tenant, prune=prune, purge_deleted=purge_deleted, retire=retire, reverify=reverify, today=today
        )
        with open_manifest_session(emulator, loaded) as session:
            run = make_plan_run(loaded, session, options, warnings)
        remember_pool(manifest, run)
        saved = out if out is not None and not run.plan.is_blocked else None
        if saved is not None:
            with writing(saved, "the saved plan"):
                write_saved_plan(saved, run, manifest)
        the_plan = run.plan
        # Only the plan is rendered: letting the observed state and the manifest go first lets its JSON reuse
        # their memory (a no-op plan of 10,000 tenants: ~200 MB peak with them kept alive).
        del run, loaded
        return _plan_outcome(the_plan, _with_plan_errors(warnings, the_plan, g), detailed_exitcode, saved)

    run_command("plan", g, body)


def apply(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    tenant: TenantOpt = None,
    prune: PruneOpt = False,
    purge_deleted: PurgeOpt = False,
    retire: RetireOpt = False,
    reverify: ReverifyOpt = False,
    saved_plan: Annotated[
        Path | None, typer.Option("--plan", help="Apply exactly this saved plan (refused when stale).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    parallelism: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Accounts written in parallel (one write at a time per account). Default: the plan's accounts"
            " with writes, at most 20 per subscription (ARM's write budget) and 64 in all.",
            show_default=False,
        ),
    ] = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds to wait for another apply's lock (0 = fail at once); shows who holds it meanwhile."
        ),
    ] = 0.0,
    today: TodayOpt = None,
) -> None:
    """Make Azure match the manifest: plan, confirm, then apply under the lock.

    The lock ([provider.lock] in the manifest) is a file beside the manifest by default, or an Azure Blob
    lease (backend = "blob"), authenticated by the storage connection string in the environment variable
    TENANTCTL_LOCK_CONNECTION_STRING when set, else by az login / managed identity on account_url.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cli.runtime import open_manifest_session
        from tenantctl.reconcile import ApplyOptions, apply_run

        plan_options = _plan_options(
            tenant=tenant, prune=prune, purge_deleted=purge_deleted, retire=retire, reverify=reverify, today=today
        )
        run = apply_run(
            manifest,
            ApplyOptions(plan_options, saved_plan, parallelism=parallelism, lock_timeout=lock_timeout),
            open_session=lambda loaded: open_manifest_session(emulator, loaded),
            confirm=_show_then_confirm(g, auto_approve),
            hooks=_progress,
            cannot_confirm=_why_no_confirmation(g, auto_approve),
            lock_wait=_lock_wait,
        )
        return _apply_outcome(run, g)

    run_command("apply", g, body)


def _plan_outcome(the_plan: Plan, diagnostics: Diagnostics, detailed_exitcode: bool, saved: Path | None) -> Outcome:
    from tenantctl.planning import plan_to_json

    if the_plan.is_blocked:
        code = ExitCode.ERROR
    elif detailed_exitcode and the_plan.has_changes:
        code = ExitCode.CHANGES_PRESENT
    else:
        code = ExitCode.SUCCESS

    def human() -> None:
        from tenantctl.render.console import out_console
        from tenantctl.render.plan import print_plan

        print_plan(the_plan)
        if saved is not None:
            out_console().print(f"\nSaved the plan to {saved}; apply it with `tenantctl apply --plan {saved}`.")

    return Outcome(data=plan_to_json(the_plan), human=human, diagnostics=diagnostics, exit_code=code)


def _why_no_confirmation(g: Globals, auto_approve: bool) -> UsageError | None:
    """The TTY policy: without --auto-approve, apply asks on a terminal, and refuses where there is none."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not g.json
    if auto_approve or interactive:
        return None
    return UsageError(
        "apply needs confirmation, but there is no terminal to ask on",
        code="needs-approval",
        hint="Review `tenantctl plan` and re-run with --auto-approve (pipelines must say so explicitly).",
    )


def _show_then_confirm(g: Globals, auto_approve: bool) -> Callable[[Plan], bool]:
    def confirm(the_plan: Plan) -> bool:
        if not g.json:
            # What is about to happen stays in the log even when nobody is asked (pipelines).
            from tenantctl.render.plan import print_plan

            print_plan(the_plan)
        return auto_approve or typer.confirm("\nApply these changes to Azure?", default=False)

    return confirm


def _progress(the_plan: Plan) -> AbstractContextManager[ApplyHooks]:
    from tenantctl.render.progress import progress_for

    return progress_for(len(the_plan.actionable), interactive=sys.stderr.isatty())


def _lock_wait() -> AbstractContextManager[LockWait]:
    from tenantctl.render.lock_wait import lock_wait_view

    return lock_wait_view(interactive=sys.stderr.isatty())


def _apply_outcome(run: ApplyRun, g: Globals) -> Outcome:
    from tenantctl.planning import plan_to_json
    from tenantctl.render.plan import print_apply_result, print_plan

    if run.result is None and run.plan.is_blocked:
        return Outcome(
            data={"plan": plan_to_json(run.plan), "applied": False},
            human=lambda: print_plan(run.plan),
            diagnostics=_with_plan_errors(run.warnings, run.plan, g),
            exit_code=ExitCode.ERROR,
        )
    if run.result is None:
        return Outcome(
            data={"plan": plan_to_json(run.plan), "applied": False, "outcomes": []},
            human=lambda: print_plan(run.plan),
            diagnostics=run.warnings,
        )
    from tenantctl.render.json_views import apply_result_to_json

    result = run.result
    return Outcome(
        data=apply_result_to_json(result, run.plan),
        human=lambda: print_apply_result(result, verbose=g.verbose),
        diagnostics=run.warnings,
        exit_code=result.exit_code,
        status=result.status.value,
    )


def _with_plan_errors(warnings: Diagnostics, the_plan: Plan, g: Globals) -> Diagnostics:
    """For ``-o json``, what blocks the plan belongs in the envelope's diagnostics too (people see it in
    the plan view; a pipeline reads ``diagnostics`` first and must not find it empty)."""
    if not g.json:
        return warnings
    merged = Diagnostics(list(warnings))
    merged.extend(d for d in the_plan.diagnostics if d not in list(warnings))
    return merged
