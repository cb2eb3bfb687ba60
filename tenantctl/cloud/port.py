"""The cloud port: the narrow interface the core uses to read and write Azure.

Only :mod:`tenantctl.cloud.azure` implements it (over the real SDKs, against Azure or the emulator).
The core never sees SDK types: every method takes and returns records from :mod:`tenantctl.resources`.

Contract for every method:

* Reads return ``[]`` (or ``None``) for "does not exist", never raise for it.
* Writes block until Azure's long-running operation has finished and are idempotent (PUTs of the
  full desired body), so a retried or re-run write never duplicates anything.
* Failures raise :class:`tenantctl.errors.RetryableError` (429, 409 RequestConflict, 5xx, dropped
  connections; retries already exhausted by the adapter's one tenacity policy) or
  :class:`tenantctl.errors.TerminalError` (quota, permissions, validation) carrying Azure's
  ``error.code`` as ``code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from tenantctl.resources import (
    Account,
    AccountBaseline,
    AccountKeys,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    ModelOffer,
    PrivateEndpoint,
    QuotaUsage,
    RaiPolicy,
    ResourceGroup,
    RoleAssignment,
    SecretValue,
    StoredSecret,
    SubdomainCheck,
    TenantPeak,
    UsageSeries,
)

__all__ = ["CloudPort", "UsagePort"]


class CloudPort(Protocol):
    """Everything tenantctl asks of Azure Resource Manager for the provider's own subscriptions."""

    # --- reads: observation must stay O(accounts + regions) ---------------------------------
    def list_accounts(self, subscription_id: str, resource_group: str) -> list[Account]:
        """All accounts of a resource group (one paged request); [] when the group does not exist."""

    def list_subscription_accounts(self, subscription_id: str) -> list[Account]:
        """All accounts of a subscription, every group (one paged request). A subscription that does not exist
        or cannot be read raises (TerminalError naming it): it is never an empty subscription."""

    def query_managed_accounts(self, subscription_ids: Sequence[str]) -> list[Account] | None:
        """The ``managed-by=tenantctl`` accounts of all ``subscription_ids`` from Azure Resource Graph (one
        paged query; accounts only, it does not index deployments). None when Resource Graph cannot be used
        here. Its index lags ARM writes: what it leaves out or still shows must be confirmed against ARM."""

    def list_deployments(self, account: AccountRef) -> list[Deployment]: ...

    def list_rai_policies(self, account: AccountRef) -> list[RaiPolicy]:
        """Custom (user-managed) RAI policies of an account; system policies are left out."""

    def list_blocklists(self, account: AccountRef) -> list[Blocklist]:
        """Blocklists of an account with their terms."""

    def list_usages(self, subscription_id: str, location: str) -> list[QuotaUsage]: ...

    def list_models(self, subscription_id: str, location: str) -> list[ModelOffer]: ...

    def list_account_models(self, account: AccountRef, location: str) -> list[ModelOffer]:
        """What one account may deploy: the base models and the models fine-tuned in it (one paged request)."""

    def list_deleted_accounts(self, subscription_id: str) -> list[DeletedAccount]: ...

    def check_subdomain(self, subscription_id: str, subdomain: str) -> SubdomainCheck: ...

    def list_role_assignments(self, scope: str) -> list[RoleAssignment]: ...

    # --- writes: blocking, idempotent ----------------------------------------------------
    def ensure_resource_group(self, group: ResourceGroup) -> None: ...

    def put_account(
        self, account: Account, *, restore: bool = False, baseline: AccountBaseline | None = None
    ) -> Account:
        """Create or update an account (full body). ``restore=True`` recovers a soft-deleted one.
        ``baseline`` adds the compliance settings; None sends what tenantctl always sent."""

    def delete_account(self, account: AccountRef) -> None:
        """Delete (soft-delete, in Azure's terms) an account; a missing account is not an error."""

    def purge_deleted_account(self, account: AccountRef, location: str) -> None: ...

    def put_deployment(self, deployment: Deployment) -> Deployment: ...

    def delete_deployment(self, account: AccountRef, name: str) -> None: ...

    def put_rai_policy(self, policy: RaiPolicy) -> None: ...

    def delete_rai_policy(self, account: AccountRef, name: str) -> None: ...

    def put_blocklist(self, blocklist: Blocklist) -> None:
        """Create or update a blocklist and make its items exactly ``terms``."""

    def delete_blocklist(self, account: AccountRef, name: str) -> None: ...

    def put_role_assignment(self, assignment: RoleAssignment) -> None:
        """Idempotent: the assignment's name is a uuid5 of scope, principal and role."""

    # --- compliance baseline (issue 14) -----------------------------------------------------
    def list_account_baselines(self, subscription_id: str, resource_group: str) -> dict[str, AccountBaseline]:
        """Network/identity settings of every account of a group, by lower-case account id; {} when missing."""

    def list_private_endpoints(self, subscription_id: str, resource_group: str) -> list[PrivateEndpoint]:
        """Endpoints of a group with their DNS zone ids and connection status; [] when the group is missing."""

    def put_private_endpoint(self, endpoint: PrivateEndpoint) -> PrivateEndpoint:
        """Create or update the endpoint, then (when ``dns_zone_ids``) its DNS zone group ``default``."""

    def delete_private_endpoint(self, subscription_id: str, resource_group: str, name: str) -> None: ...

    def list_diagnostic_settings(self, target_id: str) -> list[DiagnosticSetting]: ...

    def put_diagnostic_setting(self, setting: DiagnosticSetting) -> DiagnosticSetting: ...

    def delete_diagnostic_setting(self, target_id: str, name: str) -> None: ...

    def resource_location(self, resource_id: str) -> str | None:
        """The region of a subnet (its virtual network's) or a Log Analytics workspace; None when it does
        not exist. One read; used to check what a planned endpoint or diagnostic setting points at."""

    def vault_url(self, vault_id: str) -> str | None:
        """The data-plane URL (``properties.vaultUri``) of a Key Vault; None when the vault does not exist."""

    def list_account_keys(self, account: AccountRef) -> AccountKeys:
        """TerminalError code ``BadRequest`` while the account has local auth disabled."""

    def regenerate_account_key(self, account: AccountRef, key_name: str) -> AccountKeys:
        """``key_name`` is key1/key2; store the key this returns (a retried call regenerates again)."""

    def set_secret(
        self,
        vault_url: str,
        name: str,
        value: SecretValue,
        *,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> StoredSecret:
        """A new secret version; the result has the version and no value."""

    def get_secret(self, vault_url: str, name: str, version: str | None = None) -> StoredSecret | None:
        """The current (or given) version with its value; None when the secret does not exist."""

    # --- retries -------------------------------------------------------------------------
    def cancel_retries(self) -> None:
        """Send nothing new: calls waiting to retry (e.g. out a long Retry-After) fail now with their
        last error, and no failed attempt is re-sent. Writes already sent still finish."""

    def resume_retries(self) -> None:
        """Undo :meth:`cancel_retries`."""


class UsagePort(Protocol):
    """Reads usage back from Azure Monitor: platform metrics of accounts and the gateway's token metrics.

    Windows are ``[start, end)`` in UTC; ``granularity`` is one of Azure Monitor's time grains (1, 5,
    15, 30 minutes; 1, 6, 12 hours; 1 day) for metrics, 1 hour or 1 day for the gateway. A window
    reaching further back than the metrics retention (93 days) fails with Azure's ``BadRequest``
    as a :class:`tenantctl.errors.TerminalError`.
    """

    def query_account_usage(
        self, accounts: Sequence[Account], *, start: datetime, end: datetime, granularity: timedelta
    ) -> list[UsageSeries]:
        """One series per deployment that has data, from the accounts' platform metrics; batched
        (metrics:getBatch) per subscription and region, at most 50 accounts and 2 requests per batch."""

    def query_gateway_usage(
        self,
        workspace_id: str,
        *,
        start: datetime,
        end: datetime,
        granularity: timedelta,
        dimension: str = "Tenant",
        tenants: Sequence[str] | None = None,
    ) -> list[UsageSeries]:
        """One series per tenant (value of the custom dimension ``dimension``) from the gateway's
        ``azure-openai-emit-token-metric`` metrics in the Log Analytics workspace; one query."""

    def query_gateway_peaks(
        self,
        workspace_id: str,
        *,
        start: datetime,
        end: datetime,
        dimension: str = "Tenant",
        tenants: Sequence[str] | None = None,
    ) -> list[TenantPeak]:
        """The busiest minute (prompt + completion tokens) per gateway tenant; one query."""
