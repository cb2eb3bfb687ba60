"""The diagnosis table: raw failures (AADSTS codes, ARM status and codes) → diagnosis and next step.

Pure. Entra warns that its error *text* changes; the codes are stable enough, and every check keeps
the raw service text in ``detail`` (with trace and correlation ids) for a support ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tenantctl.tenant_provided.onboarding import OPENAI_USER_ROLE_NAME, Onboarding
from tenantctl.tenant_provided.report import Check, CheckName, CheckStatus

__all__ = ["DIAGNOSES", "arm_failure", "deployments_check", "diagnosed", "network_check", "token_failure"]

# code -> (summary, diagnosis, next step); ``{fields}`` are filled in from the failure at hand.
DIAGNOSES: dict[str, tuple[str, str, str]] = {
    "not-consented": (
        "the provider app is not consented in directory {directory}",
        "The tenant's admin has not granted admin consent to the provider's app in their directory yet "
        "(AADSTS700016: application not found in the directory), or the directory id in the manifest is not "
        "the one holding the account.",
        "Ask the tenant's admin to open the admin-consent URL: {consent_url}",
    ),
    "wrong-directory": (
        "directory {directory} does not exist",
        "Entra does not know this directory (AADSTS90002): the tenant's directory id in the manifest is "
        "mistyped, or it belongs to another cloud.",
        "Ask the tenant for their Microsoft Entra tenant id (Entra admin center → Overview) and correct "
        "`directory` in the manifest.",
    ),
    "provider-credential": (
        "the provider app's credential was rejected",
        "{reason}.",
        "Fix on the provider side: check the provider app's credential (TENANTCTL_APP_CERTIFICATE, "
        "TENANTCTL_APP_FEDERATED_TOKEN_FILE / AZURE_FEDERATED_TOKEN_FILE, GitHub OIDC, or "
        "TENANTCTL_APP_CLIENT_SECRET) against the app registration in the provider's home directory. "
        "Nothing is wrong on the tenant's side.",
    ),
    "conditional-access": (
        "blocked by the tenant's Conditional Access",
        "A Conditional Access policy for workload identities in the tenant's directory blocks the provider "
        "app (AADSTS53003).",
        "Ask the tenant's admin to exclude the provider app from that policy.",
    ),
    "token-failed": (
        "token request failed: {error}",
        "Entra refused the token request for a reason tenantctl does not classify.",
        "Read the detail (AADSTS code, trace and correlation ids) and "
        "https://learn.microsoft.com/entra/identity-platform/reference-error-codes.",
    ),
    "role-missing": (
        "the provider app may not read the account{waited}",
        "The app signs in to the tenant's directory but has no role on {resource_id}: "
        f"'{OPENAI_USER_ROLE_NAME}' is not assigned there, or was assigned minutes ago and has not "
        "propagated yet (Azure RBAC can take up to 30 minutes). If it is assigned, check resource_id: ARM "
        "answers 403, not 404, for a path the caller has no role on.",
        "Ask the tenant's admin to run: {az}  (or in the portal: {portal}); then run `{verify}` again.",
    ),
    "subscription-in-other-directory": (
        "the account's subscription belongs to another directory",
        "The token was issued by directory {directory}, but the subscription in resource_id is attached to "
        "a different Entra directory (ARM: InvalidAuthenticationTokenTenant).",
        "Ask the tenant which directory their subscription trusts (portal → Subscriptions → the "
        "subscription → Overview → Directory) and correct `directory` in the manifest; consent is then "
        "needed in that directory.",
    ),
    "wrong-resource-id": (
        "the account was not found",
        "ARM answered 404 ({arm_code}): no account {resource_id}. The resource_id in the manifest is "
        "mistyped, or the account was deleted or moved.",
        "Ask the tenant's admin for the account's resource id (portal → the resource → Properties → "
        "Resource ID, or `az cognitiveservices account show -n <name> -g <group> --query id`) and correct "
        "`resource_id` in the manifest.",
    ),
    "arm-error": (
        "reading the account failed: {status} {arm_code}",
        "ARM refused the read for a reason tenantctl does not classify.",
        "Read the detail; run again with -v. Transient errors (429, 5xx) pass on a later run.",
    ),
    "deployment-missing": (
        "missing expected deployment(s): {missing}",
        "The account has {count} deployment(s) ({found}); none is named, or serves a model named, {missing}.",
        "Ask the tenant's admin to deploy the model(s) on their account (tenantctl never writes to a "
        "tenant-provided account), or correct `expect_deployments` in the manifest.",
    ),
    "network-private-only": (
        "public network access is disabled on the account",
        "The account accepts data-plane calls only through private endpoints, so the provider's calls over "
        "the public network will be refused (403) even though ARM reads work.",
        "Agree with the tenant: either enable public access for selected networks including the provider's "
        "egress IPs, or approve a private endpoint connection from the provider's network.",
    ),
    "network-firewall": (
        "the account's firewall denies by default ({allowed})",
        "Only the listed IP ranges and virtual networks may call the account; calls from anywhere else are "
        "refused with 403.",
        "Make sure the provider's egress IPs are in the account's allowed list.",
    ),
}
_PROVIDER_CREDENTIAL_CODES = {
    7000215: "the provider app's client secret is wrong",
    7000222: "the provider app's client secret has expired",
    700027: "the provider app's certificate assertion failed signature validation (wrong key or cert)",
    700024: "the provider app's client assertion is outside its validity window (clock skew, stale token)",
    70021: "no federated identity credential on the provider app matches the presented token",
    700213: "no federated identity credential on the provider app matches the presented token",
    7000218: "the provider app's credential was not sent (configuration bug)",
}


def diagnosed(name: CheckName, code: str, detail: str = "", *, warn: bool = False, **fields: object) -> Check:
    """A failed (or, with ``warn``, a passing but flagged) check built from its row of :data:`DIAGNOSES`."""
    summary, diagnosis, next_step = (text.format(**fields) for text in DIAGNOSES[code])
    status = CheckStatus.WARNING if warn else CheckStatus.FAILED
    return Check(name, status, summary, code=code, diagnosis=diagnosis, next_step=next_step, detail=detail)


def token_failure(*, error: str, codes: Sequence[int], description: str, onboarding: Onboarding) -> Check:
    """Classify a failed client-credentials token request in the tenant's directory.

    Entra warns that error text changes; the codes are stable enough, and the raw description is
    always kept in ``detail`` with its trace and correlation ids for a support ticket.
    """
    found = set(codes)
    tok, directory = CheckName.TOKEN, onboarding.directory
    if found & {700016, 65001}:
        url = onboarding.consent_url
        return diagnosed(tok, "not-consented", description, directory=directory, consent_url=url)
    if found & {90002, 90023}:
        return diagnosed(tok, "wrong-directory", description, directory=directory)
    reason = next((_PROVIDER_CREDENTIAL_CODES[c] for c in codes if c in _PROVIDER_CREDENTIAL_CODES), None)
    if reason is not None or error == "invalid_client":
        reason = reason or "Entra rejected the provider app's credential"
        return diagnosed(tok, "provider-credential", description, reason=reason)
    if 53003 in found:
        return diagnosed(tok, "conditional-access", description)
    return diagnosed(tok, "token-failed", description, error=error or "unknown error")


def arm_failure(*, status: int | None, code: str, message: str, onboarding: Onboarding, attempts: int = 1) -> Check:
    """Classify a failed ARM read of the tenant's account (after any propagation retries)."""
    acc, rid = CheckName.ACCOUNT, onboarding.resource_id
    if status == 403 or code == "AuthorizationFailed":
        waited = f" (still 403 after {attempts} attempts)" if attempts > 1 else ""
        role, verify = onboarding.role, onboarding.verify_command
        return diagnosed(
            acc,
            "role-missing",
            message,
            waited=waited,
            resource_id=rid,
            az=role.az_command,
            portal=role.portal_path,
            verify=verify,
        )
    if status == 401 and code in ("InvalidAuthenticationTokenTenant", "InvalidAuthenticationTokenAudience"):
        return diagnosed(acc, "subscription-in-other-directory", message, directory=onboarding.directory)
    if status == 404:
        return diagnosed(acc, "wrong-resource-id", message, arm_code=code or "NotFound", resource_id=rid)
    return diagnosed(acc, "arm-error", message, status=status or "-", arm_code=code or "error")


def _norm(value: str) -> str:
    return value.strip().lower()


def deployments_check(expected: Iterable[str], deployments: Sequence[tuple[str, str]]) -> Check:
    """Each expected entry must match a deployment *name* or its *model name* (case-insensitive).

    Both are accepted because tenants name deployments freely; the manifest usually knows the model.
    """
    expected = tuple(expected)
    names = {_norm(n) for n, _ in deployments}
    models = {_norm(m) for _, m in deployments if m}
    missing = [e for e in expected if _norm(e) not in names and _norm(e) not in models]
    found = ", ".join(f"{n} ({m})" for n, m in deployments) or "none"
    if not missing:
        what = f"expected deployment(s) present: {', '.join(expected)}" if expected else "none expected"
        return Check(CheckName.DEPLOYMENTS, CheckStatus.OK, what, detail=f"found: {found}")
    return diagnosed(
        CheckName.DEPLOYMENTS, "deployment-missing", missing=", ".join(missing), count=len(deployments), found=found
    )


def network_check(
    public_network_access: str | None, default_action: str | None, allowed_ips: Sequence[str] = ()
) -> Check:
    """Network restrictions said as such; they are invisible to an ARM read but break model calls.

    Public access disabled fails (the provider's public calls cannot get through); a firewall that
    denies by default only warns, because the provider's egress IPs may well be on its list.
    """
    if (public_network_access or "Enabled").lower() == "disabled":
        return diagnosed(CheckName.NETWORK, "network-private-only")
    if (default_action or "Allow").lower() == "deny":
        allowed = ", ".join(allowed_ips) or "none"
        return diagnosed(CheckName.NETWORK, "network-firewall", warn=True, allowed=allowed)
    return Check(CheckName.NETWORK, CheckStatus.OK, "public network access is enabled")
