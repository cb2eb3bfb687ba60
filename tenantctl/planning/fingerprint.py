"""A fingerprint of what a plan read, so apply can refuse a plan made against a changed cloud.

It hashes a canonical JSON (sorted keys, no spaces) of the observed state, leaving out what Azure
changes by itself without meaning anything for the plan (endpoints, provisioning states): a
saved plan goes stale when something the diff or the ledger looked at changes, not before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tenantctl.observation import ObservedState

__all__ = ["fingerprint"]

_VOLATILE = frozenset({"endpoint", "provisioning_state"})


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def fingerprint(observed: ObservedState) -> str:
    """``sha256:<hex>`` of the canonical observed state; stable across runs and Python versions."""
    state = observed.to_json()
    # Tenant-provided accounts are only verified, never written: their checks cannot make a plan stale.
    state.pop("byo", None)
    canonical = json.dumps(_strip(state), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
