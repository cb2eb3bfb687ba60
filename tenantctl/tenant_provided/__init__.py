"""Tenant-provided ("bring your own") Azure OpenAI accounts: the pure half.

A tenant-provided account lives in the tenant's own subscription and Entra directory. tenantctl
reaches it only through the provider's multi-tenant Entra app, after the tenant's admin has
(1) consented to the app in their directory and (2) granted its service principal
"Cognitive Services OpenAI User" on the account. tenantctl never writes to such an account and
never asks for the tenant's credentials.

This package holds all of it but the SDK calls: what people are shown (:mod:`.onboarding`: the
admin-consent URL, the exact role assignment), the report records (:mod:`.report`), raw failures
turned into a diagnosis with a next step (:mod:`.diagnosis`), the order of the checks and the
verifiers over many tenants (:mod:`.verification`), and the warnings a plan shows
(:mod:`.plan_checks`). It does no I/O: the Entra/ARM probe :mod:`tenantctl.cloud.byo_probe` signs
in and reads through msal and azure-mgmt; the emulator plays the tenant's admin
(:mod:`tenantctl.emulator.tenant_admin`); the CLI's session picks the probe for Azure or the emulator.
"""

from __future__ import annotations

from tenantctl.tenant_provided.diagnosis import (
    DIAGNOSES,
    arm_failure,
    deployments_check,
    diagnosed,
    network_check,
    token_failure,
)
from tenantctl.tenant_provided.onboarding import (
    ARM_SCOPE,
    DEFAULT_AUTHORITY_HOST,
    OPENAI_USER_ROLE_ID,
    OPENAI_USER_ROLE_NAME,
    ByoTarget,
    Onboarding,
    RoleAssignmentInstructions,
    byo_target,
    consent_url,
    onboarding,
    role_assignment_instructions,
    tenant_onboarding,
)
from tenantctl.tenant_provided.report import AccountFacts, ByoReport, Check, CheckName, CheckStatus, skipped

__all__ = [
    "ARM_SCOPE",
    "DEFAULT_AUTHORITY_HOST",
    "DIAGNOSES",
    "OPENAI_USER_ROLE_ID",
    "OPENAI_USER_ROLE_NAME",
    "AccountFacts",
    "ByoReport",
    "ByoTarget",
    "Check",
    "CheckName",
    "CheckStatus",
    "Onboarding",
    "RoleAssignmentInstructions",
    "arm_failure",
    "byo_target",
    "consent_url",
    "deployments_check",
    "diagnosed",
    "network_check",
    "onboarding",
    "role_assignment_instructions",
    "skipped",
    "tenant_onboarding",
    "token_failure",
]
