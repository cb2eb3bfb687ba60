"""plan.json: the saved plan's stable, documented JSON form, and its exact inverse.

Schema (``format_version`` 1; new keys may be added, existing ones keep their meaning)::

    {
      "format_version": 1,
      "manifest_name": str,
      "fingerprint": "sha256:<hex>",          # observed state the plan was made from
      "blocked": bool,                        # errors present: apply refuses to start
      "summary": {"create": int, "update": int, "replace": int, "delete": int,
                  "purge": int, "restore": int, "no-op": int},
      "changes": [{                           # in execution order
        "address": str, "kind": "resource-group|account|blocklist|rai-policy|deployment",
        "action": "no-op|create|update|replace|delete|purge|restore",
        "tenant": str|null, "stamp": str|null, "account": "<ARM account id>"|null,
        "reason": str, "outage": str|null, "phase": int, "depends_on": [address, ...],
        "changed_fields": [{"name": str, "before": any, "after": any, "forces_replace": bool}],
        "before": <resource>|null, "after": <resource>|null
      }],
      "quota": [{"subscription_id", "location", "usage_name", "need", "frees", "used", "limit",
                 "headroom", "short": bool}],
      "diagnostics": [{"severity", "code", "summary", "detail", "path", "line", "file", "tenant"}]
    }

A ``<resource>`` is the record's fields plus ``"type"`` (Account, Deployment, RaiPolicy, Blocklist,
DeletedAccount, ResourceGroup); account references are ARM ids, dates ISO 8601, tags objects.
``plan_from_json(plan_to_json(p)) == p`` for every plan (tested), so ``apply --plan`` runs exactly
what was reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantctl.addresses import Address
from tenantctl.diagnostics import Diagnostic, Diagnostics, Severity
from tenantctl.planning.model import Action, Change, FieldChange, Plan, QuotaLine, ResourceKind
from tenantctl.resource_codec import record_from_json, record_to_json
from tenantctl.resources import AccountRef

__all__ = ["FORMAT_VERSION", "plan_from_json", "plan_to_json"]

FORMAT_VERSION = 1


def _value(v: object) -> object:
    # Field values are JSON scalars, tuples (ips, terms, blocklists) or None.
    return list(v) if isinstance(v, tuple) else v


def _change_to_json(c: Change) -> dict[str, Any]:
    return {
        "address": str(c.address),
        "kind": c.kind.value,
        "action": c.action.value,
        "tenant": c.tenant,
        "stamp": c.stamp,
        "account": c.account.id if c.account else None,
        "reason": c.reason,
        "outage": c.outage,
        "phase": c.phase,
        "depends_on": [str(a) for a in c.depends_on],
        "changed_fields": [
            {
                "name": f.name,
                "before": _value(f.before),
                "after": _value(f.after),
                "forces_replace": f.forces_replace,
            }
            for f in c.changed_fields
        ],
        "before": record_to_json(c.before) if c.before is not None else None,
        "after": record_to_json(c.after) if c.after is not None else None,
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict (see the module docstring for the schema)."""
    return {
        "format_version": FORMAT_VERSION,
        "manifest_name": plan.manifest_name,
        "fingerprint": plan.fingerprint,
        "blocked": plan.is_blocked,
        "summary": {a.value: plan.count(a) for a in Action},
        "changes": [_change_to_json(c) for c in plan.changes],
        "quota": [
            {
                "subscription_id": q.subscription_id,
                "location": q.location,
                "usage_name": q.usage_name,
                "need": q.need,
                "frees": q.frees,
                "used": q.used,
                "limit": q.limit,
                "headroom": q.headroom,
                "short": q.is_short,
            }
            for q in plan.quota
        ],
        "diagnostics": [d.to_json() for d in plan.diagnostics],
    }


def _field(data: Mapping[str, Any]) -> FieldChange:
    def back(v: object) -> object:
        return tuple(v) if isinstance(v, list) else v

    return FieldChange(data["name"], back(data["before"]), back(data["after"]), bool(data["forces_replace"]))


def _change(data: Mapping[str, Any]) -> Change:
    return Change(
        address=Address.parse(data["address"]),
        kind=ResourceKind(data["kind"]),
        action=Action(data["action"]),
        before=record_from_json(data["before"]) if data["before"] is not None else None,
        after=record_from_json(data["after"]) if data["after"] is not None else None,
        reason=data["reason"],
        tenant=data["tenant"],
        stamp=data["stamp"],
        account=AccountRef.parse(data["account"]) if data["account"] else None,
        changed_fields=tuple(_field(f) for f in data["changed_fields"]),
        outage=data["outage"],
        depends_on=tuple(Address.parse(a) for a in data["depends_on"]),
        phase=int(data["phase"]),
    )


def _diagnostic(d: Mapping[str, Any]) -> Diagnostic:
    return Diagnostic(
        Severity(d["severity"]),
        d["code"],
        d["summary"],
        d.get("detail") or "",
        d.get("path") or "",
        d.get("line"),
        d.get("file"),
        d.get("tenant"),
    )


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """Inverse of :func:`plan_to_json`; raises ValueError for an unknown ``format_version``."""
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported plan format_version {data.get('format_version')!r} (this tenantctl reads 1)")
    return Plan(
        changes=tuple(_change(c) for c in data["changes"]),
        quota=tuple(
            QuotaLine(
                q["subscription_id"],
                q["location"],
                q["usage_name"],
                q["need"],
                q["frees"],
                q["used"],
                q["limit"],
            )
            for q in data["quota"]
        ),
        diagnostics=Diagnostics([_diagnostic(d) for d in data["diagnostics"]]),
        fingerprint=data["fingerprint"],
        manifest_name=data["manifest_name"],
    )
