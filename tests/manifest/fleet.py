"""Generates large valid manifests (for load-time measurements and tests)."""

from __future__ import annotations

__all__ = ["fleet_manifest"]

_HEAD = """schema = 1
[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"
[defaults]
deployments = [
  { name = "chat", model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1 },
]
"""


def fleet_manifest(tenants: int) -> str:
    """A valid manifest with ``tenants`` tenants spread over the four isolation models."""
    stamps = max(1, tenants // 200)
    parts = [_HEAD]
    for s in range(stamps):
        parts.append(
            f'[stamps.s{s}]\nlocation = "eastus2"\nmax_accounts = 4\ndeployments = [{{ name = "chat", '
            'model = "gpt-4o", version = "2024-11-20", sku = "GlobalStandard", capacity = 1000 }]\n'
        )
    parts.append(
        '[provider.app]\nclient_id = "11111111-1111-1111-1111-111111111111"\n'
        'home_directory = "22222222-2222-2222-2222-222222222222"\n'
    )
    for i in range(tenants):
        stamp = f"s{i % stamps}"
        kind = i % 4
        if kind == 0:
            body = (
                'isolation = "dedicated"\nlocation = "westeurope"\nresidency = "eu"\n'
                'deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 2 }]\n'
            )
        elif kind == 1:
            body = f'isolation = "dedicated-deployment"\nstamp = "{stamp}"\n'
            body += 'deployments = [{ name = "chat" }]\n'
        elif kind == 2:
            body = f'isolation = "shared"\nstamp = "{stamp}"\ntpm = 1000\n'
        else:
            body = (
                'isolation = "tenant-provided"\ndirectory = "33333333-3333-3333-3333-333333333333"\n'
                f'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg'
                f'/providers/Microsoft.CognitiveServices/accounts/t{i}"\n'
            )
        parts.append(f"[tenants.t{i:05d}]\n{body}")
    return "".join(parts)
