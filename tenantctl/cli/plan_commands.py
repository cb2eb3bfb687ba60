"""``plan`` and ``apply``: the two verbs."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from tenantctl.cli.common import (
    EmulatorOpt,
    Globals,
    ManifestOpt,
    Outcome,
    OutputOpt,
    VerboseOpt,
    refuse_to_clobber,
    run_command,
    writing,
)
from tenantctl.errors import ExitCode, UsageError

__all__ = ["register"]

TenantOpt = Annotated[
    list[str] | None,
    typer.Option("--tenant", "-t", metavar="TENANT", help="Only this tenant (repeatable).", show_default=False),
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


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("apply")(apply)


def plan(
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
    tenant: TenantOpt = None,
    prune: PruneOpt = False,
    purge_deleted: PurgeOpt = False,
    retire: RetireOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes, 0 when none, 1 on error.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan for `apply --plan`.")] = None,
) -> None:
    """Show what apply would change, per tenant, with quota pre-flight. Never writes to Azure."""
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cloud.session import open_session
        from tenantctl.planning import plan_to_json
        from tenantctl.reconcile import (
            PlanOptions,
            load_valid_manifest,
            make_plan_run,
            manifest_subscriptions,
            write_saved_plan,
        )

        loaded, warnings = load_valid_manifest(manifest)
        if out is not None:
            refuse_to_clobber(out, "the saved plan", manifest=manifest)
        options = PlanOptions(prune=prune, purge_deleted=purge_deleted, tenants=tuple(tenant or ()), retire=retire)
        with open_session(emulator=emulator, subscriptions=manifest_subscriptions(loaded)) as session:
            run = make_plan_run(loaded, session, options, warnings)
        result = run.plan
        if out is not None and not result.is_blocked:
            with writing(out, "the saved plan"):
                write_saved_plan(out, run, manifest)
        if result.is_blocked:
            code = ExitCode.ERROR
        elif detailed_exitcode and result.has_changes:
            code = ExitCode.CHANGES_PRESENT
        else:
            code = ExitCode.SUCCESS

        def human() -> None:
            from tenantctl.render.console import out_console
            from tenantctl.render.plan import print_plan

            print_plan(result)
            if out is not None and not result.is_blocked:
                out_console().print(f"\nSaved the plan to {out}; apply it with `tenantctl apply --plan {out}`.")

        return Outcome(
            data=plan_to_json(result), human=human, diagnostics=_with_plan_errors(warnings, result, g), exit_code=code
        )

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
    saved_plan: Annotated[
        Path | None, typer.Option("--plan", help="Apply exactly this saved plan (refused when stale).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    parallelism: Annotated[
        int, typer.Option(min=1, max=64, help="Accounts written in parallel (one write at a time per account).")
    ] = 10,
    lock_timeout: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for another apply's lock (0 = fail at once).")
    ] = 0.0,
) -> None:
    """Make Azure match the manifest: plan, confirm, then apply under the lock."""
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.cloud.session import open_session
        from tenantctl.execution.executor import apply_plan
        from tenantctl.execution.lock import acquire_lock, default_holder
        from tenantctl.reconcile import (
            PlanOptions,
            check_not_stale,
            load_valid_manifest,
            lock_settings,
            make_plan_run,
            manifest_subscriptions,
            read_saved_plan,
        )

        loaded, warnings = load_valid_manifest(manifest)
        options = PlanOptions(prune=prune, purge_deleted=purge_deleted, tenants=tuple(tenant or ()), retire=retire)
        saved = None
        if saved_plan is not None:
            saved, saved_options = read_saved_plan(saved_plan)
            _same_options(saved_plan, options, saved_options)
            options = saved_options
        interactive = sys.stdin.isatty() and sys.stdout.isatty() and not g.json
        if not auto_approve and not interactive:
            raise UsageError(
                "apply needs confirmation, but there is no terminal to ask on",
                code="needs-approval",
                hint="Review `tenantctl plan` and re-run with --auto-approve (pipelines must say so explicitly).",
            )
        with ExitStack() as stack:
            try:
                stack.enter_context(
                    acquire_lock(lock_settings(loaded, manifest), holder=default_holder(), timeout=lock_timeout)
                )
            except OSError as exc:  # the lock file cannot be created: its directory is a file, read-only ...
                raise UsageError(
                    f"cannot take the apply lock {exc.filename or ''}: {exc.strerror or exc}",
                    code="lock-file",
                    hint="The lock lives in .tenantctl/ beside the manifest; make that a writable directory.",
                ) from None
            session = stack.enter_context(open_session(emulator=emulator, subscriptions=manifest_subscriptions(loaded)))
            run = make_plan_run(loaded, session, options, warnings)
            the_plan = run.plan
            if saved is not None:
                check_not_stale(saved, the_plan)
                the_plan = saved
            if the_plan.is_blocked:
                return _blocked(the_plan, _with_plan_errors(warnings, the_plan, g))
            if not the_plan.has_changes:
                return _nothing_to_do(the_plan, warnings)
            if not g.json:
                # What is about to happen stays in the log even when nobody is asked (pipelines).
                from tenantctl.render.plan import print_plan

                print_plan(the_plan)
            if not auto_approve and not _confirm():
                raise UsageError("apply cancelled; nothing was changed", code="cancelled")
            from tenantctl.render.progress import progress_for

            with progress_for(len(the_plan.actionable), interactive=sys.stderr.isatty()) as hooks:
                result = apply_plan(the_plan, session.cloud, hooks=hooks, parallelism=parallelism, prune_allowed=True)

        def human() -> None:
            from tenantctl.render.plan import print_apply_result

            print_apply_result(result)

        from tenantctl.render.json_views import apply_result_to_json

        if result.interrupted:
            warnings.warning(
                "interrupted",
                "apply was interrupted (Ctrl-C or SIGTERM): the writes in flight finished, the rest were skipped",
                detail="Nothing is lost: run `tenantctl apply` again and it converges from where it stopped.",
            )
        return Outcome(
            data=apply_result_to_json(result, the_plan),
            human=human,
            diagnostics=warnings,
            exit_code=result.exit_code,
            status=result.status.value,
        )

    run_command("apply", g, body)


def _same_options(path: Path, given: Any, saved: Any) -> None:
    """``apply --plan`` runs the plan as it was made; a flag asking for something else is a contradiction
    (it used to be ignored without a word)."""
    differing = []
    if given.tenants and set(given.tenants) != set(saved.tenants):
        differing.append(f"--tenant {' '.join(given.tenants)} (the plan: {' '.join(saved.tenants) or 'every tenant'})")
    for flag, name in (("--prune", "prune"), ("--purge-deleted", "purge_deleted"), ("--retire", "retire")):
        if getattr(given, name) and not getattr(saved, name):
            differing.append(f"{flag} (the plan was made without it)")
    if differing:
        raise UsageError(
            f"apply --plan {path} applies the plan as it was made; {', '.join(differing)} cannot change it",
            code="plan-options",
            hint="Make a new plan with those options (`tenantctl plan ... --out plan.json`), or drop them.",
        )


def _with_plan_errors(warnings: Any, the_plan: Any, g: Globals) -> Any:
    """For ``-o json``, what blocks the plan belongs in the envelope's diagnostics too (people see it in
    the plan view; a pipeline reads ``diagnostics`` first and must not find it empty)."""
    if not g.json:
        return warnings
    merged = type(warnings)(list(warnings))
    merged.extend(d for d in the_plan.diagnostics if d not in list(warnings))
    return merged


def _confirm() -> bool:
    return typer.confirm("\nApply these changes to Azure?", default=False)


def _blocked(the_plan: Any, warnings: Any) -> Outcome:
    from tenantctl.planning import plan_to_json
    from tenantctl.render.plan import print_plan

    return Outcome(
        data={"plan": plan_to_json(the_plan), "applied": False},
        human=lambda: print_plan(the_plan),
        diagnostics=warnings,
        exit_code=ExitCode.ERROR,
    )


def _nothing_to_do(the_plan: Any, warnings: Any) -> Outcome:
    from tenantctl.planning import plan_to_json
    from tenantctl.render.plan import print_plan

    return Outcome(
        data={"plan": plan_to_json(the_plan), "applied": False, "outcomes": []},
        human=lambda: print_plan(the_plan),
        diagnostics=warnings,
    )
