"""Human views of a plan and of an apply result.

The plan text itself comes from :func:`tenantctl.planning.text.plan_lines` (the same lines the
golden tests pin); this view only adds colour by action, so what reviewers approve in tests is
exactly what SREs read.
"""

from __future__ import annotations

from rich.markup import escape

from tenantctl.execution.result import ApplyResult, OutcomeStatus
from tenantctl.planning.model import Action, Plan
from tenantctl.planning.text import plan_lines
from tenantctl.render.console import out_console

__all__ = ["print_apply_result", "print_plan"]

_STYLE_BY_SYMBOL = {
    Action.CREATE.symbol: "create",
    Action.UPDATE.symbol: "update",
    Action.REPLACE.symbol: "replace",
    Action.DELETE.symbol: "delete",
    Action.PURGE.symbol: "purge",
    Action.RESTORE.symbol: "restore",
}


def _style_for(line: str) -> str | None:
    stripped = line.lstrip()
    symbol = stripped.split(" ", 1)[0] if stripped else ""
    if line.startswith("  ") and symbol in _STYLE_BY_SYMBOL:
        return _STYLE_BY_SYMBOL[symbol]
    if line.startswith(("Plan:", "No changes")):
        return "heading"
    if line.startswith(("tenant ", "stamp ", "provider", "Quota", "Diagnostics")):
        return "heading"
    if "SHORT" in line or line.startswith("Apply is blocked") or "error[" in line:
        return "error"
    if "warning[" in line:
        return "warning"
    return None


def print_plan(plan: Plan) -> None:
    console = out_console()
    for line in plan_lines(plan):
        style = _style_for(line)
        console.print(f"[{style}]{escape(line)}[/{style}]" if style else escape(line))


def print_apply_result(result: ApplyResult) -> None:
    console = out_console()
    counts = result.counts
    ok, failed, skipped = counts[OutcomeStatus.OK], counts[OutcomeStatus.FAILED], counts[OutcomeStatus.SKIPPED]
    cut_short = result.interrupted or result.stopped is not None
    style = "success" if failed == 0 and not cut_short else ("warning" if ok else "error")
    console.print(
        f"[{style}]Apply {result.status.value}:[/{style}] {ok} done, {failed} failed, {skipped} skipped "
        f"in {result.duration:.1f}s."
    )
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
