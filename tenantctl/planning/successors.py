"""Make-before-break for a deployment whose model name, format or SKU changes (pure).

Azure cannot change a deployment's model name, format or SKU in place (compare.py: they force a
replace): the deployment must be deleted and created again, and between the two every call to it
fails.  Instead the deployment gets a *successor*: a new deployment of the new model beside the old
one, under a deterministic name, in the same three phases as a migration between isolation models
(:mod:`tenantctl.planning.migration`):

=====  ==========================================================================  ===================
phase  what happens                                                                who does it
=====  ==========================================================================  ===================
1      CREATE the successor ``<name>__<model>-<sku>`` beside the old deployment,   ``apply``
       tagged like any tenantctl deployment; the old one keeps serving
2      once Azure shows the successor Succeeded, ``export routing`` (and APIM)     ``export routing``
       name it for the logical deployment; until then the old one
3      DELETE the old deployment: only with ``apply --retire`` and only after      ``apply --retire``
       phase 2; otherwise it is kept and shown as retire pending
=====  ==========================================================================  ===================

Stickiness: the Azure name of a logical deployment is resolved from what Azure has for its owner
(:func:`resolve_successors`): among the deployments of the same owner named ``<name>`` or
``<name>__…`` on the same account (its *family*), the one already running the declared model,
format and SKU keeps serving under its name; a version or capacity change of it is an in-place
update.  Only when no family member runs them is a new successor named, and the other members are
its *predecessors*: hidden from the diff (so the successor is a plain CREATE and nothing is an
orphan or a REPLACE), then retired.  A fresh deployment (no family) keeps the plain name.

Stamps' shared deployments change the same way, one family per stamp account; every shared tenant
on the account switches with the stamp's routing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tenantctl import naming
from tenantctl.addresses import Address, OnAccount, StampAddress, TenantAddress
from tenantctl.desired import TAG_PROTECTED, DesiredItem, DesiredState
from tenantctl.diagnostics import Diagnostics
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState, is_managed
from tenantctl.planning.migration import RETIRE_PENDING, OldGeneration, resources_live
from tenantctl.planning.model import Action, Change, ResourceKind
from tenantctl.resources import Deployment

__all__ = [
    "SUCCESSOR_MARK",
    "SUCCESSOR_REASON",
    "Predecessor",
    "Successors",
    "as_old_generations",
    "family_name",
    "in_family",
    "logical_name",
    "mark_successor_creates",
    "model_change_json",
    "resolve_successors",
    "retire_predecessors",
    "runs_declared",
    "serving_names",
    "successor_name",
]

SUCCESSOR_MARK = "__"  # <name>__<model>-<sku>: two underscores never occur in a generated suffix
_MAX_NAME = 64  # Azure's limit for deployment names (naming.check_deployment_name)
_UNSAFE = re.compile(r"[^a-z0-9.-]+")
_DIGEST = 8
SUCCESSOR_REASON = "create successor"  # how a phase-1 CREATE's reason starts (shown by plan text)


@dataclass(frozen=True)
class Predecessor:
    """An old deployment of a logical deployment whose model, format or SKU changed."""

    old: Deployment  # as observed: serves until the successor is live, retired in phase 3
    successor: Deployment  # as desired, under its resolved Azure name
    address: Address  # the logical deployment's address (the successor's)
    tenant: str | None
    stamp: str | None

    @property
    def owner(self) -> str:
        return self.tenant or f"stamp:{self.stamp}"

    @property
    def logical(self) -> str:
        return logical_name(self.address) or self.successor.name

    @property
    def what_changes(self) -> str:
        """``model gpt-4o -> gpt-4.1`` (and the SKU or format, when those change)."""
        parts = [
            f"{label} {before} -> {after}"
            for label, before, after in (
                ("model", self.old.model, self.successor.model),
                ("format", self.old.format, self.successor.format),
                ("sku", self.old.sku, self.successor.sku),
            )
            if before.lower() != after.lower()
        ]
        return "; ".join(parts) or f"model {self.successor.model}"


@dataclass(frozen=True)
class Successors:
    desired: DesiredState  # deployment names resolved (sticky successors, new successor names)
    predecessors: tuple[Predecessor, ...] = ()


def logical_name(address: Address) -> str | None:
    """The manifest's name of a deployment from its address (``tenant.acme.deployment.chat`` -> ``chat``)."""
    if isinstance(address, (TenantAddress, StampAddress)) and address.kind is ResourceKind.DEPLOYMENT:
        return address.name
    return None


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-.") or "x"


def successor_name(base: str, model: str, sku: str, fmt: str = "OpenAI") -> str:
    """``<base>__<model>-<sku>``: deterministic, at most 64 characters of Azure's deployment-name alphabet.

    A suffix that would not fit is cut and ends in a digest of the whole, so two targets never share
    a name; the format is named only when it is not OpenAI's.
    """
    suffix = _slug(f"{model}-{sku}" + ("" if fmt.lower() == "openai" else f"-{fmt}"))
    head = f"{base}{SUCCESSOR_MARK}"
    digest = hashlib.sha256(f"{model}|{sku}|{fmt}".lower().encode()).hexdigest()[:_DIGEST]
    room = _MAX_NAME - len(head)
    if len(suffix) <= room:
        return head + suffix
    if room > _DIGEST:
        return head + suffix[: room - _DIGEST - 1] + "-" + digest
    return f"{base[: _MAX_NAME - len(SUCCESSOR_MARK) - _DIGEST]}{SUCCESSOR_MARK}{digest}"


def family_name(azure_name: str) -> str:
    """The manifest's name inside an Azure name: ``chat__gpt-4.1-globalstandard`` -> ``chat``."""
    return azure_name.split(SUCCESSOR_MARK, 1)[0]


def runs_declared(have: Deployment, model: str, fmt: str, sku: str) -> bool:
    """Whether ``have`` runs the declared model, format and SKU (what Azure cannot change in place)."""
    return (have.model.lower(), have.format.lower(), have.sku.replace(" ", "").lower()) == (
        model.lower(),
        fmt.lower(),
        sku.replace(" ", "").lower(),
    )


def in_family(azure_name: str, base: str) -> bool:
    """Whether ``azure_name`` is ``base`` or one of its successors (case-insensitive, as Azure's names).

    A base too long for a readable suffix keeps only its head before the mark (:func:`successor_name`).
    """
    name, base = azure_name.lower(), base.lower()
    head = base[: _MAX_NAME - len(SUCCESSOR_MARK) - _DIGEST]
    return name == base or name.startswith(base + SUCCESSOR_MARK) or name.startswith(head + SUCCESSOR_MARK)


def _base_name(item: DesiredItem) -> str | None:
    """The plain Azure name of a desired deployment (what desired.py names it before any successor)."""
    logical = logical_name(item.address)
    if logical is None or not isinstance(item.resource, Deployment):
        return None
    if item.tenant is not None and item.stamp is not None:  # a dedicated-deployment tenant's, on a stamp
        return naming.tenant_deployment_name(item.tenant, logical)
    return logical


def _family(manifest: Manifest, observed: ObservedState, item: DesiredItem, base: str) -> list[Deployment]:
    """The owner's deployments of this logical deployment on its account: ``<base>`` and ``<base>__…``."""
    want = item.resource
    assert isinstance(want, Deployment)
    lowered = base.lower()
    found = []
    for d in observed.deployments.get(want.account.key, ()):
        if not in_family(d.name, base):
            continue
        tags = d.tags
        if not is_managed(tags) or tags.get(naming.TAG_MANIFEST) != manifest.provider.manifest_name:
            continue  # not ours: the diff reports it, never adopted as a successor
        if tags.get(naming.TAG_TENANT) != item.tenant:
            continue
        if item.tenant is None and tags.get(naming.TAG_STAMP) != item.stamp:
            continue
        # A tenant's deployment under its previous isolation model is a migration's old generation.
        if item.tenant is not None and tags.get(naming.TAG_ISOLATION) != want.tags.get(naming.TAG_ISOLATION):
            continue
        found.append(d)
    return sorted(found, key=lambda d: (d.name.lower() != lowered, d.name.lower()))


def resolve_successors(manifest: Manifest, desired: DesiredState, observed: ObservedState) -> Successors:
    """Each desired deployment under the Azure name it has (or gets), and the predecessors to retire.

    Idempotent: resolving an already resolved state gives the same names.
    """
    if not observed.deployments:
        return Successors(desired)
    items: list[DesiredItem] = []
    predecessors: list[Predecessor] = []
    for item in desired.items:
        base = _base_name(item)
        want = item.resource
        family = _family(manifest, observed, item, base) if base is not None else []
        if not family or not isinstance(want, Deployment) or base is None:
            items.append(item)
            continue
        current = next((d for d in family if runs_declared(d, want.model, want.format, want.sku)), None)
        # A member already under the successor's name that runs something else (changed by hand): the diff
        # replaces it, as it would any deployment changed outside the manifest.
        name = current.name if current is not None else successor_name(base, want.model, want.sku, want.format)
        resolved = dataclasses.replace(want, name=name) if name != want.name else want
        items.append(dataclasses.replace(item, resource=resolved) if resolved is not want else item)
        predecessors += [
            Predecessor(d, resolved, item.address, item.tenant, item.stamp)
            for d in family
            if d.name.lower() != name.lower()
        ]
    return Successors(dataclasses.replace(desired, items=tuple(items)), tuple(predecessors))


def as_old_generations(predecessors: Iterable[Predecessor]) -> dict[str, OldGeneration]:
    """The predecessors in the shape :func:`~tenantctl.planning.migration.split_observed` hides from the diff."""
    return {
        f"successor:{p.old.account.key}/{p.old.name.lower()}": OldGeneration(p.owner, "", (), (p.old,))
        for p in predecessors
    }


def _successor_live(manifest: Manifest, observed: ObservedState, p: Predecessor) -> bool:
    """Phase 2's check: the successor exists, is ours (the owner's) and Succeeded."""
    return bool(resources_live(manifest, observed, p.successor.account, [p.successor.name], p.tenant))


def mark_successor_creates(changes: list[Change], predecessors: Iterable[Predecessor]) -> list[Change]:
    """Phase 1 in the plan's words: the CREATE of a successor says what changes and that the old one serves on."""
    by_target = {(p.successor.account.key, p.successor.name.lower()): p for p in predecessors}
    out = []
    for c in changes:
        after = c.after
        p = by_target.get((after.account.key, after.name.lower())) if isinstance(after, Deployment) else None
        if p is None or c.action is not Action.CREATE:
            out.append(c)
            continue
        out.append(
            dataclasses.replace(
                c,
                reason=f"{SUCCESSOR_REASON} {p.successor.name} beside {p.old.name} ({p.what_changes}; "
                "old deployment keeps serving)",
                phase=1,
            )
        )
    return out


def _old_address(p: Predecessor) -> Address:
    """The old deployment's own address, on its account (the logical address is the successor's)."""
    if p.tenant is not None:
        own: Address = TenantAddress.deployment(
            p.tenant, p.old.name.removeprefix(naming.tenant_deployment_name(p.tenant, ""))
        )
    elif isinstance(p.address, StampAddress):
        own = dataclasses.replace(p.address, name=p.old.name)
    else:
        own = p.address
    return OnAccount(own, p.old.account.name)


def retire_predecessors(
    manifest: Manifest,
    observed: ObservedState,
    predecessors: Iterable[Predecessor],
    diags: Diagnostics,
    *,
    retire: bool,
) -> list[Change]:
    """Phase 3: DELETE the old deployments whose successor is live (with ``retire``), else keep them.

    Kept ones are NOOP changes whose reason is :data:`RETIRE_PENDING` plus one ``retire-pending``
    warning per owner, as for a migration's old generation: the plan shows them, apply never
    touches them.
    """
    out: list[Change] = []
    pending: dict[str, list[tuple[Predecessor, bool]]] = {}
    for p in sorted(predecessors, key=lambda p: (p.owner, str(p.address), p.old.account.key, p.old.name)):
        live = _successor_live(manifest, observed, p)
        # A tenant's protection guards the tenant, whose successor is live by then (as for a migration);
        # a stamp's deployment tagged protected in Azure by hand stays until someone removes the tag.
        guarded = p.tenant is None and p.old.tags.get(TAG_PROTECTED) == "true"
        retired = retire and live and not guarded
        out.append(
            Change(
                _old_address(p),
                ResourceKind.DEPLOYMENT,
                Action.DELETE if retired else Action.NOOP,
                p.old,
                None if retired else p.old,
                reason=(
                    f"retired: successor {p.successor.name} ({p.what_changes}) is live and routed to"
                    if retired
                    else "kept: tagged tenantctl-protected=true in Azure (remove the tag to retire it)"
                    if retire and live
                    else RETIRE_PENDING
                ),
                tenant=p.tenant,
                stamp=p.stamp,
                account=p.old.account,
                phase=3,
            )
        )
        if not retired:
            pending.setdefault(p.owner, []).append((p, live))
    for owner, kept in sorted(pending.items()):
        lines = []
        for p, live in kept:
            state = (
                "is live: `tenantctl export routing` routes to it; phase 3: run apply --retire"
                if live
                else "is not live yet: the routing export keeps the old deployment; apply, then verify"
            )
            lines.append(
                f"{p.logical!r} on {p.old.account.name}: {p.old.name} ({p.old.model} {p.old.sku}) kept, successor "
                f"{p.successor.name} ({p.what_changes}) {state}"
            )
        diags.warning(
            "retire-pending",
            f"{owner}: {len(kept)} deployment{'s' if len(kept) != 1 else ''} changing model or SKU "
            f"make-before-break, {RETIRE_PENDING}",
            detail="; ".join(lines),
            tenant=kept[0][0].tenant,
        )
    return out


def serving_names(
    manifest: Manifest,
    observed: ObservedState,
    predecessors: Iterable[Predecessor],
    account: str,
    names: Mapping[str, str],
    *,
    tenant: str | None,
) -> dict[str, str] | None:
    """Phase 2 for a route: ``names`` (logical -> Azure name on ``account``) with every successor not live
    yet replaced by its live predecessor; None when no name is replaced (nothing is changing there).

    The gateway keeps calling the old deployment until Azure shows the new one Succeeded: routing to a
    successor still Creating would fail every call (DeploymentNotFound) until it is.
    """
    olds: dict[str, list[Predecessor]] = {}
    for p in predecessors:
        if p.successor.account.key == account:
            olds.setdefault(p.successor.name.lower(), []).append(p)
    out = dict(names)
    replaced = False
    for logical, name in names.items():
        waiting = olds.get(name.lower(), [])
        if not waiting or _successor_live(manifest, observed, waiting[0]):
            continue
        live = [p.old for p in waiting if resources_live(manifest, observed, p.old.account, [p.old.name], tenant)]
        # A plain-named deployment is the oldest generation: a successor still waiting for --retire when
        # the next change came served last, so the gateway keeps it rather than going back further.
        live.sort(key=lambda d: SUCCESSOR_MARK not in d.name)
        if live:
            out[logical], replaced = live[0].name, True
    return out if replaced else None


def model_change_json(
    manifest: Manifest,
    observed: ObservedState,
    predecessors: Iterable[Predecessor],
    account: str,
    names: Mapping[str, str],
) -> dict[str, object] | None:
    """The routing export's ``model_change`` for a route: per logical deployment, old and new names and phase."""
    mine = {
        logical: p
        for p in predecessors
        for logical, name in names.items()
        if p.successor.account.key == account and p.successor.name.lower() == name.lower()
    }
    if not mine:
        return None
    return {
        logical: {
            "from": p.old.name,
            "to": p.successor.name,
            "change": p.what_changes,
            "phase": 2 if _successor_live(manifest, observed, p) else 1,
        }
        for logical, p in sorted(mine.items())
    }
