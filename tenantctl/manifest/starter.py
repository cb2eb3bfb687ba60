"""The starter manifest ``tenantctl init`` writes: valid as is, and a tour of the four models."""

from __future__ import annotations

__all__ = ["starter_manifest_text"]

_STARTER = """\
# tenants.toml — the declared state of your tenants on Azure OpenAI.
#
#   tenantctl validate     check this file (every problem at once, with line numbers)
#   tenantctl plan         show what would change in Azure
#   tenantctl apply        make Azure match this file
#
# Azure is the state: everything tenantctl creates is tagged managed-by=tenantctl, and
# nothing untagged is ever changed or deleted. Never put credentials here: tenantctl reads
# them from the environment (AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, workload identity, az login).
#
# Capacity is in Azure's units: thousands of tokens per minute (capacity = 10 is 10,000 TPM),
# or PTUs for the Provisioned* SKUs. A shared tenant's `tpm` is plain tokens per minute.
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"   # replace with your subscription
resource_group = "rg-tenantctl"
location = "swedencentral"          # default region of dedicated tenants
name_prefix = "ctso"                # accounts are named ctso-<tenant> and ctso-<stamp>--01

# The multi-tenant Entra app through which tenant-provided accounts are reached.
# Only ids here: its secret or certificate comes from the environment.
[provider.app]
client_id = "11111111-1111-1111-1111-111111111111"
home_directory = "22222222-2222-2222-2222-222222222222"

# A tenant deployment takes missing fields from the default of the same name (or the first).
# Dedicated tenants that list no deployments get all of these.
[defaults]
deployments = [
  { name = "chat", model = "gpt-4o-mini", version = "2024-07-18", sku = "GlobalStandard", capacity = 10 },
]

# A stamp: shared accounts in one region. Shared tenants use its deployments under a TPM budget;
# dedicated-deployment tenants get their own deployments on its accounts.
[stamps.eu1]
location = "swedencentral"
overcommit = 1.2                    # budgets may add up to 1.2 × capacity
deployments = [
  { name = "chat", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 100 },
]

# 1. dedicated: its own account (own endpoint, quota, content filter, network rules).
[tenants.acme]
isolation = "dedicated"
display_name = "Acme Corporation"
protected = true                    # never deleted, even by `apply --prune`
residency = "eu"                    # data stays in the EU: Global* SKUs are refused
deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 20 }]
content_filter = { base = "Microsoft.DefaultV2", blocklist = ["project-falcon"] }

# 2. dedicated-deployment: its own deployment (globex--chat) on a stamp account.
[tenants.globex]
isolation = "dedicated-deployment"
stamp = "eu1"
deployments = [{ name = "chat", sku = "DataZoneStandard", capacity = 10 }]

# 3. shared: the stamp's deployments; the gateway enforces the tokens-per-minute budget.
[tenants.initech]
isolation = "shared"
stamp = "eu1"
tpm = 20000

# 4. tenant-provided: the tenant's own account in its own directory; tenantctl never writes
#    there, it checks access through [provider.app] (`tenantctl byo consent-url fabrikam`).
[tenants.fabrikam]
isolation = "tenant-provided"
directory = "33333333-3333-3333-3333-333333333333"
resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/fabrikam-aoai"
expect_deployments = ["gpt-4o"]
"""  # noqa: E501 - an ARM resource id is one long TOML string


def starter_manifest_text() -> str:
    """A commented manifest that validates with no errors and shows each isolation model."""
    return _STARTER
