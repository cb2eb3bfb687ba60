"""Fine-tuned models per account: registered through the control API, listed by ``accounts.list_models``.

Azure lists an account's models (``GET …/accounts/{name}/models``, ``AccountModel`` items: the
base models the account may deploy plus the models fine-tuned in it) and a deployment may name a
fine-tuned model only on the account that holds it, version ``"1"`` (Learn "Deploy a fine-tuned
model", https://learn.microsoft.com/azure/ai-services/openai/how-to/fine-tuning-deploy). The emulator
does not train anything: a test registers the model on the account (``POST /_emulator/fine-tuned-models``)
with its own retirement date, as if a fine-tuning job had finished there.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from tenantctl.emulator import catalogue
from tenantctl.emulator.accounts import get_account
from tenantctl.emulator.core import ArmError, Ctx, Doc, Router, iso, now
from tenantctl.emulator.deleted import NS
from tenantctl.emulator.world import World

__all__ = ["KIND", "find", "register", "register_model"]

KIND = "finetunedmodel"
FINE_TUNED_VERSION = "1"
# Deployment types Learn lists for fine-tuned models: Standard, Global Standard, Provisioned Throughput.
FINE_TUNED_SKUS = ("Standard", "GlobalStandard", "ProvisionedManaged")


def register_model(world: World, account_id: str, model: str, retirement: str) -> Doc:
    """Record ``model`` (``<base>.ft-<32 hex>``) as fine-tuned in the account ``account_id``."""
    parts = account_id.strip("/").split("/")
    if len(parts) != 8 or parts[6].lower() != "accounts":
        raise ArmError(400, "InvalidFineTunedModel", f"{account_id!r} is not an account id")
    account = get_account(world, parts[1], parts[3], parts[7])  # 404 ResourceNotFound when missing
    base, sep, _job = model.partition(".ft-")
    if not sep or not base:
        raise ArmError(400, "InvalidFineTunedModel", f"{model!r} is not a fine-tuned model id (<base>.ft-<id>)")
    doc = {
        "account": account["id"],
        "name": model,
        "base": base,
        "retirement": retirement,
        "created": iso(now()),
    }
    world.store.put(KIND, f"{account['id']}/{model}", doc, parent=account["id"])
    return doc


def find(world: World, account_id: str, name: str, version: str) -> catalogue.ModelVersion | None:
    """The fine-tuned model ``name`` of the account as a catalogue entry (its own SKUs and date), or None."""
    doc = world.store.get(KIND, f"{account_id}/{name}")
    if doc is None or (version and version != FINE_TUNED_VERSION):
        return None
    return _version(doc)


def _account_model(doc: Doc, location: str) -> dict[str, Any]:
    mv = _version(doc)
    return {
        "format": "OpenAI",
        "name": mv.name,
        "version": mv.version,
        "source": doc["account"],
        "baseModel": {"format": "OpenAI", "name": doc["base"], "version": ""},
        "isDefaultVersion": False,
        "capabilities": dict(mv.capabilities),
        "deprecation": {"inference": mv.inference_retirement},
        "lifecycleStatus": "GenerallyAvailable",
        "skus": [
            {
                "name": s,
                "usageName": catalogue.usage_name(s, mv.name),
                "deprecationDate": mv.inference_retirement,
                "capacity": catalogue.capacity_range(s),
            }
            for s in catalogue.skus_in(location, mv)
        ],
    }


def _version(doc: Doc) -> catalogue.ModelVersion:
    return catalogue.ModelVersion(
        doc["name"], FINE_TUNED_VERSION, FINE_TUNED_SKUS, doc["created"], inference_retirement=doc["retirement"]
    )


def _list_account_models(ctx: Ctx) -> Response:
    account = get_account(ctx.world, ctx.params["subscriptionId"], ctx.params["rg"], ctx.params["name"])
    location = str(account["location"])
    base = [item["model"] for item in catalogue.model_documents(location)]
    tuned = [_account_model(d, location) for d in ctx.world.store.children(KIND, account["id"])]
    return ctx.page([*base, *tuned])


def register(router: Router) -> None:
    router.add(
        "GET",
        "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/"
        "{name}/models",
        _list_account_models,
        "accounts.list_models",
        f"{NS}/accounts/models/read",
    )
