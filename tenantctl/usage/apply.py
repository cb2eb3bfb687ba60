"""``--apply-recommendations``: right-sizing written to the manifest through the scripted-edit path.

Only the manifest changes; Azure changes when the operator runs ``plan`` and ``apply`` (the one way
tenantctl changes Azure). A dedicated tenant that uses the ``[defaults]`` deployments gets its own
``deployments`` array of ``{ name, capacity }`` (model, version and SKU still come from defaults).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.edit import set_tenant_fields
from tenantctl.manifest.model import Manifest
from tenantctl.usage.report import Recommendation

__all__ = ["AppliedRecommendations", "apply_recommendations"]

_CHANGES = ("raise", "lower")


@dataclass(frozen=True)
class AppliedRecommendations:
    text: str  # the manifest after the edits (unchanged when nothing applied)
    applied: tuple[Recommendation, ...]
    diagnostics: Diagnostics


def _assignments(manifest: Manifest, tenant_id: str, recs: Sequence[Recommendation]) -> dict[str, object]:
    wanted = {r.field: r.proposed for r in recs}
    if any(f.startswith("deployments.") for f in wanted) and not manifest.tenants[tenant_id].deployments:
        # On [defaults]: no deployments.<name> keys yet, so write the whole array of overrides.
        array = []
        for spec in manifest.tenant_deployment_specs(tenant_id):
            capacity = wanted.get(f"deployments.{spec.name}.capacity")
            resolved = manifest.resolve(spec)
            array.append(
                {
                    "name": spec.name,
                    "capacity": capacity if capacity is not None else resolved.capacity if resolved else 0,
                }
            )
        rest = {k: v for k, v in wanted.items() if not k.startswith("deployments.")}
        return {**rest, "deployments": array}
    return dict(wanted)


def apply_recommendations(
    manifest: Manifest, text: str, recommendations: Sequence[Recommendation]
) -> AppliedRecommendations:
    """Set every raise/lower recommendation's key; a refused edit is a diagnostic, the others still apply."""
    by_tenant: dict[str, list[Recommendation]] = defaultdict(list)
    for r in recommendations:
        if r.action in _CHANGES and r.proposed != r.current:
            by_tenant[r.tenant].append(r)
    diagnostics = Diagnostics()
    applied: list[Recommendation] = []
    for tenant_id, recs in sorted(by_tenant.items()):
        result = set_tenant_fields(text, tenant_id, _assignments(manifest, tenant_id, recs))
        diagnostics.items.extend(result.diagnostics)
        if result.text is None:
            continue
        text = result.text
        applied.extend(recs)
    return AppliedRecommendations(text, tuple(applied), diagnostics)
