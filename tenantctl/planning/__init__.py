"""Planning: the pure core of ``tenantctl plan`` (placement, diff, quota ledger, order, serialization)."""

from __future__ import annotations

from tenantctl.planning.fingerprint import fingerprint
from tenantctl.planning.planner import make_plan
from tenantctl.planning.serialize import plan_from_json, plan_to_json

__all__ = ["fingerprint", "make_plan", "plan_from_json", "plan_to_json"]
