"""How a tenant-provided account is verified: the order of the checks, and verifiers over many tenants.

Pure orchestration: the cloud side (an :class:`AccountReader`, implemented with msal and azure-mgmt
in :mod:`tenantctl.cloud.byo_probe`) signs in and reads; this module decides what follows from
each answer. Steps, each a check of :class:`ByoReport`:

1. token: the provider app gets a token in the *tenant's* directory (proves consent);
2. account: it reads the account through ARM (proves the role);
3. deployments: the expected deployments exist;
4. network: public network access and firewall default action let the provider in.

A failed step skips the ones after it: without a token nothing can be read, and without the
account its deployments and network rules are unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from tenantctl.errors import UsageError
from tenantctl.tenant_provided.diagnosis import deployments_check, network_check
from tenantctl.tenant_provided.onboarding import DEFAULT_AUTHORITY_HOST, ByoTarget, Onboarding
from tenantctl.tenant_provided.report import AccountFacts, ByoReport, Check, CheckName, CheckStatus, skipped

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest

__all__ = [
    "CREDENTIAL_ERROR_CODES",
    "DEFAULT_ARM_ENDPOINT",
    "AccountReader",
    "ProbeEndpoints",
    "ReportVerifier",
    "RoleWait",
    "Verifier",
    "json_verifier",
    "tenant_provided_ids",
    "verify_all",
    "verify_with",
]

# verify(manifest, tenant) -> the report; raises UsageError when the operator must fix something first
# (no provider-app credential configured, a tenant that is not tenant-provided).
ReportVerifier = Callable[["Manifest", str], ByoReport]
# verify(manifest, tenant) -> JSON for plan, status and inspect (see :func:`json_verifier`).
Verifier = Callable[["Manifest", str], dict[str, Any]]


# The codes of :func:`tenantctl.cloud.app_credential.load_app_credential`'s errors: no credential
# configured, or one that cannot be used (an unreadable certificate file, ...).
CREDENTIAL_ERROR_CODES = frozenset({"app-credential-missing", "app-credential"})


DEFAULT_ARM_ENDPOINT = "https://management.azure.com"


@dataclass(frozen=True)
class ProbeEndpoints:
    """Where the provider app signs in and reads tenant accounts (sovereign and private clouds differ)."""

    authority_host: str = DEFAULT_AUTHORITY_HOST
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    ca_path: str | None = None  # trust this CA bundle instead of the system's


@dataclass(frozen=True)
class RoleWait:
    """How long to keep retrying a 403 before concluding the role is missing.

    Short by default (RBAC can take up to 30 minutes to propagate, and no CLI run should wait that
    long): enough for the common "assigned a minute ago" case without slowing a plan over many tenants.
    """

    total_seconds: float = 8.0
    first_delay: float = 1.0

    def delays(self) -> list[float]:
        """Exponential delays (first, 2×first, ...) whose sum stays within ``total_seconds``."""
        out: list[float] = []
        delay = self.first_delay
        while delay > 0 and sum(out) + delay <= self.total_seconds + 1e-9:  # 1e-9: float sums
            out.append(delay)
            delay *= 2
        return out


class AccountReader(Protocol):
    """The provider app's read-only view of one tenant's account (the cloud side of verification)."""

    def sign_in(self) -> Check:
        """The token check: passed when the app has a token in the tenant's directory."""

    def read_account(self) -> tuple[AccountFacts | None, Check | None, int]:
        """(facts, None, ARM attempts) or (None, the failed account check, attempts)."""

    def list_deployments(self) -> tuple[list[tuple[str, str]], Check | None]:
        """[(deployment name, model name)], or a failed deployments check."""


def verify_with(target: ByoTarget, guide: Onboarding, reader: AccountReader) -> ByoReport:
    """Run the checks in order through ``reader``; never raises for cloud failures (they are checks)."""

    def report(checks: list[Check], account: AccountFacts | None = None, attempts: int = 0) -> ByoReport:
        return ByoReport(
            tenant=target.tenant,
            directory=target.directory,
            resource_id=target.resource_id,
            client_id=target.client_id,
            checks=tuple(checks),
            onboarding=guide,
            account=account,
            expect_deployments=target.expected,
            attempts={"account": attempts},
        )

    token_check = reader.sign_in()
    if not token_check.passed:
        later = (CheckName.ACCOUNT, CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, *(skipped(n, CheckName.TOKEN) for n in later)])
    account, failure, attempts = reader.read_account()
    if account is None:
        assert failure is not None
        rest = (CheckName.DEPLOYMENTS, CheckName.NETWORK)
        return report([token_check, failure, *(skipped(n, CheckName.ACCOUNT) for n in rest)], attempts=attempts)
    account_check = Check(CheckName.ACCOUNT, CheckStatus.OK, f"the provider app can read {account.name}")
    deployments, listing_failure = reader.list_deployments()
    if listing_failure is None:
        dep_check = deployments_check(target.expected, deployments)
        account = replace(account, deployments=tuple(deployments))
    else:
        dep_check = listing_failure
    net_check = network_check(account.public_network_access, account.network_default_action, account.allowed_ips)
    return report([token_check, account_check, dep_check, net_check], account, attempts)


def json_verifier(verify: ReportVerifier) -> Verifier:
    """``verify`` for plan, status and inspect: :meth:`ByoReport.to_json` plus ``"available": true``.

    When the operator has not configured the provider app's credential the JSON is
    ``{"available": false, "tenant", "reason", "hint"}`` instead of an error, so a plan over other
    tenants still runs and shows these as unverified.
    """

    def verify_json(manifest: Manifest, tenant_id: str) -> dict[str, Any]:
        try:
            report = verify(manifest, tenant_id)
        except UsageError as exc:
            if exc.code not in CREDENTIAL_ERROR_CODES:
                raise  # a manifest problem (unknown tenant, no [provider.app]) is still the operator's error
            return {"available": False, "tenant": tenant_id, "reason": exc.message, "hint": exc.hint}
        return {"available": True, **report.to_json()}

    return verify_json


def tenant_provided_ids(manifest: Manifest, tenants: Iterable[str] | None = None) -> list[str]:
    """The tenant-provided tenants of the manifest (all, or those among ``tenants``), sorted."""
    from tenantctl.manifest.model import Isolation

    selected = set(tenants) if tenants is not None else None
    return [
        tenant_id
        for tenant_id, spec in sorted(manifest.tenants.items())
        if spec.isolation is Isolation.TENANT_PROVIDED and (selected is None or tenant_id in selected)
    ]


def verify_all(
    manifest: Manifest, verifier: Verifier, *, max_workers: int = 8, tenants: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Every tenant-provided tenant of the manifest (or ``tenants``), verified concurrently (2 ARM reads each)."""
    tenants = tenant_provided_ids(manifest) if tenants is None else tenants
    if not tenants:
        return {}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(tenants)), thread_name_prefix="byo") as pool:
        return dict(zip(tenants, pool.map(lambda t: verifier(manifest, t), tenants), strict=True))
