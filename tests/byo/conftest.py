"""Fixtures for tenant-provided accounts: a provider app, tenant directories and accounts in the emulator.

The tenant side is built with :func:`onboard_tenant_admins` (the tenant admin's steps, simulated);
each test then breaks exactly one thing. Real msal, azure-identity and azure-mgmt over HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tenantctl.cloud.app_credential import AppCredential
from tenantctl.cloud.byo_probe import EMULATED_SECRET_SOURCE, ProbeCache, verify_tenant
from tenantctl.emulator import Emulator
from tenantctl.emulator.tenant_admin import OnboardedTenants, onboard_tenant_admins
from tenantctl.manifest.model import Manifest
from tenantctl.tenant_provided import ByoReport
from tenantctl.tenant_provided.verification import RoleWait

CLIENT_ID = "11111111-1111-1111-1111-111111111111"
HOME = "22222222-2222-2222-2222-222222222222"
DIRECTORY = "33333333-3333-3333-3333-333333333333"
SUBSCRIPTION = "44444444-4444-4444-4444-444444444444"
RESOURCE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-trey/providers/Microsoft.CognitiveServices/accounts/trey-aoai"
)
FAST_WAIT = RoleWait(total_seconds=0.15, first_delay=0.05)  # 3 attempts, ~0.15 s: keeps tests fast


def manifest_doc(**tenant: Any) -> dict[str, Any]:
    trey = {
        "isolation": "tenant-provided",
        "directory": DIRECTORY,
        "resource_id": RESOURCE_ID,
        "expect_deployments": ["gpt-4o"],
        **tenant,
    }
    return {
        "schema": 1,
        "provider": {
            "subscription_id": "00000000-0000-0000-0000-000000000000",
            "resource_group": "rg-tenantctl",
            "location": "swedencentral",
            "name_prefix": "ctso",
            "app": {"client_id": CLIENT_ID, "home_directory": HOME},
        },
        "tenants": {"trey": trey, "acme": {"isolation": "dedicated"}},
    }


def make_manifest(**tenant: Any) -> Manifest:
    return Manifest.model_validate(manifest_doc(**tenant))


@dataclass
class ByoWorld:
    emulator: Emulator
    manifest: Manifest
    credential: AppCredential
    prepared: OnboardedTenants

    def verify(
        self,
        manifest: Manifest | None = None,
        *,
        credential: AppCredential | None = None,
        cache: ProbeCache | None = None,
        wait: RoleWait = FAST_WAIT,
    ) -> ByoReport:
        return verify_tenant(
            manifest or self.manifest,
            "trey",
            authority_host=self.emulator.endpoint,
            arm_endpoint=self.emulator.endpoint,
            ca_path=str(self.emulator.ca_path),
            credential_source=credential or self.credential,
            token_cache=cache,
            role_wait=wait,
        )


@pytest.fixture
def byo_world(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ByoWorld]:
    """``byo_world(consent=True, assign_role=True, **tenant_overrides)``: the tenant onboarded (or not)."""
    for name in (
        "TENANTCTL_APP_CERTIFICATE",
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE",
        "TENANTCTL_APP_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)

    def make(*, consent: bool = True, assign_role: bool = True, **tenant: Any) -> ByoWorld:
        manifest = make_manifest(**tenant)
        prepared = onboard_tenant_admins(emulator, manifest, consent=consent, assign_role=assign_role)
        credential = AppCredential.from_secret(prepared.client_secret, source=EMULATED_SECRET_SOURCE)
        return ByoWorld(emulator, manifest, credential, prepared)

    return make
