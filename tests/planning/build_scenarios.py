"""Rebuild the scenarios' inputs (manifest.toml, observed.json, options.json) from base.toml.

Run from the repository root: ``.venv/bin/python -m tests.planning.build_scenarios``, then
``UPDATE_GOLDENS=1 .venv/bin/pytest tests/planning`` and review the diff.  Each observed state is
"what Azure has after applying some manifest" (the pure simulation), then edited below to show
drift, leftovers, soft-deleted accounts and quota usage.  Not collected by pytest.
"""

# ruff: noqa: E501
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan
from tenantctl.resources import AccountRef, DeletedAccount, Deployment, ModelOffer, QuotaUsage, SubdomainCheck

from .simulate import applied

OUT = Path(__file__).parent / "scenarios"
SUB = "00000000-0000-0000-0000-000000000001"
LOC = "swedencentral"
BASE = (OUT / "base.toml").read_text()


def manifest(text: str) -> Manifest:
    r = parse_manifest(text)
    assert r.manifest is not None, [d.summary for d in r.diagnostics]
    return r.manifest


def usages(
    gpt4o: tuple[int, int] = (60, 450), mini: tuple[int, int] = (130, 500), accounts: tuple[int, int] = (3, 30)
) -> list[QuotaUsage]:
    return [
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o", *gpt4o),
        QuotaUsage(SUB, LOC, "OpenAI.DataZoneStandard.gpt-4o-mini", *mini),
        QuotaUsage(SUB, LOC, "OpenAI.GlobalStandard.gpt-4o-mini", 0, 200),
        QuotaUsage(SUB, LOC, "OpenAI.DataZoneStandard.gpt-4o", 0, 300),
        QuotaUsage(SUB, LOC, "OpenAI.S0.AccountCount", *accounts),
    ]


MODELS = [
    ModelOffer(LOC, "gpt-4o", "2024-11-20", "GlobalStandard", "OpenAI.GlobalStandard.gpt-4o", 1, 1000, 10),
    ModelOffer(LOC, "gpt-4o", "2024-08-06", "GlobalStandard", "OpenAI.GlobalStandard.gpt-4o", 1, 1000, 10),
    ModelOffer(LOC, "gpt-4o", "2024-11-20", "DataZoneStandard", "OpenAI.DataZoneStandard.gpt-4o", 1, 1000, 10),
    ModelOffer(
        LOC, "gpt-4o-mini", "2024-07-18", "DataZoneStandard", "OpenAI.DataZoneStandard.gpt-4o-mini", 1, 1000, 10
    ),
    ModelOffer(LOC, "gpt-4o-mini", "2024-07-18", "GlobalStandard", "OpenAI.GlobalStandard.gpt-4o-mini", 1, 1000, 10),
]


def applied_state(text: str) -> ObservedState:
    m = manifest(text)
    p = make_plan(m, ObservedState())
    return applied(ObservedState(), p)


def with_region(state: ObservedState, **kw: tuple[int, int]) -> ObservedState:
    return dataclasses.replace(state, usages={(SUB, LOC): tuple(usages(**kw))}, models={(SUB, LOC): tuple(MODELS)})


def write(name: str, text: str, state: ObservedState, options: dict[str, object] | None = None) -> None:
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "manifest.toml").write_text(text)
    (d / "observed.json").write_text(json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n")
    if options:
        (d / "options.json").write_text(json.dumps(options, indent=2) + "\n")


def mutate_dep(state: ObservedState, account_name: str, dep_name: str, **changes: Any) -> ObservedState:
    deps = {}
    for k, v in state.deployments.items():
        deps[k] = tuple(
            dataclasses.replace(d, **changes) if (d.account.name, d.name) == (account_name, dep_name) else d for d in v
        )
    return dataclasses.replace(state, deployments=deps)


def mutate_child(state: ObservedState, attr: str, name: str, **changes: Any) -> ObservedState:
    out = {
        k: tuple(dataclasses.replace(r, **changes) if r.name == name else r for r in v)
        for k, v in getattr(state, attr).items()
    }
    return dataclasses.replace(state, **{attr: out})  # type: ignore[arg-type]  # attr names a map field


def mutate_account(state: ObservedState, name: str, **changes: Any) -> ObservedState:
    return dataclasses.replace(
        state,
        accounts={
            k: (dataclasses.replace(a, **changes) if a.ref.name == name else a) for k, a in state.accounts.items()
        },
    )


def add_deployment(state: ObservedState, account_name: str, dep: Deployment) -> ObservedState:
    deps = dict(state.deployments)
    key = next(k for k, a in state.accounts.items() if a.ref.name == account_name)
    deps[key] = deps[key] + (dep,)
    return dataclasses.replace(state, deployments=deps)


def ref(name: str, rg: str = "rg-tenants") -> AccountRef:
    return AccountRef(SUB, rg, name)


base = applied_state(BASE)

# 1 create from nothing
empty = with_region(ObservedState(), gpt4o=(0, 450), mini=(0, 500), accounts=(0, 30))
empty = dataclasses.replace(
    empty,
    deleted_accounts={SUB: ()},
    subdomains={s: SubdomainCheck(s, True) for s in ("ctso-acme", "ctso-umbrella", "ctso-eu1--01")},
)
write("create-from-nothing", BASE, empty)

# 2 no-op
write("no-op", BASE, base)

# 3 drift
s = mutate_account(
    base, "ctso-acme", public_network_access=False, tags={**base.accounts[ref("ctso-acme").key].tags, "env": "prod"}
)
s = mutate_dep(s, "ctso-umbrella", "chat", capacity=25)
s = mutate_dep(s, "ctso-eu1--01", "globex--chat", version="2024-08-06", rai_policy="Microsoft.DefaultV2")
s = mutate_dep(s, "ctso-eu1--01", "mini", capacity=80)
s = mutate_child(s, "rai_policies", "acme-filter", severity="Low")
s = mutate_child(s, "blocklists", "acme-blocklist", terms=("project-falcon", "project-osprey"))
stamp_tags = dict(base.accounts[ref("ctso-eu1--01").key].tags)
del stamp_tags["cost-center"]
s = mutate_account(s, "ctso-eu1--01", tags=stamp_tags)
write("drift", BASE, with_region(s, gpt4o=(65, 450), mini=(110, 500)))

# 4 replace
REPL = BASE.replace(
    '[tenants.umbrella]\nisolation = "dedicated"\n',
    '[tenants.umbrella]\nisolation = "dedicated"\ndeployments = [{ name = "chat", sku = "DataZoneStandard" }]\n',
)
REPL = REPL.replace(
    'deployments = [{ name = "chat", capacity = 30 }]',
    'deployments = [{ name = "chat", model = "gpt-4o-mini", version = "2024-07-18", capacity = 30 }]',
)
REPL = REPL.replace(
    'deployments = [{ name = "chat", capacity = 20 }]',
    'deployments = [{ name = "chat", version = "2024-08-06", capacity = 20 }]',
)
write("replace", REPL, with_region(base))

# 5/6 prune and orphans without prune
HOOLI = (
    BASE
    + """
[tenants.hooli]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "chat", capacity = 5 }]
content_filter = { blocklist = ["pied-piper"] }
"""
)
with_hooli = applied_state(HOOLI)
with_hooli = add_deployment(
    with_hooli,
    "ctso-eu1--01",
    Deployment(
        ref("ctso-eu1--01"), "experiment", "gpt-4o", "2024-11-20", "GlobalStandard", 1, tags={"owner": "someone"}
    ),
)
PRUNED = BASE.replace(
    """# dedicated: defaults only
[tenants.umbrella]
isolation = "dedicated"
tags = { owner = "team-umbrella" }
""",
    "",
).replace('manifest_name = "prod"\n', 'manifest_name = "prod"\npurge_deleted = true\n')
write("prune", PRUNED, with_hooli, {"prune": True})
write("orphans-without-prune", PRUNED, with_hooli)

# 7 protected tenant
PROT = BASE.replace(
    """# dedicated: own account, filter, network rules
[tenants.acme]""",
    """# dedicated: own account, filter, network rules
[tenants.acme-removed]""",
)
PROT = (
    PROT.split("[tenants.acme-removed]")[0]
    + PROT.split("[tenants.acme-removed]")[1].split("# dedicated: defaults only")[1]
)
PROT = PROT.replace(
    """isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "chat", capacity = 30 }]""",
    """isolation = "dedicated-deployment"
stamp = "eu1"
protected = true
deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 30 }]""",
)
write("protected-tenant", PROT, with_region(base), {"prune": True})

# 8 quota short (+ model not offered, budget over stamp capacity)
SHORT = (
    BASE
    + """
[tenants.soylent]
isolation = "shared"
stamp = "eu1"
tpm = 70000
[tenants.stark]
isolation = "dedicated"
deployments = [{ name = "chat", capacity = 50 }]

[tenants.wayne]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "legacy", model = "gpt-35-turbo", version = "0613", sku = "Standard", capacity = 5 }]
"""
)
short = with_region(base, gpt4o=(60, 100))
short = dataclasses.replace(
    short, deleted_accounts={SUB: ()}, subdomains={"ctso-stark": SubdomainCheck("ctso-stark", True)}
)
write("quota-short", SHORT, short)

# 9 quota fits only after a prune frees it
FREED = (
    PRUNED.replace('manifest_name = "prod"\npurge_deleted = true\n', 'manifest_name = "prod"\n')
    + """
[tenants.stark]
isolation = "dedicated"
deployments = [{ name = "chat", capacity = 45 }]
"""
)
freed = with_region(base, gpt4o=(60, 100))
freed = dataclasses.replace(
    freed, deleted_accounts={SUB: ()}, subdomains={"ctso-stark": SubdomainCheck("ctso-stark", True)}
)
write("quota-freed-by-prune", FREED, freed, {"prune": True})

# 10/11 soft-deleted
SOFT = (
    BASE
    + """
[tenants.stark]
isolation = "dedicated"

[tenants.wayne]
isolation = "dedicated"

[tenants.oscorp]
isolation = "dedicated"

# a new stamp whose first account was deleted two days ago: restored, then the tenant lands on it
[stamps.eu2]
location = "swedencentral"
deployments = [
  { name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 50 },
]

[tenants.cyberdyne]
isolation = "dedicated-deployment"
stamp = "eu2"
deployments = [{ name = "chat", capacity = 5 }]
"""
)
t0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
t1 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
own_tags = {"managed-by": "tenantctl", "tenantctl-manifest": "prod", "tenantctl-tenant": "stark"}
soft = with_region(base)
soft = dataclasses.replace(
    soft,
    deleted_accounts={
        SUB: (
            DeletedAccount(ref("ctso-stark"), LOC, t0, t1, "ctso-stark", own_tags),
            DeletedAccount(ref("ctso-wayne", "rg-old"), "westeurope", t0, t1, "ctso-wayne", {}),
            DeletedAccount(
                ref("ctso-eu2--01"),
                LOC,
                t0,
                t1,
                "ctso-eu2--01",
                {"managed-by": "tenantctl", "tenantctl-manifest": "prod", "tenantctl-stamp": "eu2"},
            ),
        )
    },
    subdomains={
        "ctso-stark": SubdomainCheck("ctso-stark", False, "held by a soft-deleted account"),
        "ctso-wayne": SubdomainCheck("ctso-wayne", False, "held by a soft-deleted account"),
        "ctso-oscorp": SubdomainCheck("ctso-oscorp", False, "SubdomainNameInUse: used by another resource"),
        "ctso-eu2--01": SubdomainCheck("ctso-eu2--01", False, "held by a soft-deleted account"),
    },
)
write("soft-deleted", SOFT, soft)
write("soft-deleted-purge", SOFT, soft, {"purge_deleted": True})

# 12 placement: sticky, first fit, growth, full stamp
PLACE = BASE.replace("overcommit = 1.5\n", "overcommit = 1.5\nmax_deployments_per_account = 3\nmax_accounts = 3\n")
for t in ("t1", "t2", "t3", "t4", "t5", "t6"):
    PLACE += f'\n[tenants.{t}]\nisolation = "dedicated-deployment"\nstamp = "eu1"\ndeployments = [{{ name = "chat", capacity = 1 }}]\n'
PLACE = PLACE.replace(
    'deployments = [{ name = "chat", capacity = 30 }]\ncontent_filter = { blocklist = ["globex-internal"] }',
    'deployments = [{ name = "chat", capacity = 30 }]',
)
# observed: 01 holds mini + globex + t1; 02 holds mini + t3 (t3 sticks to 02)
PREV = BASE.replace(
    "overcommit = 1.5\n", "overcommit = 1.5\nmax_deployments_per_account = 3\nmax_accounts = 3\n"
).replace(
    'deployments = [{ name = "chat", capacity = 30 }]\ncontent_filter = { blocklist = ["globex-internal"] }',
    'deployments = [{ name = "chat", capacity = 30 }]',
)
PREV += '\n[tenants.t1]\nisolation = "dedicated-deployment"\nstamp = "eu1"\ndeployments = [{ name = "chat", capacity = 1 }]\n'
PREV += '\n[tenants.t3]\nisolation = "dedicated-deployment"\nstamp = "eu1"\ndeployments = [{ name = "chat", capacity = 1 }]\n'
prev = applied_state(PREV)
# t1 fills account 01 (mini + globex + t1), so t3 went to 02 and sticks there
assert (prev.deployments[ref("ctso-eu1--02").key][1].name) == "t3--chat"
write("placement", PLACE, with_region(prev))
