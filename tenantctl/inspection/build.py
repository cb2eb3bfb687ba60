"""``build_report``: manifest + a tenant's observation + its plan -> :class:`TenantReport` (pure).

Nothing here reads Azure or the clock: "today" is an argument, so retirement warnings are
reproducible in tests.  Drift is the planner's own verdict (``make_plan`` changes for the tenant),
never a second, divergent diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tenantctl import naming
from tenantctl.desired import DEFAULT_RAI_POLICY
from tenantctl.inspection.baseline import baseline_view
from tenantctl.inspection.drift import tenant_drift
from tenantctl.inspection.report import (
    NOT_OURS,
    RETIRE_PENDING_FATE,
    BudgetLine,
    BudgetView,
    DeploymentView,
    FilterView,
    LeftoverView,
    NetworkView,
    Placement,
    RoleView,
    TenantReport,
)
from tenantctl.inspection.state import relevant_errors, tenant_state
from tenantctl.manifest.model import PROVISIONED_SKUS, Isolation, Manifest, ResolvedDeployment
from tenantctl.manifest.pool import pool_groups, stamp_groups
from tenantctl.manifest.shared_accounts import account_loads, budget_limit, covered_deployments, shared_account
from tenantctl.observation import TenantObservation, is_managed
from tenantctl.planning.model import OrphanFate, Plan
from tenantctl.planning.retirement import retirement_of
from tenantctl.planning.successors import family_name, runs_declared
from tenantctl.resources import Account, AccountRef, Deployment, ModelOffer, RoleAssignment

__all__ = ["NOT_OURS", "ROLE_NAMES", "build_report", "deployment_view", "role_name"]

# Built-in role definition GUIDs (the same in every Azure cloud) -> names people recognise.
ROLE_NAMES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "a001fd3d-188f-4b5d-821b-7da978bf7442": "Cognitive Services OpenAI Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
    "bba48692-92b0-4667-a9ad-c31c7b334ac2": "Cognitive Services Usages Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}


def role_name(role_definition_id: str) -> str:
    guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return ROLE_NAMES.get(guid, guid)


def deployment_view(
    d: Deployment | ResolvedDeployment,
    name: str,
    azure_name: str,
    offers: tuple[ModelOffer, ...],
    today: date,
    *,
    observed: bool,
    in_manifest: bool,
    shared: bool = False,
    rai_policy: str | None = None,
    fate: str | None = None,
    managed: bool = True,
) -> DeploymentView:
    provisioned = d.sku in PROVISIONED_SKUS
    retirement = retirement_of(offers, d.model, d.version, d.sku, today=today)
    deprecation = retirement.retires_on if retirement else None
    days = retirement.days_left if retirement else None
    return DeploymentView(
        name=name,
        azure_name=azure_name,
        model=d.model,
        version=d.version,
        sku=d.sku,
        capacity=d.capacity,
        unit="PTU" if provisioned else "TPM",
        tpm=None if provisioned else d.capacity * 1000,
        ptu=d.capacity if provisioned else None,
        rai_policy=d.rai_policy if isinstance(d, Deployment) else rai_policy,
        provisioning_state=d.provisioning_state if isinstance(d, Deployment) and observed else None,
        version_upgrade_option=d.version_upgrade_option,
        deprecation=deprecation,
        days_to_retirement=days,
        retiring_soon=retirement is not None and retirement.soon,
        in_manifest=in_manifest,
        shared=shared,
        managed=managed,
        fate=fate,
    )


class _Builder:
    def __init__(
        self,
        manifest: Manifest,
        tenant_id: str,
        obs: TenantObservation,
        today: date,
        fates: Mapping[tuple[str, str], OrphanFate] | None = None,
    ) -> None:
        self.m = manifest
        self.fates = fates or {}
        self.tid = tenant_id
        self.t = manifest.tenants[tenant_id]
        self.obs = obs
        self.today = today
        self.host: Account | None = obs.state.account(obs.account) if obs.account else None

    def offers(self) -> tuple[ModelOffer, ...]:
        if self.host is not None:
            return self.obs.state.models.get((self.host.ref.subscription_id, self.host.location), ())
        place = self.placement()
        if place.subscription_id is None or place.region is None:
            return ()
        return self.obs.state.models.get((place.subscription_id, place.region), ())

    def placement(self) -> Placement:
        if self.t.isolation is Isolation.TENANT_PROVIDED and self.t.resource_id:
            ref = AccountRef.parse(self.t.resource_id)
            return Placement(ref.subscription_id, ref.resource_group, ref.name, self.t.location, None, ref.id, False)
        if self.host is not None:
            r = self.host.ref
            return Placement(r.subscription_id, r.resource_group, r.name, self.host.location, self.t.stamp, r.id, True)
        p = self.m.provider
        if self.t.isolation is Isolation.DEDICATED:
            # Not created yet: with a pool, plan decides the member; show the one observation read first.
            sub, rg = pool_groups(self.m, self.tid)[0]
            ref = AccountRef(sub, rg, naming.dedicated_account_name(p.name_prefix, self.tid))
            return Placement(
                ref.subscription_id, ref.resource_group, ref.name, self.m.tenant_location(self.tid), None, ref.id
            )
        stamp = self.t.stamp if self.t.stamp in self.m.stamps else None
        if stamp is None:
            return Placement(stamp=self.t.stamp)
        # The tenant's account not created yet: it joins the stamp's other accounts, else (a new stamp)
        # plan decides the pool member; show the group observation read first.
        sub, rg = next(
            (
                (a.ref.subscription_id, a.ref.resource_group)
                for _, a in sorted(self.obs.state.accounts.items())
                if a.tags.get(naming.TAG_STAMP) == stamp
            ),
            stamp_groups(self.m, stamp)[0],
        )
        return Placement(
            sub,
            rg,
            self._shared_home(stamp),
            self.m.stamps[stamp].location,
            stamp,
        )

    def _shared_home(self, stamp_id: str) -> str | None:
        """A shared tenant's stamp account (known before it exists); None for a not-yet-placed tenant."""
        if self.t.isolation is not Isolation.SHARED:
            return None
        return naming.stamp_account_name(self.m.provider.name_prefix, stamp_id, shared_account(self.m, self.tid))

    def deployments(self) -> tuple[DeploymentView, ...]:
        offers, rows = self.offers(), []
        if self.t.isolation is Isolation.SHARED:
            return self._shared_deployments(offers)
        wanted = {d.name: d for d in self.m.resolved_deployments(self.tid)}
        prefix = (
            naming.tenant_deployment_name(self.tid, "") if self.t.isolation is Isolation.DEDICATED_DEPLOYMENT else ""
        )
        seen: set[str] = set()
        observed = self.obs.state.deployments.get(self.host.ref.key, ()) if self.host else ()
        # Another tenant's deployments on the same stamp account are not this tenant's.
        mine = [
            d for d in sorted(observed, key=lambda x: x.name) if not prefix or d.tags.get(naming.TAG_TENANT) == self.tid
        ]

        def logical(d: Deployment) -> str:
            return d.name[len(prefix) :] if prefix and d.name.startswith(prefix) else d.name

        for d in mine:
            name = logical(d)
            ours = self.is_ours(d)
            # A model or SKU change makes a successor ``<name>__<model>-<sku>`` beside the old deployment
            # (successors.py): the one running what the manifest declares is the deployment (before it
            # exists, the plain-named one still is); the others wait for apply --retire.
            spec = wanted.get(family_name(name)) if ours else None
            current = True
            if spec is not None:
                family = [o for o in mine if self.is_ours(o) and family_name(logical(o)) == family_name(name)]
                runners = [o for o in family if runs_declared(o, spec.model, spec.format, spec.sku)]
                current = d in runners if runners else name == spec.name
                name = spec.name
            in_manifest = name in wanted and ours and current
            if in_manifest:
                seen.add(name)
            fate = None if in_manifest else (RETIRE_PENDING_FATE if spec is not None else self._fate(d))
            rows.append(
                deployment_view(
                    d,
                    name,
                    d.name,
                    offers,
                    self.today,
                    observed=True,
                    in_manifest=in_manifest,
                    fate=fate,
                    managed=ours,
                )
            )
        rai = naming.rai_policy_name(self.tid) if self._filter() else DEFAULT_RAI_POLICY
        for name, spec in sorted(wanted.items()):
            if name not in seen:
                rows.append(
                    deployment_view(
                        spec, name, prefix + name, offers, self.today, observed=False, in_manifest=True, rai_policy=rai
                    )
                )
        return tuple(rows)

    def is_ours(self, d: Deployment) -> bool:
        """Tagged for this manifest, as the diff decides: an untagged or another manifest's is not ours."""
        return is_managed(d.tags) and d.tags.get(naming.TAG_MANIFEST) == self.m.provider.manifest_name

    def _fate(self, d: Deployment) -> str:
        """What apply does with an observed deployment the manifest does not name (or does not own)."""
        if not self.is_ours(d):
            return NOT_OURS
        fate = self.fates.get((d.account.key, d.name.lower()))
        return fate.value if fate is not None else OrphanFate.PRUNING_DISABLED.value

    def _shared_deployments(self, offers: tuple[ModelOffer, ...]) -> tuple[DeploymentView, ...]:
        stamp = self.t.stamp or ""
        if stamp not in self.m.stamps:
            return ()
        names = set(self.t.shared_deployments or [d.name for d in self.m.stamps[stamp].deployments])
        found = self.obs.state.deployments.get(self.host.ref.key, ()) if self.host else ()
        observed = {d.name: d for d in found if d.tags.get(naming.TAG_TENANT) is None}
        rows = []
        for spec in self.m.stamp_deployments(stamp):
            if spec.name not in names:
                continue
            # The stamp's deployment is the one of its family running the declared model and SKU (a
            # successor's name after a model or SKU change), else the one under the plain name.
            family = [d for n, d in sorted(observed.items()) if family_name(n) == spec.name]
            got = next((d for d in family if runs_declared(d, spec.model, spec.format, spec.sku)), None)
            got = got or observed.get(spec.name)
            source: Deployment | ResolvedDeployment = got if got is not None else spec
            rows.append(
                deployment_view(
                    source,
                    spec.name,
                    got.name if got is not None else spec.name,
                    offers,
                    self.today,
                    observed=got is not None,
                    in_manifest=True,
                    shared=True,
                    rai_policy=DEFAULT_RAI_POLICY,
                )
            )
        return tuple(rows)

    def budget(self) -> BudgetView | None:
        stamp_id = self.t.stamp or ""
        if self.t.isolation is not Isolation.SHARED or stamp_id not in self.m.stamps or not self.t.tpm:
            return None
        stamp = self.m.stamps[stamp_id]
        specs = {d.name: d for d in stamp.deployments}
        # Budgets are carried per stamp account: only the tenants on this tenant's account share its capacity.
        home = shared_account(self.m, self.tid)
        on_home = account_loads(self.m, stamp_id).get(home, {})
        lines = []
        for name in covered_deployments(self.m, self.tid):
            total = sum(on_home.get(name, {}).values())
            spec = specs.get(name)
            allowed = budget_limit(self.m, stamp_id, spec) if spec is not None else None
            if spec is None or spec.capacity is None or allowed is None:
                lines.append(BudgetLine(name, None, None, None, total, None))
                continue
            lines.append(
                BudgetLine(name, spec.capacity * 1000, float(allowed), self.t.tpm / allowed, total, total / allowed)
            )
        account = naming.stamp_account_name(self.m.provider.name_prefix, stamp_id, home)
        return BudgetView(self.t.tpm, stamp_id, stamp.overcommit, tuple(lines), account)

    def _filter(self) -> bool:
        return self.t.isolation in (Isolation.DEDICATED, Isolation.DEDICATED_DEPLOYMENT) and bool(
            self.t.content_filter or self.m.defaults.content_filter
        )

    def content_filter(self) -> FilterView | None:
        cf = self.t.content_filter or self.m.defaults.content_filter
        if cf is None or not self._filter():
            return None
        key = self.host.ref.key if self.host else ""
        name = naming.rai_policy_name(self.tid)
        policy = next((p for p in self.obs.state.rai_policies.get(key, ()) if p.name == name), None)
        read = key in self.obs.state.blocklists
        observed = {b.name: b.terms for b in self.obs.state.blocklists.get(key, ())}
        declared = tuple(sorted(set(cf.blocklist)))
        if policy is None:
            wanted: tuple[tuple[str, tuple[str, ...]], ...] = (
                ((naming.blocklist_name(self.tid), declared),) if cf.blocklist else ()
            )
            return FilterView(name, cf.base, cf.severity, False, wanted, terms_read=False)
        # Blocklists attached in Azure; terms from Azure when read, else as the manifest declares them.
        terms = [
            observed.get(b, ()) if read else (declared if b == naming.blocklist_name(self.tid) else ())
            for b in policy.blocklists
        ]
        lists = tuple(zip(policy.blocklists, terms, strict=True))
        return FilterView(policy.name, policy.base_policy, policy.severity, True, lists, terms_read=read)

    def network(self) -> NetworkView | None:
        if self.t.isolation is Isolation.TENANT_PROVIDED:
            return None  # the verifier's network check says what matters: whether the provider gets in
        if self.host is not None:  # a stamp tenant reaches the stamp account's endpoint: its rules apply
            return NetworkView(self.host.public_network_access, tuple(self.host.allowed_ips), True)
        if self.t.isolation is not Isolation.DEDICATED:
            return None
        net = self.t.network
        return NetworkView(net.public_access if net else True, tuple(sorted(net.allowed_ips)) if net else (), False)

    def azure_tags(self) -> Mapping[str, str] | None:
        if self.t.isolation is Isolation.DEDICATED and self.host is not None:
            return dict(self.host.tags)
        if self.t.isolation is Isolation.DEDICATED_DEPLOYMENT and self.host is not None:
            mine = [
                d
                for d in self.obs.state.deployments.get(self.host.ref.key, ())
                if d.tags.get(naming.TAG_TENANT) == self.tid
            ]
            return dict(mine[0].tags) if mine else None
        return None


def _roles(found: tuple[RoleAssignment, ...] | None) -> tuple[RoleView, ...] | None:
    if found is None:
        return None
    views = (
        RoleView(role_name(r.role_definition_id), r.role_definition_id, r.principal_id, r.principal_type, r.scope)
        for r in found
    )
    return tuple(sorted(views, key=lambda v: (v.role, v.principal_id)))


def build_report(
    manifest: Manifest,
    tenant_id: str,
    observation: TenantObservation,
    plan: Plan,
    *,
    today: date,
    verification: Mapping[str, Any] | None = None,
) -> TenantReport:
    """The inspect report of ``tenant_id``: pure, from what was observed and what the planner said.

    ``verification`` is the tenant-provided verifier's JSON (``ByoReport.to_json()`` plus
    ``"available": true``) or ``{"available": false, "reason": ...}``; ``None`` for other tenants.
    """
    drift = tenant_drift(manifest, plan, tenant_id)
    fates = {(o.account.key, o.name.lower()): o.fate for o in plan.orphans if o.account is not None}
    b = _Builder(manifest, tenant_id, observation, today, fates)
    t = b.t
    state = tenant_state(
        manifest,
        tenant_id,
        list(drift.changes),
        relevant_errors(manifest, tenant_id, plan),
        verification,
        orphans=len(drift.orphans),
    )
    endpoint = b.host.endpoint if b.host is not None else None
    if t.isolation is Isolation.TENANT_PROVIDED and verification is not None:
        endpoint = (verification.get("account") or {}).get("endpoint")
    leftovers = None
    if observation.deleted_accounts is not None:
        leftovers = tuple(
            LeftoverView(
                d.ref.name,
                d.ref.id,
                d.location,
                d.deletion_date.isoformat() if d.deletion_date else None,
                d.scheduled_purge_date.isoformat() if d.scheduled_purge_date else None,
            )
            for d in sorted(observation.deleted_accounts, key=lambda x: x.ref.key)
        )
    return TenantReport(
        tenant=tenant_id,
        display_name=t.display_name,
        isolation=t.isolation.value,
        protected=t.protected,
        residency=t.residency,
        state=state.value,
        placement=b.placement(),
        endpoint=endpoint,
        deployments=b.deployments(),
        today=today,
        budget=b.budget(),
        content_filter=b.content_filter(),
        network=b.network(),
        baseline=baseline_view(manifest, tenant_id, b.host, observation.state),
        role_assignments=_roles(observation.role_assignments),
        verification=verification,
        drift=drift.views,
        manifest_tags={**manifest.provider.tags, **t.tags},
        azure_tags=b.azure_tags(),
        soft_deleted=leftovers,
    )
