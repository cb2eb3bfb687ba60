"""JSON forms of results that are not plans (plans have their own schema in planning/serialize.py)."""

from __future__ import annotations

from typing import Any

from tenantctl.execution.result import ApplyResult
from tenantctl.planning.model import Plan

__all__ = ["apply_result_to_json"]


def apply_result_to_json(result: ApplyResult, plan: Plan) -> dict[str, Any]:
    """``data`` of ``apply -o json``: the verdict, counts and one outcome per change (plan order)."""
    return {
        "applied": True,
        "status": result.status.value,
        "duration_seconds": round(result.duration, 3),
        "fingerprint": plan.fingerprint,
        "counts": {status.value: n for status, n in result.counts.items()},
        "prune_skipped": result.prune_skipped,
        "interrupted": result.interrupted,
        "stopped": result.stopped,
        "outcomes": [
            {
                "address": str(o.address),
                "tenant": o.tenant,
                "status": o.status.value,
                "code": o.code,
                "message": o.message,
                "hint": o.hint,
                "reason": o.reason,
                "attempts": o.attempts,
                "duration_seconds": round(o.duration, 3),
            }
            for o in result.outcomes
        ],
    }
