"""``tenantctl upgrade``: move one wave of a model's deployments to a new version, as a manifest edit (pure).

Azure retires model versions on published dates; a provider moves hundreds of deployments before
that, a few at a time, so that a bad version hurts a canary and not the fleet.  One call picks one
wave and returns the edited manifest text; ``plan``/``apply`` then change the deployments in Azure.
A version change of the same model is an in-place update in Azure (the deployment keeps its name
and endpoint, compare.py), so routing never has a gap.  ``--from A@v1 --to B@v2`` may change the
model name: Azure cannot do that in place, so plan/apply create a successor deployment beside the
old one, routing switches once it is Succeeded, and ``apply --retire`` deletes the old one
(:mod:`tenantctl.planning.successors`).  A wave counts as live once its successors are Succeeded.

Owners (:mod:`tenantctl.planning.model_uses`) are the units a wave moves: tenants with their own
deployments, then stamps (``stamp:<id>``, whose shared deployments every shared tenant on the stamp
rides on: they go last, they move many tenants at once).

Waves (``--wave``):

* ``canary``: owners tagged ``canary = "true"`` (``[tenants.<id>.tags]``); with none tagged, the first
  owner in that order.
* ``N%`` (1–100): owners until N % of the model's follow-default owners run the target version
  (cumulative: ``10%``, ``50%``, ``100%``; a repeated wave moves nothing more).
* ``a,b,stamp:eu1``: exactly these owners.

A wave is refused while a previous one is not live: every deployment the manifest already puts on
the target version must be observed in Azure on that version and Succeeded (i.e. the last wave was
planned and applied).  ``upgrade_policy``: ``follow-default`` owners move in their wave,
``manual`` ones only when named, ``pinned`` ones never (both are listed as skipped).

Every bad input is an error naming the owner, deployment and region, and nothing is written: an
unknown version, a wave naming unknown tenants, a version (or deployment SKU) not offered in an
owner's region.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenantctl import naming
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.edit import set_paths
from tenantctl.manifest.locate import Loc
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.manifest.report import did_you_mean
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.model_uses import STAMP_OWNER_PREFIX, ModelUse, model_uses, stamp_owner
from tenantctl.planning.successors import in_family
from tenantctl.resources import Deployment, ModelOffer

__all__ = ["CANARY_TAG", "ModelVersion", "UpgradeEdit", "UpgradeWave", "parse_model_version", "plan_wave"]

CANARY_TAG = "canary"
_PERCENT = re.compile(r"([1-9][0-9]?|100)%")
_SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class ModelVersion:
    model: str
    version: str

    def __str__(self) -> str:
        return f"{self.model}@{self.version}"

    def matches(self, model: str, version: str) -> bool:
        return self.model.lower() == model.lower() and self.version.lower() == version.lower()


def parse_model_version(text: str) -> ModelVersion | None:
    """``gpt-4o@2024-11-20`` -> ModelVersion; None when it is not ``<model>@<version>``."""
    model, sep, version = text.strip().partition("@")
    if not sep or not model or not version or "@" in version:
        return None
    return ModelVersion(model, version)


@dataclass(frozen=True)
class UpgradeEdit:
    owner: str
    deployment: str
    region: str
    before: str
    after: str
    version_upgrade_option: str


@dataclass(frozen=True)
class UpgradeWave:
    """One wave: what it moves, what it skips, and the edited manifest (``None`` when refused)."""

    wave: str
    target: str
    dry_run: bool
    moved: tuple[str, ...] = ()
    upgraded_before: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (owner, upgrade_policy)
    edits: tuple[UpgradeEdit, ...] = ()
    text: str | None = None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    def to_json(self) -> dict[str, Any]:
        return {
            "wave": self.wave,
            "target": self.target,
            "dry_run": self.dry_run,
            "written": self.text is not None and not self.dry_run and bool(self.edits),
            "moved": list(self.moved),
            "upgraded_before": list(self.upgraded_before),
            "remaining": list(self.remaining),
            "skipped": [{"owner": o, "upgrade_policy": p} for o, p in self.skipped],
            "edits": [e.__dict__ for e in self.edits],
        }


def _owner_order(owner: str) -> tuple[bool, str]:
    # Tenants first, stamps last: a stamp's shared deployments move every shared tenant on it at once.
    return owner.startswith(STAMP_OWNER_PREFIX), owner


def _azure_name(use: ModelUse) -> str:
    """The deployment's name in Azure (desired.py): tenant deployments on a stamp carry the tenant's id."""
    if use.isolation == Isolation.DEDICATED_DEPLOYMENT.value:
        return naming.tenant_deployment_name(use.owner, use.deployment)
    return use.deployment


def _observed(manifest: Manifest, observed: ObservedState, use: ModelUse) -> list[Deployment]:
    """The deployments Azure has for ``use``: this manifest's, the owner's, by name (a stamp's on every account).

    By name means the plain name and its successors' (``<name>__<model>-<sku>``, successors.py): a
    deployment whose model or SKU changed lives on under a successor's name.
    """
    name = _azure_name(use).lower()
    found = []
    for deployments in observed.deployments.values():
        for d in deployments:
            tags = d.tags
            if not in_family(d.name, name) or not is_managed(tags):
                continue
            if tags.get(naming.TAG_MANIFEST) != manifest.provider.manifest_name:
                continue
            tenant = tags.get(naming.TAG_TENANT)
            if use.owner.startswith(STAMP_OWNER_PREFIX):
                mine = tenant is None and tags.get(naming.TAG_STAMP) == use.stamp
            else:
                mine = tenant == use.owner and tags.get(naming.TAG_ISOLATION, use.isolation) == use.isolation
            if mine:
                found.append(d)
    return found


def _not_live(manifest: Manifest, observed: ObservedState, use: ModelUse, target: ModelVersion) -> str | None:
    """Why ``use`` (declared on the target version) is not live in Azure yet, or None when it is."""
    found = _observed(manifest, observed, use)
    if not found:
        return "not in Azure yet"
    by_account: dict[str, list[Deployment]] = {}
    for d in found:
        by_account.setdefault(d.account.key, []).append(d)
    # Live on an account once one of its deployments there runs the target and is Succeeded: for a new
    # model or SKU that is the successor, which routing switches to then; the old one waits for --retire.
    for _, family in sorted(by_account.items()):
        on_target = [d for d in family if target.matches(d.model, d.version)]
        if not on_target:
            d = family[0]
            return f"{d.account.name}/{d.name} still runs {d.model}@{d.version} ({d.sku})"
        if not any((d.provisioning_state or _SUCCEEDED).lower() == _SUCCEEDED for d in on_target):
            d = on_target[0]
            return f"{d.account.name}/{d.name} is {d.provisioning_state}"
    return None


def _offered(
    catalogues: Mapping[tuple[str, str], tuple[ModelOffer, ...]], use: ModelUse, target: ModelVersion
) -> tuple[bool, list[str]]:
    """Whether the owner's region sells the target version under the deployment's SKU, and the SKUs it does sell."""
    offers = [o for o in catalogues.get((use.subscription_id, use.region), ()) if target.matches(o.model, o.version)]
    skus = sorted({o.sku for o in offers})
    return any(o.sku.lower() == use.sku.lower() for o in offers), skus


@dataclass
class _Selection:
    diags: Diagnostics
    manifest: Manifest
    owners: Sequence[str]  # eligible owners (running the source version), in wave order
    policies: Mapping[str, str]
    done: Sequence[str]  # follow-default owners of the model already on the target version

    def error(self, code: str, summary: str, detail: str = "", tenant: str | None = None) -> None:
        self.diags.error(code, summary, detail=detail, tenant=tenant)

    def named(self, wave: str) -> list[str]:
        names = [n.strip() for n in wave.split(",") if n.strip()]
        known = {*self.manifest.tenants, *(stamp_owner(s) for s in self.manifest.stamps)}
        picked: list[str] = []
        for name in names:
            tenant = self.manifest.tenants.get(name)
            if name not in known:
                hint = did_you_mean(name, sorted(known))
                self.error("unknown-tenant", f"--wave names {name!r}, which is not a tenant or stamp{hint}")
            elif tenant is not None and tenant.isolation is Isolation.SHARED:
                self.error(
                    "shared-tenant",
                    f"tenant {name!r} is shared: it runs stamp {tenant.stamp!r}'s deployments",
                    detail=f"Name the stamp instead: --wave {stamp_owner(tenant.stamp or '')} (it moves every "
                    "shared tenant on it).",
                    tenant=name,
                )
            elif self.policies.get(name) == "pinned":
                self.error(
                    "pinned-tenant",
                    f'tenant {name!r} has upgrade_policy = "pinned": upgrade never moves it',
                    detail=f"Change its version by hand, or: tenantctl tenant set {name} upgrade_policy=manual",
                    tenant=name,
                )
            elif name not in self.owners:
                self.error(
                    "not-on-version",
                    f"{name!r} has no deployment to move (none runs the version being replaced)",
                    tenant=name if tenant is not None else None,
                )
            else:
                picked.append(name)
        return picked

    def pick(self, wave: str) -> list[str]:
        match = _PERCENT.fullmatch(wave.strip())
        if wave.strip().lower() == "canary":
            return self.canary()
        return self.percent(int(match.group(1))) if match else self.named(wave)

    def automatic(self) -> list[str]:
        return [o for o in self.owners if self.policies.get(o, "follow-default") == "follow-default"]

    def canary(self) -> list[str]:
        movable = self.automatic()
        tagged = [
            o
            for o in movable
            if o in self.manifest.tenants
            and self.manifest.tenants[o].tags.get(CANARY_TAG, "").lower() in ("true", "yes", "1")
        ]
        return tagged or movable[:1]

    def percent(self, percent: int) -> list[str]:
        movable = self.automatic()
        total = len(movable) + len(self.done)
        wanted = math.ceil(total * percent / 100) - len(self.done)
        return movable[: max(0, wanted)]


def _target_ok(
    diags: Diagnostics,
    target: ModelVersion,
    source: ModelVersion | None,
    catalogues: Mapping[tuple[str, str], tuple[ModelOffer, ...]],
) -> bool:
    """An error (and False) for a version no region sells.

    A move to another model name is allowed: plan/apply do it make-before-break (successors.py).
    """
    offered = {(o.model.lower(), o.version.lower()) for offers in catalogues.values() for o in offers}
    if (target.model.lower(), target.version.lower()) not in offered:
        known = sorted(
            {
                o.version
                for offers in catalogues.values()
                for o in offers
                if target.matches(o.model, o.version) or o.model.lower() == target.model.lower()
            }
        )
        diags.error(
            "unknown-version",
            f"{target} is not in the model catalogue of any region the manifest uses",
            detail=(
                f"Versions of {target.model} offered: {', '.join(known)}."
                if known
                else f"No region offers {target.model}."
            )
            + " See `tenantctl models`.",
        )
        return False
    return True


def plan_wave(
    manifest: Manifest,
    text: str,
    *,
    target: ModelVersion,
    source: ModelVersion | None,
    wave: str,
    observed: ObservedState,
    catalogues: Mapping[tuple[str, str], tuple[ModelOffer, ...]],
    dry_run: bool = False,
) -> UpgradeWave:
    """Pick the wave's owners, check them, and edit their deployments' versions in ``text``."""
    diags = Diagnostics()
    refused = UpgradeWave(wave, str(target), dry_run, diagnostics=diags)
    if not _target_ok(diags, target, source, catalogues):
        return refused
    uses = [u for u in model_uses(manifest) if u.rider is None]
    if source is not None:  # possibly another model name: a successor deployment (successors.py)
        moving = [u for u in uses if source.matches(u.model, u.version)]
    else:
        moving = [u for u in uses if u.model.lower() == target.model.lower() and not target.matches(u.model, u.version)]
    on_target = [u for u in uses if target.matches(u.model, u.version)]
    policies = {u.owner: u.upgrade_policy for u in uses}
    owners = sorted({u.owner for u in moving}, key=_owner_order)
    done = sorted({u.owner for u in on_target} - set(owners), key=_owner_order)
    selection = _Selection(diags, manifest, owners, policies, [o for o in done if policies[o] == "follow-default"])

    # A previous wave that is not live yet blocks the next one: a bad version must stop at the canary.
    late = [(u, why) for u in on_target if (why := _not_live(manifest, observed, u, target)) is not None]
    for use, why in late:
        diags.error(
            "previous-wave-not-live",
            f"{use.owner}: deployment {use.deployment!r} in {use.region} is declared on {target} but {why}",
            detail="Run `tenantctl plan` and `tenantctl apply` for the previous wave, and wait until its deployments "
            "are Succeeded, before the next wave.",
            tenant=use.tenant,
        )

    picked = selection.pick(wave)
    edits: list[UpgradeEdit] = []
    assignments: list[tuple[Loc, object]] = []
    for owner in picked:
        for use in (u for u in moving if u.owner == owner):
            sold, skus = _offered(catalogues, use, target)
            if not sold:
                diags.error(
                    "not-offered",
                    f"{owner}: deployment {use.deployment!r} ({use.sku}) in {use.region}: {target} is not offered"
                    + (f" as {use.sku} there (only {', '.join(skus)})" if skus else " there"),
                    detail="Pick a version the region sells (`tenantctl models`), or move the deployment's SKU first.",
                    tenant=use.tenant,
                )
                continue
            edits.append(
                UpgradeEdit(
                    owner,
                    use.deployment,
                    use.region,
                    f"{use.model}@{use.version}",
                    str(target),
                    use.version_upgrade_option,
                )
            )
        assignments += _assignments(manifest, owner, target, [u for u in moving if u.owner == owner])
    if diags.has_errors:
        return refused
    result = set_paths(text, assignments)
    if result.text is None:
        diags.extend(result.diagnostics)  # the edited manifest would not validate: say why
        return refused
    skipped = tuple((o, policies[o]) for o in owners if policies[o] != "follow-default" and o not in picked)
    remaining = tuple(o for o in owners if o not in picked and policies[o] == "follow-default")
    behind = [
        d.name
        for d in manifest.defaults.deployments
        if (d.model == target.model and d.version != target.version)
        or (source is not None and source.matches(d.model or "", d.version or "") and d.model != target.model)
    ]
    if not remaining and behind:
        # Upgraded tenants carry their own version now; [defaults] is what the next new tenant gets.
        diags.warning(
            "defaults-behind",
            f"[defaults] deployment {', '.join(map(repr, behind))} still names an older version than {target}: "
            "new tenants would start on it",
            detail=f'Set model = "{target.model}", version = "{target.version}" in [defaults] once no tenant relying '
            "on it must stay behind.",
        )
    return UpgradeWave(
        wave,
        str(target),
        dry_run,
        tuple(picked),
        tuple(done),
        remaining,
        skipped,
        tuple(edits),
        result.text,
        diags,
    )


def _assignments(
    manifest: Manifest, owner: str, target: ModelVersion, uses: list[ModelUse]
) -> list[tuple[Loc, object]]:
    """Document paths and values that put ``uses`` (one owner's deployments) on the target model and version.

    The model is written only where it changes (a version of the same model keeps the spec's model as
    it was, inherited or not).
    """
    moved = {u.deployment for u in uses}
    renamed = {u.deployment for u in uses if u.model.lower() != target.model.lower()}

    def fields(base: Loc, name: str) -> list[tuple[Loc, object]]:
        out: list[tuple[Loc, object]] = [((*base, "version"), target.version)]
        return out + ([((*base, "model"), target.model)] if name in renamed else [])

    if owner.startswith(STAMP_OWNER_PREFIX):
        stamp_id = owner.removeprefix(STAMP_OWNER_PREFIX)
        specs = manifest.stamps[stamp_id].deployments
        return [
            a
            for i, s in enumerate(specs)
            if s.name in moved
            for a in fields(("stamps", stamp_id, "deployments", i), s.name)
        ]
    tenant = manifest.tenants[owner]
    if tenant.deployments:
        return [
            a
            for i, s in enumerate(tenant.deployments)
            if s.name in moved
            for a in fields(("tenants", owner, "deployments", i), s.name)
        ]
    # A dedicated tenant on [defaults]: it gets its own array naming the defaults (which fill in every
    # other field), the moved ones with the new version (and model); [defaults] is what new tenants get.
    own = [
        {"name": s.name, "version": target.version, **({"model": target.model} if s.name in renamed else {})}
        if s.name in moved
        else {"name": s.name}
        for s in manifest.defaults.deployments
    ]
    return [(("tenants", owner, "deployments"), own)]
