"""Pre-flight for fine-tuned models: the account must list the model before anything is written (pure).

A fine-tuned model exists only in the account it was trained in (``accounts.list_models`` lists it
there); Azure refuses a deployment of it anywhere else, and only after the writes before it in
the plan have run.  So the plan checks first, and a missing model blocks it with the account named:
a dedicated tenant's account, or the stamp account placement put a dedicated-deployment tenant on.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.fine_tuned import is_fine_tuned
from tenantctl.observation import ObservedState
from tenantctl.planning.model import Action, Change
from tenantctl.resources import Deployment

__all__ = ["check_fine_tuned_models"]


def check_fine_tuned_models(observed: ObservedState, changes: Iterable[Change], diags: Diagnostics) -> None:
    """An error per deployment to write whose fine-tuned model its account does not list."""
    for c in changes:
        d = c.after
        if not isinstance(d, Deployment) or c.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
            continue
        if not is_fine_tuned(d.model):
            continue
        account = d.account
        listed = observed.account_models.get(account.key)
        if listed is None:
            why = (
                "the account does not exist yet"
                if account.key not in observed.accounts
                else "its model list was not read"
            )
            have = False
        else:
            why = "the account does not list it"
            have = any(o.model.lower() == d.model.lower() and o.version == d.version for o in listed)
        if have:
            continue
        diags.error(
            "fine-tuned-model-missing",
            f"{c.address}: fine-tuned model {d.model!r} is not in account {account.name} "
            f"({account.subscription_id}/{account.resource_group}): {why}",
            detail="A fine-tuned model can be deployed only on the account it was trained in: fine-tune it there "
            "(or copy it there), check `az cognitiveservices account list-models`, then plan again.",
            tenant=c.tenant,
        )
