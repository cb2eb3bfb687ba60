"""Model retirement: when Azure stops serving a model version, from a region's catalogue (pure).

Azure publishes a retirement (``deprecation``) date per model version and SKU in each region's
model catalogue (``models.list``); from that date on, calls to a deployment of that version fail
unless Azure upgraded it (``version_upgrade_option``).  This module is the one place that reads
those dates: ``inspect``, ``status`` and ``plan`` (and later ``models``) ask it, with ``today``
passed in (nothing here reads the clock, so every answer is reproducible).

* :func:`find_offer` - the catalogue row of (model, version, SKU), case-insensitively;
* :func:`retirement_of` - that row's retirement as a :class:`Retirement`, or None (no date known);
* :func:`retiring_deployments` - deployments Azure has, and those the plan creates, whose version
  retires within :data:`RETIREMENT_WARNING_DAYS`; each :class:`RetiringDeployment` makes its
  warning (``model-retiring`` for what runs, ``model-retiring-soon`` before creating one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from tenantctl import naming
from tenantctl.diagnostics import Diagnostic, Severity
from tenantctl.planning.model import Action, Change
from tenantctl.resources import Account, Deployment, ModelOffer

__all__ = [
    "RETIREMENT_WARNING_DAYS",
    "Retirement",
    "RetiringDeployment",
    "find_offer",
    "retirement_of",
    "retiring_deployments",
]

# Under this many days before a version retires, support (and a plan creating it) should act.
RETIREMENT_WARNING_DAYS = 90

Region = tuple[str, str]  # (subscription id, location), as observation keys catalogues


@dataclass(frozen=True)
class Retirement:
    """When a model version (under one SKU, in one region) stops being served."""

    model: str
    version: str
    sku: str
    location: str
    retires_on: date
    days_left: int  # negative: already retired
    lifecycle: str = ""  # the catalogue's lifecycle status (GenerallyAvailable, Preview, Deprecated ...)

    @property
    def soon(self) -> bool:
        return self.days_left < RETIREMENT_WARNING_DAYS

    @property
    def model_version(self) -> str:
        return f"{self.model}@{self.version}"

    def describe(self) -> str:
        """``gpt-35-turbo@0125 (Standard) in westeurope retires on 2027-01-10 (49 days)``."""
        when = f"{self.days_left} days" if self.days_left >= 0 else f"{-self.days_left} days ago"
        verb = "retires" if self.days_left >= 0 else "retired"
        return f"{self.model_version} ({self.sku}) in {self.location} {verb} on {self.retires_on.isoformat()} ({when})"


def find_offer(offers: Iterable[ModelOffer], model: str, version: str, sku: str) -> ModelOffer | None:
    """The catalogue row of (model, version, SKU); Azure's names are case-insensitive."""
    want = (model.lower(), version.lower(), sku.lower())
    return next((o for o in offers if (o.model.lower(), o.version.lower(), o.sku.lower()) == want), None)


def retirement_of(
    offers: Iterable[ModelOffer], model: str, version: str, sku: str, *, today: date
) -> Retirement | None:
    """The retirement of (model, version, SKU) in the region whose catalogue ``offers`` is; None if undated."""
    offer = find_offer(offers, model, version, sku)
    if offer is None or offer.deprecation is None:
        return None
    days = (offer.deprecation - today).days
    return Retirement(offer.model, offer.version, offer.sku, offer.location, offer.deprecation, days, offer.lifecycle)


@dataclass(frozen=True)
class RetiringDeployment:
    """A deployment (in Azure, or to be created by the plan) whose version retires soon."""

    deployment: Deployment
    retirement: Retirement
    tenant: str | None
    creating: bool  # the plan creates it (or changes its version to this one)

    @property
    def code(self) -> str:
        return "model-retiring-soon" if self.creating else "model-retiring"

    def diagnostic(self) -> Diagnostic:
        """The warning: tenant (or stamp), deployment, account, region, model@version, date, days left."""
        d, r = self.deployment, self.retirement
        who = f"tenant {self.tenant}" if self.tenant else f"stamp {d.tags.get(naming.TAG_STAMP, '?')}"
        what = f"{who}: deployment {d.name} on {d.account.name}"
        if self.creating:
            summary = f"{what} would be created with {r.describe()}"
            detail = (
                "Azure stops serving that version on that date and calls to it fail from then on: declare a newer "
                "version in the manifest (or let version_upgrade_option upgrade it) before applying"
            )
        else:
            summary = f"{what} runs {r.describe()}"
            detail = "Move it to a newer version in the manifest (or let version_upgrade_option do it) before that date"
        path = f"tenants.{self.tenant}.deployments" if self.tenant else ""
        return Diagnostic(Severity.WARNING, self.code, summary, detail, path, tenant=self.tenant)


def retiring_deployments(
    deployments: Mapping[str, tuple[Deployment, ...]],
    accounts: Mapping[str, Account],
    models: Mapping[Region, tuple[ModelOffer, ...]],
    changes: Iterable[Change] = (),
    *,
    today: date,
) -> list[RetiringDeployment]:
    """Deployments whose version retires within :data:`RETIREMENT_WARNING_DAYS`, each once.

    ``changes`` that create (or replace, or change the version of) a deployment are judged by the
    version they would deploy (``creating``); the ``deployments`` Azure has by what they run.
    Only regions whose catalogue was read (``models``) are judged: no catalogue, no claim.
    """
    changes = list(changes)
    where = {k: (a.ref.subscription_id, a.location) for k, a in accounts.items()}
    out: list[RetiringDeployment] = []
    made: set[tuple[str, str]] = set()
    for c in changes:
        after = c.after
        if not isinstance(after, Deployment) or c.action not in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            continue
        before = c.before if isinstance(c.before, Deployment) else None
        if before is not None and (before.model, before.version, before.sku) == (after.model, after.version, after.sku):
            continue  # the version stays: what runs is judged below
        made.add((after.account.key, after.name.lower()))
        region = where.get(after.account.key) or _created_region(changes, after)
        r = retirement_of(models.get(region, ()) if region else (), after.model, after.version, after.sku, today=today)
        if r is not None and r.soon:
            out.append(RetiringDeployment(after, r, c.tenant or after.tags.get(naming.TAG_TENANT), creating=True))
    for key in sorted(deployments):
        region = where.get(key)
        offers = models.get(region, ()) if region else ()
        for d in sorted(deployments[key], key=lambda x: x.name):
            if (key, d.name.lower()) in made:
                continue
            r = retirement_of(offers, d.model, d.version, d.sku, today=today)
            if r is not None and r.soon:
                out.append(RetiringDeployment(d, r, d.tags.get(naming.TAG_TENANT), creating=False))
    return out


def _created_region(changes: Iterable[Change], deployment: Deployment) -> Region | None:
    """The region of an account the plan creates, for a deployment planned on it."""
    for c in changes:
        if isinstance(c.after, Account) and c.after.ref.key == deployment.account.key:
            return (c.after.ref.subscription_id, c.after.location)
    return None
