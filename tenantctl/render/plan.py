"""Human views of a plan and of an apply result.

The plan text itself comes from :func:`tenantctl.planning.text.plan_view` (the same lines the
golden tests pin); this view only adds colour by each line's kind, so what reviewers approve in
tests is exactly what SREs read.
"""

from __future__ import annotations

from rich.markup import escape

from tenantctl.execution.result import ApplyResult, OutcomeStatus
from tenantctl.planning.model import Plan
from tenantctl.planning.text import LineKind, plan_view
from tenantctl.render.console import out_console

__all__ = ["print_apply_result", "print_plan"]

# Rich style names of the theme (render/console.py), by what a line is; unlisted kinds stay plain.
_STYLE_BY_KIND = {
    LineKind.SUMMARY: "heading",
    LineKind.HEADING: "heading",
    LineKind.CREATE: "create",
    LineKind.UPDATE: "update",
    LineKind.REPLACE: "replace",
    LineKind.DELETE: "delete",
    LineKind.PURGE: "purge",
    LineKind.RESTORE: "restore",
    LineKind.QUOTA_SHORT: "error",
    LineKind.ERROR: "error",
    LineKind.BLOCKED: "error",
    LineKind.WARNING: "warning",
}


def print_plan(plan: Plan) -> None:
    console = out_console()
    for line in plan_view(plan):
        style = _STYLE_BY_KIND.get(line.kind)
        console.print(f"[{style}]{escape(line.text)}[/{style}]" if style else escape(line.text))


def print_apply_result(result: ApplyResult, *, verbose: bool = False) -> None:
    console = out_console()
    counts = result.counts
    ok, failed, skipped = counts[OutcomeStatus.OK], counts[OutcomeStatus.FAILED], counts[OutcomeStatus.SKIPPED]
    cut_short = result.interrupted or result.stopped is not None
    style = "success" if failed == 0 and not cut_short else ("warning" if ok else "error")
    console.print(
        f"[{style}]Apply {result.status.value}:[/{style}] {ok} done, {failed} failed, {skipped} skipped "
        f"in {result.duration:.1f}s."
    )
    if verbose and result.parallelism:
        console.print(f"[muted]Up to {result.parallelism} accounts written at once.[/muted]")
    for outcome in result.outcomes:
        if outcome.status is OutcomeStatus.FAILED:
            console.print(
                f"  [error]✗ {escape(str(outcome.address))}[/error]: [{escape(outcome.code or 'error')}] "
                f"{escape(outcome.message)}"
            )
            if outcome.hint:
                console.print(f"      hint: {escape(outcome.hint)}")
        elif outcome.status is OutcomeStatus.SKIPPED:
            console.print(f"  [muted]- {escape(str(outcome.address))} skipped: {escape(outcome.reason)}[/muted]")
    if result.prune_skipped:
        console.print(f"[warning]{escape(result.prune_skipped)}[/warning]")
    if failed:
        console.print("Re-run `tenantctl apply` after fixing the failures: it converges from where it stopped.")
    elif cut_short:
        console.print("Re-run `tenantctl apply` to make the skipped changes: it converges from where it stopped.")
