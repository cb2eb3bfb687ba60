"""Hypothesis strategies: rich manifests as TOML text, and foreign resources to scatter in Azure.

Manifests cover all four isolation models, stamps with growth limits (own subscription / group or
the provider's), content filters with blocklists (per tenant and from ``[defaults]``), network
rules, residency, protection, shared budgets (with ``shared_deployments``), tenant-provided tenants
and deployments that inherit from ``[defaults]``.  Tenant and stamp ids come from small pools so
that two draws overlap: a pair of manifests then renames, migrates, grows and removes tenants.
Callers keep only the texts ``parse_manifest`` accepts.
"""

from __future__ import annotations

import json
import os

from hypothesis import strategies as st

from tenantctl import naming
from tenantctl.resources import Account, AccountRef, Deployment

__all__ = ["EXAMPLES", "MANIFEST_NAME", "PROVIDER_RG", "SUB", "foreign_tags", "manifests"]

# Scale with TENANTCTL_FUZZ_EXAMPLES (like tests/manifest); the default keeps the run short.
EXAMPLES = int(os.environ.get("TENANTCTL_FUZZ_EXAMPLES", "0")) or None

SUB = "00000000-0000-0000-0000-000000000001"
SUB2 = "00000000-0000-0000-0000-000000000002"
PROVIDER_RG = "rg-tenants"
MANIFEST_NAME = "prod"
OTHER_MANIFEST = "legacy"  # never generated: resources tagged for it are never any generated manifest's
TENANTS = ("acme", "beta", "gamma", "delta", "omega", "zeta-2", "eu-2-01")
STAMPS = ("eu1", "us1", "eu-2")
REGIONS = ("swedencentral", "westeurope", "eastus", "uksouth", "japaneast")
MODELS = (
    ("gpt-4o", "2024-11-20"),
    ("gpt-4o-mini", "2024-07-18"),
    ("text-embedding-3-small", "1"),
)
SKUS = ("Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged")
UPGRADES = ("OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade")
NAMES = ("chat", "embed", "mini")
TERMS = ("falcon", "Falcon", "secret-project", "zephyr")


def q(value: object) -> str:
    """A TOML literal for a str, int, bool or list of those (JSON strings are valid TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(q(v) for v in value) + "]"
    return json.dumps(value)


def _inline(fields: dict[str, object]) -> str:
    return "{ " + ", ".join(f"{k} = {q(v)}" for k, v in fields.items()) + " }"


@st.composite
def full_spec(draw: st.DrawFn, name: str | None = None) -> dict[str, object]:
    model, version = draw(st.sampled_from(MODELS))
    sku = draw(st.sampled_from(SKUS))
    spec: dict[str, object] = {
        "name": name or draw(st.sampled_from(NAMES)),
        "model": model,
        "version": version,
        "sku": sku,
        "capacity": draw(st.integers(1, 60)),
    }
    if draw(st.booleans()):
        spec["version_upgrade_option"] = draw(st.sampled_from(UPGRADES))
    return spec


@st.composite
def partial_spec(draw: st.DrawFn, name: str) -> dict[str, object]:
    """A tenant deployment: some fields, the rest inherited from [defaults]."""
    full = draw(full_spec(name))
    keep = draw(st.sets(st.sampled_from(["model", "version", "sku", "capacity", "version_upgrade_option"])))
    return {"name": name, **{k: v for k, v in full.items() if k in keep}}


@st.composite
def content_filter(draw: st.DrawFn) -> dict[str, object]:
    cf: dict[str, object] = {}
    if draw(st.booleans()):
        cf["base"] = draw(st.sampled_from(["Microsoft.DefaultV2", "Microsoft.Default"]))
    if draw(st.booleans()):
        cf["blocklist"] = draw(st.lists(st.sampled_from(TERMS), max_size=3))
    if draw(st.booleans()):
        cf["severity"] = draw(st.sampled_from(["Low", "Medium", "High"]))
    return cf


@st.composite
def manifests(draw: st.DrawFn) -> str:  # noqa: PLR0912 - one branch per optional manifest key
    """TOML text of a manifest (not necessarily valid: the caller filters with parse_manifest)."""
    lines = ["schema = 1", "", "[provider]"]
    provider_location = draw(st.sampled_from(REGIONS))
    lines += [
        f"subscription_id = {q(SUB)}",
        f"resource_group = {q(PROVIDER_RG)}",
        f"location = {q(provider_location)}",
        'name_prefix = "ctso"',
        # Mostly one name, so that pairs share ownership; sometimes another: nothing of the first is its.
        f"manifest_name = {q(draw(st.sampled_from([MANIFEST_NAME] * 4 + ['staging'])))}",
    ]
    if draw(st.booleans()):
        lines.append(f"tags = {_inline({'env': draw(st.sampled_from(['prod', 'test'])), 'team': 'ai'})}")
    if draw(st.integers(0, 4)) == 0:
        lines.append("purge_deleted = true")
    tenant_ids = draw(st.lists(st.sampled_from(TENANTS), unique=True, max_size=7))
    stamp_ids = draw(st.lists(st.sampled_from(STAMPS), unique=True, max_size=3))
    isolations = ["dedicated", "tenant-provided"] + (["dedicated-deployment", "shared"] if stamp_ids else [])
    chosen = {t: draw(st.sampled_from(isolations)) for t in tenant_ids}
    if "tenant-provided" in chosen.values() or draw(st.integers(0, 5)) == 0:
        lines += [
            "",
            "[provider.app]",
            'client_id = "11111111-1111-1111-1111-111111111111"',
            'home_directory = "22222222-2222-2222-2222-222222222222"',
        ]
    lines += ["", "[defaults]"]
    defaults = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2))
    if defaults:
        lines.append("deployments = [" + ", ".join(_inline(draw(full_spec(n))) for n in defaults) + "]")
    if draw(st.booleans()):
        lines.append(f"version_upgrade_option = {q(draw(st.sampled_from(UPGRADES)))}")
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"content_filter = {_inline(draw(content_filter()))}")
    stamp_shared: dict[str, list[str]] = {}
    for stamp in stamp_ids:
        lines += ["", f"[stamps.{stamp}]", f"location = {q(draw(st.sampled_from(REGIONS)))}"]
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"subscription_id = {q(SUB2)}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"resource_group = {q('rg-' + stamp)}")
        names = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=2))
        stamp_shared[stamp] = names
        lines.append("deployments = [" + ", ".join(_inline(draw(full_spec(n))) for n in names) + "]")
        if draw(st.booleans()):
            lines.append(f"overcommit = {draw(st.sampled_from(['1.0', '1.5', '3.0']))}")
        lines.append(f"max_accounts = {draw(st.integers(1, 3))}")
        lines.append(f"max_deployments_per_account = {draw(st.integers(len(names), 5))}")
    for tenant in tenant_ids:
        isolation = chosen[tenant]
        lines += ["", f"[tenants.{tenant}]", f"isolation = {q(isolation)}"]
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"display_name = {q(tenant.title() + ' Inc.')}")
        if draw(st.integers(0, 2)) == 0:
            lines.append("protected = true")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"residency = {q(draw(st.sampled_from(['eu', 'us'])))}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"tags = {_inline({'customer': tenant, 'tier': draw(st.sampled_from(['gold', 'free']))})}")
        if isolation in ("dedicated", "dedicated-deployment"):
            names = draw(
                st.lists(st.sampled_from(NAMES), unique=True, min_size=0 if isolation == "dedicated" else 1, max_size=2)
            )
            if names:
                lines.append("deployments = [" + ", ".join(_inline(draw(partial_spec(n))) for n in names) + "]")
            if draw(st.integers(0, 2)) == 0:
                lines.append(f"content_filter = {_inline(draw(content_filter()))}")
        if isolation == "dedicated":
            if draw(st.booleans()):
                lines.append(f"location = {q(draw(st.sampled_from(REGIONS)))}")
            if draw(st.integers(0, 2)) == 0:
                net: dict[str, object] = {"public_access": draw(st.booleans())}
                if draw(st.booleans()):
                    net["allowed_ips"] = draw(
                        st.lists(st.sampled_from(["203.0.113.0/24", "198.51.100.7", "192.0.2.0/28"]), unique=True)
                    )
                lines.append(f"network = {_inline(net)}")
        if isolation in ("dedicated-deployment", "shared"):
            stamp = draw(st.sampled_from(stamp_ids))
            lines.append(f"stamp = {q(stamp)}")
            if isolation == "shared":
                lines.append(f"tpm = {draw(st.sampled_from([1000, 10000, 50000]))}")
                if draw(st.booleans()):
                    covered = draw(st.lists(st.sampled_from(stamp_shared[stamp]), unique=True, min_size=1))
                    lines.append(f"shared_deployments = {q(covered)}")
        if isolation == "tenant-provided":
            lines.append('directory = "33333333-3333-3333-3333-333333333333"')
            lines.append(
                'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/'
                f'Microsoft.CognitiveServices/accounts/{tenant}-aoai"'
            )
            if draw(st.booleans()):
                expected = draw(st.lists(st.sampled_from(["gpt-4o", "chat"]), unique=True))
                lines.append(f"expect_deployments = {q(expected)}")
    return "\n".join(lines) + "\n"


def foreign_tags(kind: str, tenant: str | None = None, isolation: str | None = None) -> dict[str, str]:
    """Tags of a resource that is not ours: untagged, or tagged for another manifest (maybe for a same-named tenant)."""
    if kind == "untagged":
        return {"owner": "someone-else"}
    tags = {naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE, naming.TAG_MANIFEST: OTHER_MANIFEST}
    if tenant is not None:
        tags[naming.TAG_TENANT] = tenant
    if isolation is not None:
        tags[naming.TAG_ISOLATION] = isolation
    return tags


def foreign_account(ref: AccountRef, location: str, tags: dict[str, str]) -> Account:
    return Account(ref, location, naming.custom_subdomain(ref.name), tags)


def foreign_deployment(ref: AccountRef, name: str, tags: dict[str, str]) -> Deployment:
    return Deployment(ref, name, "gpt-4o", "2024-11-20", "GlobalStandard", 1, tags=tags)
