"""Execution: run a plan's changes against the cloud port (per-account serial queues, accounts in
parallel, dependency-aware, prune last) and hold the apply lock so two pipelines never write at once.

The lock modules are imported lazily by whoever needs them (``tenantctl.execution.lock``); the blob
backend imports ``azure.storage.blob`` only when a blob lock is actually taken.
"""

from __future__ import annotations

from tenantctl.execution.executor import apply_plan
from tenantctl.execution.hooks import ApplyHooks, NullHooks
from tenantctl.execution.result import ApplyResult, ApplyStatus, ChangeOutcome, OutcomeStatus

__all__ = [
    "ApplyHooks",
    "ApplyResult",
    "ApplyStatus",
    "ChangeOutcome",
    "NullHooks",
    "OutcomeStatus",
    "apply_plan",
]
