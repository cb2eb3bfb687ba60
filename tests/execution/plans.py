"""Hand-built plans for the executor's tests: tenants as Change records, the way planning emits them.

Addresses follow planning's convention (``tenant.<id>.account``, ``tenant.<id>.deployment.<name>``);
``depends_on`` spells out the chain resource group -> account -> blocklist -> RAI policy -> deployment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantctl.addresses import Address, ResourceGroupAddress, TenantAddress
from tenantctl.cloud.port import CloudPort
from tenantctl.planning.model import Action, Change, Plan, ResourceKind
from tenantctl.resources import Account, AccountRef, Blocklist, Deployment, RaiPolicy, ResourceGroup

LOCATION = "swedencentral"
MODEL, VERSION, SKU = "gpt-4o-mini", "2024-07-18", "GlobalStandard"


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    capacity: int = 1
    model: str = MODEL
    version: str = VERSION
    sku: str = SKU


def group_change(subscription: str, group: str, location: str = LOCATION) -> Change:
    record = ResourceGroup(subscription, group, location, {"managed-by": "tenantctl"})
    return Change(ResourceGroupAddress(subscription, group), ResourceKind.RESOURCE_GROUP, Action.CREATE, None, record)


def account_record(
    subscription: str, group: str, tenant: str, *, location: str = LOCATION, subdomain: str | None = None
) -> Account:
    ref = AccountRef(subscription, group, f"aoai-{tenant}")
    return Account(
        ref, location, subdomain or f"{tenant}-aoai", tags={"managed-by": "tenantctl", "tenantctl.tenant": tenant}
    )


def tenant_changes(
    subscription: str,
    group: str,
    tenant: str,
    deployments: Iterable[DeploymentSpec | int] = (1,),
    *,
    location: str = LOCATION,
    subdomain: str | None = None,
    content_filter: bool = False,
    group_address: Address | None = None,
) -> list[Change]:
    """CREATE changes for one dedicated-account tenant; an int in ``deployments`` means capacity."""
    account = account_record(subscription, group, tenant, location=location, subdomain=subdomain)
    ref = account.ref
    account_address = TenantAddress.account(tenant)
    changes = [
        Change(
            account_address,
            ResourceKind.ACCOUNT,
            Action.CREATE,
            None,
            account,
            tenant=tenant,
            account=ref,
            depends_on=(group_address,) if group_address else (),
        )
    ]
    policy_name: str | None = None
    if content_filter:
        blocklist = Blocklist(ref, f"{tenant}-terms", terms=("forbidden", "secret"))
        policy = RaiPolicy(ref, f"{tenant}-filter", "Microsoft.DefaultV2", blocklists=(blocklist.name,))
        policy_name = policy.name
        list_address = TenantAddress(tenant, ResourceKind.BLOCKLIST)
        changes.append(
            Change(
                list_address,
                ResourceKind.BLOCKLIST,
                Action.CREATE,
                None,
                blocklist,
                tenant=tenant,
                account=ref,
                depends_on=(account_address,),
            )
        )
        changes.append(
            Change(
                TenantAddress(tenant, ResourceKind.RAI_POLICY),
                ResourceKind.RAI_POLICY,
                Action.CREATE,
                None,
                policy,
                tenant=tenant,
                account=ref,
                depends_on=(account_address, list_address),
            )
        )
    for n, item in enumerate(deployments):
        spec = DeploymentSpec(f"chat{n}", capacity=item) if isinstance(item, int) else item
        record = Deployment(
            ref,
            spec.name,
            spec.model,
            spec.version,
            spec.sku,
            spec.capacity,
            rai_policy=policy_name,
            tags={"tenantctl.tenant": tenant},
        )
        needs = [account_address] + ([TenantAddress(tenant, ResourceKind.RAI_POLICY)] if policy_name else [])
        changes.append(
            Change(
                TenantAddress.deployment(tenant, spec.name),
                ResourceKind.DEPLOYMENT,
                Action.CREATE,
                None,
                record,
                tenant=tenant,
                account=ref,
                depends_on=tuple(needs),
            )
        )
    return changes


def plan_of(changes: Iterable[Change]) -> Plan:
    return Plan(tuple(changes), manifest_name="test")


def delete_change(change: Change) -> Change:
    """The DELETE (prune) of what ``change`` created."""
    return Change(
        change.address,
        change.kind,
        Action.DELETE,
        change.after,
        None,
        tenant=change.tenant,
        account=change.account,
        reason="orphan",
    )


def cloud_differences(cloud: CloudPort, changes: Iterable[Change]) -> list[str]:
    """What the cloud has that the changes' ``after`` records do not say, and the reverse.

    An empty list means converged: every wanted resource exists exactly once with the wanted fields,
    and nothing else lives in the touched resource groups and accounts (no duplicates, no orphans).
    """
    wanted = [c.after for c in changes if c.after is not None]
    accounts = {a.ref: a for a in wanted if isinstance(a, Account)}
    problems: list[str] = []
    for sub, group in sorted({(r.subscription_id, r.resource_group) for r in accounts}):
        have = cloud.list_accounts(sub, group)
        names = [a.ref.name.lower() for a in have]
        want = sorted(r.name.lower() for r in accounts if (r.subscription_id, r.resource_group) == (sub, group))
        if sorted(names) != want:
            problems.append(f"accounts in {group}: have {sorted(names)}, want {want}")
    for ref in accounts:
        want_deps = {d.name: d for d in wanted if isinstance(d, Deployment) and d.account == ref}
        have_deps = cloud.list_deployments(ref)
        if sorted(d.name for d in have_deps) != sorted(want_deps):
            problems.append(
                f"deployments of {ref.name}: have {sorted(d.name for d in have_deps)}, want {sorted(want_deps)}"
            )
        for dep in have_deps:
            w = want_deps.get(dep.name)
            fields = (dep.model, dep.version, dep.sku, dep.capacity)
            if w and fields != (w.model, w.version, w.sku, w.capacity):
                problems.append(f"deployment {ref.name}/{dep.name} differs: {dep} != {w}")
        want_policies = sorted(p.name for p in wanted if isinstance(p, RaiPolicy) and p.account == ref)
        have_policies = sorted(p.name for p in cloud.list_rai_policies(ref))
        if have_policies != want_policies:
            problems.append(f"RAI policies of {ref.name}: have {have_policies}, want {want_policies}")
        want_lists = sorted(b.name for b in wanted if isinstance(b, Blocklist) and b.account == ref)
        have_lists = sorted(b.name for b in cloud.list_blocklists(ref))
        if have_lists != want_lists:
            problems.append(f"blocklists of {ref.name}: have {have_lists}, want {want_lists}")
    return problems
