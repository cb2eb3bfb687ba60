"""The verification report of a tenant-provided account: checks, account facts, JSON schema.

Pure records: :mod:`.verification` fills them (through the cloud probe), the CLI and reports render them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from tenantctl.tenant_provided.onboarding import Onboarding

__all__ = ["AccountFacts", "ByoReport", "Check", "CheckName", "CheckStatus", "skipped"]


class CheckName(str, Enum):
    TOKEN = "token"  # noqa: S105 - a check name: the app signs in to the tenant's directory (consent)
    ACCOUNT = "account"  # ARM lets the app read the account (role assigned, right ids)
    DEPLOYMENTS = "deployments"  # the expected deployments exist
    NETWORK = "network"  # the account's network rules let the provider in


class CheckStatus(str, Enum):
    OK = "ok"
    WARNING = "warning"  # passes, but tell someone
    FAILED = "failed"
    SKIPPED = "skipped"  # an earlier check failed, so this one could not run


@dataclass(frozen=True)
class Check:
    """One verification step: its status and, when it did not pass cleanly, why and what to do."""

    name: CheckName
    status: CheckStatus
    summary: str
    code: str = ""  # stable: not-consented, role-missing, ... (scripts may branch on it)
    diagnosis: str = ""
    next_step: str = ""
    detail: str = ""  # raw service text (AADSTS description, ARM message), for support

    @property
    def passed(self) -> bool:
        return self.status in (CheckStatus.OK, CheckStatus.WARNING)

    def to_json(self) -> dict[str, Any]:
        # Empty strings become null so consumers can test presence.
        return {k: (v.value if isinstance(v, Enum) else (v or None)) for k, v in asdict(self).items()}


def skipped(name: CheckName, because: CheckName) -> Check:
    return Check(name, CheckStatus.SKIPPED, f"not checked: the {because.value} check failed")


@dataclass(frozen=True)
class AccountFacts:
    """What ARM said about the tenant's account (read-only facts, for the report)."""

    name: str
    location: str
    kind: str
    endpoint: str | None
    public_network_access: str | None  # "Enabled" | "Disabled" | None (= Enabled)
    network_default_action: str | None  # "Allow" | "Deny" | None
    allowed_ips: tuple[str, ...] = ()
    disable_local_auth: bool | None = None
    deployments: tuple[tuple[str, str], ...] = ()  # (deployment name, model name)

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["allowed_ips"] = list(self.allowed_ips)
        doc["deployments"] = [{"name": n, "model": m} for n, m in self.deployments]
        return doc


@dataclass(frozen=True)
class ByoReport:
    """The verification of one tenant-provided account; JSON schema in :meth:`to_json`."""

    tenant: str
    directory: str
    resource_id: str
    client_id: str
    checks: tuple[Check, ...]
    onboarding: Onboarding
    account: AccountFacts | None = None
    expect_deployments: tuple[str, ...] = ()
    attempts: dict[str, int] = field(default_factory=dict)  # ARM reads per check, incl. retries

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, name: CheckName) -> Check:
        return next(c for c in self.checks if c.name is name)

    def to_json(self) -> dict[str, Any]:
        """Schema (stable; new keys may be added)::

        {"tenant": str, "directory": guid, "resource_id": str, "client_id": guid,
         "ok": bool, "expect_deployments": [str],
         "checks": [{"name": "token"|"account"|"deployments"|"network",
                     "status": "ok"|"warning"|"failed"|"skipped", "summary": str,
                     "code": str|null, "diagnosis": str|null, "next_step": str|null, "detail": str|null}],
         "account": null | {"name", "location", "kind", "endpoint", "public_network_access",
                            "network_default_action", "allowed_ips": [str], "disable_local_auth",
                            "deployments": [{"name", "model"}]},
         "onboarding": {"consent_url", "role_assignment": {...}, "verify_command", ...}}
        """
        return {
            "tenant": self.tenant,
            "directory": self.directory,
            "resource_id": self.resource_id,
            "client_id": self.client_id,
            "ok": self.ok,
            "expect_deployments": list(self.expect_deployments),
            "checks": [c.to_json() for c in self.checks],
            "account": self.account.to_json() if self.account is not None else None,
            "onboarding": self.onboarding.to_json(),
        }
