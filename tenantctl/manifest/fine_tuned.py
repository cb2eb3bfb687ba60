"""Fine-tuned models in the manifest: where a deployment may name one (pure validation).

Azure names a fine-tuned model ``<base model>.ft-<32 hex>`` (e.g.
``gpt-4o-mini-2024-07-18.ft-0e208cf33a6a466994aff31a08aba678``, version ``"1"``) and it exists in the
one account it was trained in (Learn "Deploy a fine-tuned model").  The multitenancy guidance
(https://learn.microsoft.com/azure/architecture/guide/multitenant/service/openai) puts tenants whose
models are fine-tuned on their own data on a dedicated account or a dedicated deployment, never on a
shared deployment: a stamp's shared deployment would serve one tenant's model to every tenant.
So a fine-tuned id is allowed in a dedicated tenant's deployments and in a dedicated-deployment
tenant's deployments (the model must then live on the stamp account hosting the tenant; plan checks
that against the account's model list), and refused on a stamp's shared deployments and in
``[defaults]`` (which many tenants share).
"""

from __future__ import annotations

import re

from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.report import Reporter

__all__ = ["FINE_TUNED_MODEL", "GUIDANCE_URL", "check_fine_tuned", "fine_tuned_hosts", "is_fine_tuned"]

FINE_TUNED_MODEL = re.compile(r".+\.ft-[0-9a-f]{32}", re.IGNORECASE)
GUIDANCE_URL = "https://learn.microsoft.com/azure/architecture/guide/multitenant/service/openai"


def is_fine_tuned(model: str | None) -> bool:
    """Whether ``model`` is a fine-tuned model id as Azure lists it for an account."""
    return model is not None and FINE_TUNED_MODEL.fullmatch(model) is not None


def fine_tuned_hosts(manifest: Manifest) -> tuple[frozenset[str], frozenset[str]]:
    """(tenants, stamps) whose accounts must hold a fine-tuned model: dedicated tenants that declare one,
    and the stamps of dedicated-deployment tenants that do (which stamp account hosts them is placement's)."""
    tenants: set[str] = set()
    stamps: set[str] = set()
    for tenant_id, tenant in manifest.tenants.items():
        if not any(is_fine_tuned(spec.model) for spec in manifest.tenant_deployment_specs(tenant_id)):
            continue
        if tenant.isolation is Isolation.DEDICATED:
            tenants.add(tenant_id)
        elif tenant.stamp is not None:
            stamps.add(tenant.stamp)
    return frozenset(tenants), frozenset(stamps)


def check_fine_tuned(manifest: Manifest, report: Reporter) -> None:
    """Errors for fine-tuned models where several tenants would share them."""
    why = (
        "A fine-tuned model lives in one account and is trained on one tenant's data: deploy it only for that "
        "tenant (isolation dedicated, or dedicated-deployment on the stamp account that hosts the model); the "
        f"multitenancy guidance warns against sharing it ({GUIDANCE_URL})."
    )
    for index, spec in enumerate(manifest.defaults.deployments):
        if is_fine_tuned(spec.model):
            report.error(
                "fine-tuned-shared",
                f"[defaults] deployment {spec.name!r} names the fine-tuned model {spec.model!r}: every tenant "
                "without deployments of its own would get it",
                ("defaults", "deployments", index, "model"),
                detail=why,
            )
    for stamp_id, stamp in manifest.stamps.items():
        for index, spec in enumerate(stamp.deployments):
            if is_fine_tuned(spec.model):
                report.error(
                    "fine-tuned-shared",
                    f"stamp {stamp_id!r}: shared deployment {spec.name!r} in {stamp.location} names the fine-tuned "
                    f"model {spec.model!r}; a shared deployment serves every tenant on the stamp",
                    ("stamps", stamp_id, "deployments", index, "model"),
                    detail=why,
                )
