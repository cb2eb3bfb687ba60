"""The provider's own resources a manifest's compliance baseline points at, seeded in the embedded emulator.

In Azure the provider creates its virtual networks, private DNS zones, Log Analytics workspace and Key Vault
itself (they hold more than tenantctl's accounts, so tenantctl only references them by id and never owns
them). ``--emulator`` has no one to create them, so, like the tenant admins it plays for tenant-provided
accounts, it creates what the manifest references and is missing: each subnet in a virtual network of the
region its endpoint needs, each zone, each workspace, and the vault with the provider's "Key Vault Secrets
Officer" role on it (Learn "Azure built-in roles for Security": what tenantctl needs to store keys).
What already exists is left as it is. Only the embedded emulator does this; a served emulator, like Azure,
shows a missing reference as the plan error it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tenantctl.manifest.model import Isolation, Manifest

if TYPE_CHECKING:
    from tenantctl.emulator.emulator import Emulator

__all__ = ["seed_baseline_references"]

EnsureGroup = Callable[[str, str, str], None]  # (subscription, resource group, location)


@dataclass
class _Wanted:
    subnets: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)  # vnet -> subnets
    locations: dict[tuple[str, str, str], str] = field(default_factory=dict)  # vnet -> region
    zones: set[tuple[str, str, str]] = field(default_factory=set)
    workspaces: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _parts(resource_id: str) -> list[str]:
    return resource_id.strip("/").split("/")


def _subnet(wanted: _Wanted, subnet_id: str, location: str) -> None:
    p = _parts(subnet_id)
    vnet = (p[1], p[3], p[7])
    subnets = wanted.subnets.setdefault(vnet, {})
    wanted.locations.setdefault(vnet, location)
    subnets.setdefault(p[9], f"10.{len(wanted.subnets) % 250}.{len(subnets) + 1}.0/24")


def _collect(manifest: Manifest) -> _Wanted:
    wanted = _Wanted()
    for tenant_id, tenant in sorted(manifest.tenants.items()):
        if tenant.isolation is not Isolation.DEDICATED:
            continue
        location = manifest.tenant_location(tenant_id)
        net = tenant.network
        for spec in net.private_endpoints if net else ():
            _subnet(wanted, spec.subnet_id, spec.location or location)
            if spec.dns_zone_id:
                p = _parts(spec.dns_zone_id)
                wanted.zones.add((p[1], p[3], p[7]))
        for subnet_id in net.virtual_network_rules if net else ():
            _subnet(wanted, subnet_id, location)
        if tenant.diagnostics is not None:
            p = _parts(tenant.diagnostics.workspace_id)
            wanted.workspaces.setdefault((p[1], p[3], p[7]), manifest.provider.location)
    for stamp in manifest.stamps.values():
        if stamp.diagnostics is not None:
            p = _parts(stamp.diagnostics.workspace_id)
            wanted.workspaces.setdefault((p[1], p[3], p[7]), stamp.location)
    return wanted


def seed_baseline_references(emulator: Emulator, manifest: Manifest, ensure_group: EnsureGroup) -> None:
    """Create what ``manifest`` references and the emulator lacks (see the module docstring)."""
    wanted = _collect(manifest)
    store = emulator.world.store
    location = manifest.provider.location
    for (sub, rg, vnet), subnets in sorted(wanted.subnets.items()):
        ensure_group(sub, rg, location)
        vid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}"
        have = {str(s["name"]).lower() for s in store.children("subnet", vid)} if store.get("vnet", vid) else None
        if have is None or any(name.lower() not in have for name in subnets):
            kept = {str(s["name"]): str(s["properties"]["addressPrefix"]) for s in store.children("subnet", vid)}
            emulator.add_virtual_network(sub, rg, vnet, wanted.locations[(sub, rg, vnet)], {**subnets, **kept})
    for sub, rg, zone in sorted(wanted.zones):
        ensure_group(sub, rg, location)
        emulator.add_private_dns_zone(sub, rg, zone)
    for (sub, rg, name), where in sorted(wanted.workspaces.items()):
        ensure_group(sub, rg, location)
        wid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}"
        if store.get("workspace", wid) is None:
            emulator.add_workspace(sub, rg, name, where)
    vault = manifest.provider.key_vault
    if vault is not None:
        p = _parts(vault.id)
        ensure_group(p[1], p[3], location)
        if store.get("vault", vault.id) is None:
            emulator.add_key_vault(p[1], p[3], p[7], location)
        emulator.assign_role(vault.id, emulator.provider.object_id, "Key Vault Secrets Officer")
