"""A pure "apply" for tests: the observed state Azure would have after a plan's changes ran."""

from __future__ import annotations

import dataclasses
from typing import Any

from tenantctl.observation import ObservedState
from tenantctl.planning.model import Action, Plan
from tenantctl.resources import Account, Blocklist, DeletedAccount, Deployment, RaiPolicy

__all__ = ["applied"]


def applied(observed: ObservedState, plan: Plan) -> ObservedState:
    accounts = dict(observed.accounts)
    children: dict[str, dict[str, dict[str, Any]]] = {
        "deployments": {k: {d.name: d for d in v} for k, v in observed.deployments.items()},
        "rai_policies": {k: {d.name: d for d in v} for k, v in observed.rai_policies.items()},
        "blocklists": {k: {d.name: d for d in v} for k, v in observed.blocklists.items()},
    }
    field = {Deployment: "deployments", RaiPolicy: "rai_policies", Blocklist: "blocklists"}
    deleted = {k: list(v) for k, v in observed.deleted_accounts.items()}
    for c in plan.changes:
        before, after = c.before, c.after
        if c.action in (Action.DELETE, Action.REPLACE) and before is not None:
            if isinstance(before, Account):
                accounts.pop(before.ref.key, None)
                for f in children.values():
                    f.pop(before.ref.key, None)
            elif not isinstance(before, DeletedAccount) and type(before) in field:
                children[field[type(before)]].get(before.account.key, {}).pop(before.name, None)  # type: ignore[union-attr]
        if c.action is Action.PURGE and isinstance(before, DeletedAccount):
            deleted[before.ref.subscription_id] = [
                d for d in deleted.get(before.ref.subscription_id, []) if d.ref.key != before.ref.key
            ]
        if c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RESTORE) and after is not None:
            if isinstance(after, Account):
                accounts[after.ref.key] = after
                for f in children.values():
                    f.setdefault(after.ref.key, {})
                if c.action is Action.RESTORE:
                    subs = deleted.get(after.ref.subscription_id, [])
                    deleted[after.ref.subscription_id] = [d for d in subs if d.ref.key != after.ref.key]
            elif type(after) in field:
                children[field[type(after)]].setdefault(after.account.key, {})[after.name] = after  # type: ignore[union-attr]
    return dataclasses.replace(
        observed,
        accounts=accounts,
        deployments={k: tuple(v.values()) for k, v in children["deployments"].items()},
        rai_policies={k: tuple(v.values()) for k, v in children["rai_policies"].items()},
        blocklists={k: tuple(v.values()) for k, v in children["blocklists"].items()},
        deleted_accounts={k: tuple(v) for k, v in deleted.items()},
    )
