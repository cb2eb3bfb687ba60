"""``models``: every model version the manifest uses, with its retirement date per region and who runs it.

Dates come from the regions' model catalogues (``models.list``): Azure publishes a retirement
(``deprecation.inference``) per model version, and a deployment still on that version afterwards
stops answering.  Rows are sorted by the nearest retirement so that the first line is the next
deadline.  Pure: the catalogues and "today" are arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from tenantctl.cloud.port import CloudPort
from tenantctl.inspection.report import RETIREMENT_WARNING_DAYS
from tenantctl.manifest.fine_tuned import fine_tuned_hosts
from tenantctl.manifest.model import Manifest
from tenantctl.observation import observe_accounts, observe_quota
from tenantctl.planning.model_uses import ModelUse, model_uses
from tenantctl.planning.upgrade import ModelVersion, UpgradeWave, plan_wave
from tenantctl.resources import ModelOffer

__all__ = ["ModelInventory", "ModelUser", "ModelVersionRow", "model_inventory", "read_models", "upgrade_wave"]


@dataclass(frozen=True)
class ModelUser:
    """A tenant or stamp deployment on a model version."""

    owner: str  # tenant id or stamp:<id>
    tenant: str | None
    deployment: str
    sku: str
    isolation: str
    upgrade_policy: str
    version_upgrade_option: str


@dataclass(frozen=True)
class ModelVersionRow:
    model: str
    version: str
    region: str
    retirement: date | None  # None: the catalogue has no date, or does not list the version here
    days_to_retirement: int | None
    retiring_soon: bool
    lifecycle: str
    offered: bool  # the region's catalogue lists this version (False: deployments of it cannot be created)
    users: tuple[ModelUser, ...]

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(sorted({u.tenant for u in self.users if u.tenant is not None}))


@dataclass(frozen=True)
class ModelInventory:
    today: date
    rows: tuple[ModelVersionRow, ...]
    read_catalogue: bool  # False without --emulator/Azure access: dates unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "models": [
                {
                    **{k: v for k, v in asdict(r).items() if k not in ("users", "retirement")},
                    "retirement": r.retirement.isoformat() if r.retirement else None,
                    "tenants": list(r.tenants),
                    "users": [asdict(u) for u in r.users],
                }
                for r in self.rows
            ],
        }


def _user(use: ModelUse) -> ModelUser:
    return ModelUser(
        use.owner,
        use.tenant,
        use.deployment,
        use.sku,
        use.isolation,
        use.upgrade_policy,
        use.version_upgrade_option,
    )


def model_inventory(
    manifest: Manifest, catalogues: Mapping[tuple[str, str], tuple[ModelOffer, ...]], today: date
) -> ModelInventory:
    """One row per (model, version, region) the manifest uses; catalogues by (subscription, region)."""
    groups: dict[tuple[str, str, str, str], list[ModelUse]] = {}
    for use in model_uses(manifest):
        key = (use.model.lower(), use.version.lower(), use.region, use.subscription_id)
        groups.setdefault(key, []).append(use)
    rows: dict[tuple[str, str, str], ModelVersionRow] = {}
    for (model, version, region, subscription), uses in groups.items():
        skus = {u.sku.lower() for u in uses}
        offers = [
            o
            for o in catalogues.get((subscription, region), ())
            if o.model.lower() == model and o.version.lower() == version
        ]
        used = [o for o in offers if o.sku.lower() in skus] or offers
        dates = [o.deprecation for o in used if o.deprecation is not None]
        retirement = min(dates) if dates else None
        days = (retirement - today).days if retirement else None
        row_key = (uses[0].model, uses[0].version, region)
        previous = rows.get(row_key)
        users = tuple(_user(u) for u in uses)
        rows[row_key] = ModelVersionRow(
            uses[0].model,
            uses[0].version,
            region,
            retirement,
            days,
            days is not None and days < RETIREMENT_WARNING_DAYS,
            next((o.lifecycle for o in used if o.lifecycle), ""),
            bool(offers),
            (*(previous.users if previous else ()), *users),
        )
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.retirement is None, r.retirement or date.max, r.model, r.version, r.region),
    )
    return ModelInventory(today, tuple(ordered), bool(catalogues))


def read_models(manifest: Manifest, cloud: CloudPort, today: date) -> ModelInventory:
    """``models``: the catalogues of every (subscription, region) the manifest uses, one read each, and
    where the manifest deploys fine-tuned models, the accounts' own lists (they are in no region's)."""
    catalogues = dict(observe_quota(manifest, cloud).models)
    if any(fine_tuned_hosts(manifest)):
        observed = observe_accounts(manifest, cloud)
        for key, offers in observed.account_models.items():
            account = observed.accounts[key]
            region = (account.ref.subscription_id, account.location)
            catalogues[region] = (*catalogues.get(region, ()), *offers)
    return model_inventory(manifest, catalogues, today)


def upgrade_wave(
    manifest: Manifest,
    text: str,
    cloud: CloudPort,
    *,
    target: ModelVersion,
    source: ModelVersion | None,
    wave: str,
    dry_run: bool,
) -> UpgradeWave:
    """``upgrade``: observe the deployments (is the previous wave live?) and catalogues, then pick the wave.

    Writes nothing: the caller writes ``text`` of the result when it is not refused.
    """
    observed = observe_accounts(manifest, cloud)
    catalogues = observe_quota(manifest, cloud).models
    return plan_wave(
        manifest,
        text,
        target=target,
        source=source,
        wave=wave,
        observed=observed,
        catalogues=catalogues,
        dry_run=dry_run,
    )
