"""AzureCloud: the CloudPort over the real azure-mgmt SDK clients (Azure or the emulator).

Every public method is one retried unit (see :mod:`.retry`): reads materialise the whole paged list
inside the unit, writes call ``begin_*`` and ``.result()`` inside it, so a connection dropped while
polling re-issues the whole idempotent write.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization.v2022_04_01 import models as am
from azure.mgmt.resource.resources import models as rm

from tenantctl.cloud.azure import convert, names, resource_graph, usage
from tenantctl.cloud.azure.clients import ClientFactory, ClientSet
from tenantctl.cloud.azure.errors import error_code, is_not_found
from tenantctl.cloud.azure.listing import list_json, segment
from tenantctl.cloud.azure.retry import RetryPolicy, RetryStats
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

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort, UsagePort

__all__ = ["AzureCloud"]

T = TypeVar("T")
_log = logging.getLogger(__name__)

_ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
# Azure caps a batch add/delete of blocklist items; stay well under it.
_BLOCKLIST_BATCH = 100
# api-version of a generic GET by id, per resource provider (the ones a baseline references).
_API_VERSIONS = {"microsoft.operationalinsights": "2022-10-01", "microsoft.keyvault": "2023-07-01"}


def _account_path(account: AccountRef) -> str:
    """The account's ARM path, for the listings read as JSON (listing.py)."""
    return (
        f"/subscriptions/{segment(account.subscription_id)}/resourceGroups/{segment(account.resource_group)}"
        f"/providers/Microsoft.CognitiveServices/accounts/{segment(account.name)}"
    )


def _missing_ok(fn: Callable[[], T], default: T) -> Callable[[], T]:
    """Wrap a unit so a 404 (the thing or its parent is gone) means ``default`` instead of an error.

    Not SubscriptionNotFound: a subscription that does not exist (a typo in the manifest, or one the
    signed-in directory cannot see) must not read as "nothing there yet", or a plan would offer to
    create every tenant anew and ``status`` would call them all missing.
    """

    def unit() -> T:
        try:
            return fn()
        except HttpResponseError as exc:
            if is_not_found(exc) and error_code(exc).lower() != "subscriptionnotfound":
                return default
            raise

    return unit


def _blocklist_sync(items: Iterable[Any], wanted: list[str]) -> tuple[list[str], list[str]]:
    """The terms to add and the item names to delete so that the items hold exactly ``wanted``.

    Items are matched by pattern, not by name: an item someone else created for a wanted term is kept
    (one per term; the rest are duplicates to delete). An add is an upsert under the term's own item
    name, so an item holding that name is overwritten: it is not deleted afterwards, and if it held
    another wanted term that term is not "kept" there either (it would vanish with the add) but is
    added again under its own name.
    """
    by_name: dict[str, str | None] = {}
    for item in items:
        by_name[str(item.name)] = item.properties.pattern if item.properties is not None else None
    wanted_set = set(wanted)
    own_names = {names.blocklist_item_name(term): term for term in wanted}
    overwritten: set[str] = set()
    while True:
        kept: dict[str, str] = {}  # term -> the item name that holds it
        # An item already under the term's own name is the best keeper; then any other, by name.
        for item_name, pattern in sorted(by_name.items(), key=lambda kv: (own_names.get(kv[0]) != kv[1], kv[0])):
            if pattern in wanted_set and pattern not in kept and item_name not in overwritten:
                kept[pattern] = item_name
        missing = [term for term in wanted if term not in kept]
        now_overwritten = {names.blocklist_item_name(term) for term in missing}
        if now_overwritten <= overwritten:
            break
        overwritten |= now_overwritten
    holders = set(kept.values())
    extra = sorted(n for n in by_name if n not in holders and n not in overwritten)
    return missing, extra


def _subscription(resource_id: str) -> str:
    """The subscription of a resource id the caller built (never user text: that is validated earlier)."""
    found = names.subscription_of(resource_id)
    if found is None:
        raise ValueError(f"not a subscription-scoped resource id: {resource_id!r}")
    return found


class AzureCloud:
    """Implements :class:`tenantctl.cloud.port.CloudPort` with one client set per subscription."""

    def __init__(self, factory: ClientFactory, policy: RetryPolicy) -> None:
        self._factory = factory
        self._policy = policy

    def __repr__(self) -> str:
        return f"AzureCloud(endpoint={self._factory.config.arm_endpoint!r})"

    @property
    def stats(self) -> RetryStats:
        """Retry counters: calls, attempts, retries per error code, failures, seconds slept."""
        return self._policy.stats

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def cancel_retries(self) -> None:
        """No call re-sends anything any more; calls waiting to retry fail now with their last error."""
        self._policy.cancel()

    def resume_retries(self) -> None:
        self._policy.resume()

    def close(self) -> None:
        self._factory.close()

    def __enter__(self) -> AzureCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- usage (UsagePort): Azure Monitor metrics and the gateway's Log Analytics workspace ------

    def query_account_usage(
        self, accounts: Sequence[Account], *, start: dt.datetime, end: dt.datetime, granularity: dt.timedelta
    ) -> list[UsageSeries]:
        return usage.query_account_usage(
            self._factory.metrics, self._run, accounts=accounts, start=start, end=end, granularity=granularity
        )

    def query_gateway_usage(
        self,
        workspace_id: str,
        *,
        start: dt.datetime,
        end: dt.datetime,
        granularity: dt.timedelta,
        dimension: str = "Tenant",
        tenants: Sequence[str] | None = None,
    ) -> list[UsageSeries]:
        query = usage.gateway_usage_query(start, end, granularity, dimension, tenants)
        result = self._run(
            "query_gateway_usage",
            lambda: usage.run_kql(self._factory.logs(), workspace_id, query, start, end),
        )
        return usage.gateway_series(result, workspace_id, granularity)

    def query_gateway_peaks(
        self,
        workspace_id: str,
        *,
        start: dt.datetime,
        end: dt.datetime,
        dimension: str = "Tenant",
        tenants: Sequence[str] | None = None,
    ) -> list[TenantPeak]:
        query = usage.gateway_peak_query(start, end, dimension, tenants)
        result = self._run(
            "query_gateway_peaks",
            lambda: usage.run_kql(self._factory.logs(), workspace_id, query, start, end),
        )
        return usage.gateway_peaks(result, workspace_id)

    def _clients(self, subscription_id: str | None) -> ClientSet:
        return self._factory.for_subscription(subscription_id)

    def _cs(self, subscription_id: str) -> Any:
        return self._clients(subscription_id).cognitive

    def _run(self, operation: str, fn: Callable[[], T]) -> T:
        return self._policy.call(operation, fn)

    # --- reads ----------------------------------------------------------------------------

    def list_accounts(self, subscription_id: str, resource_group: str) -> list[Account]:
        client = self._cs(subscription_id)

        def unit() -> list[Account]:
            return [
                convert.to_account(item, subscription_id, resource_group)
                for item in client.accounts.list_by_resource_group(resource_group)
            ]

        # ResourceGroupNotFound is a 404: a group that does not exist has no accounts.
        return self._run(f"list accounts {subscription_id}/{resource_group}", _missing_ok(unit, []))

    def list_subscription_accounts(self, subscription_id: str) -> list[Account]:
        client = self._cs(subscription_id)

        def unit() -> list[Account]:
            return [convert.to_account(item, subscription_id) for item in client.accounts.list()]

        # No _missing_ok: a subscription that does not exist (or cannot be read) is an error naming it.
        return self._run(f"list accounts of subscription {subscription_id}", unit)

    def query_managed_accounts(self, subscription_ids: Sequence[str]) -> list[Account] | None:
        if not subscription_ids:
            return []
        rows = resource_graph.query_rows(
            self._factory.resource_graph(),
            subscription_ids,
            resource_graph.managed_accounts_query(),
            page_size=resource_graph.MAX_PAGE_SIZE,
            run=self._run,
            pause=self._policy.pause,
        )
        try:
            return [resource_graph.row_to_account(row) for row in rows]
        except resource_graph.ResourceGraphUnavailableError as exc:
            _log.info("%s", exc)
            return None

    def list_deployments(self, account: AccountRef) -> list[Deployment]:
        client = self._cs(account.subscription_id)

        path = _account_path(account) + "/deployments"

        def unit() -> list[Deployment]:
            # Read as JSON (listing.py): one of these per account is most of a no-op plan's reads.
            return [convert.deployment_from_json(item, account) for item in list_json(client, path)]

        return self._run(f"list deployments {account}", _missing_ok(unit, []))

    def list_rai_policies(self, account: AccountRef) -> list[RaiPolicy]:
        client = self._cs(account.subscription_id)
        path = _account_path(account) + "/raiPolicies"

        def unit() -> list[RaiPolicy]:
            return [
                convert.rai_policy_from_json(item, account)
                for item in list_json(client, path)
                if convert.is_user_managed(item)
            ]

        return self._run(f"list RAI policies {account}", _missing_ok(unit, []))

    def list_blocklists(self, account: AccountRef) -> list[Blocklist]:
        # One list of blocklists plus one list of items per blocklist: terms live only in items.
        client = self._cs(account.subscription_id)
        path = _account_path(account) + "/raiBlocklists"

        def unit() -> list[Blocklist]:
            return [
                convert.blocklist_from_json(
                    item, account, list_json(client, f"{path}/{segment(item['name'])}/raiBlocklistItems")
                )
                for item in list_json(client, path)
            ]

        return self._run(f"list blocklists {account}", _missing_ok(unit, []))

    def list_usages(self, subscription_id: str, location: str) -> list[QuotaUsage]:
        client = self._cs(subscription_id)

        def unit() -> list[QuotaUsage]:
            return [convert.to_usage(item, subscription_id, location) for item in client.usages.list(location)]

        return self._run(f"list usages {subscription_id}/{location}", unit)

    def list_models(self, subscription_id: str, location: str) -> list[ModelOffer]:
        client = self._cs(subscription_id)

        def unit() -> list[ModelOffer]:
            offers: dict[tuple[str, str, str], ModelOffer] = {}
            for item in client.models.list(location):
                # The catalogue repeats models per account kind (OpenAI, AIServices); keep one row.
                if item.kind and item.kind.lower() not in ("openai", "aiservices"):
                    continue
                for offer in convert.to_model_offers(item, location):
                    offers.setdefault((offer.model, offer.version, offer.sku), offer)
            return list(offers.values())

        return self._run(f"list models {subscription_id}/{location}", unit)

    def list_account_models(self, account: AccountRef, location: str) -> list[ModelOffer]:
        client = self._cs(account.subscription_id)

        def unit() -> list[ModelOffer]:
            # AccountModel items, not the regional Model wrapper: fine-tuned models appear only here.
            found = client.accounts.list_models(account.resource_group, account.name)
            return [offer for item in found for offer in convert.to_account_model_offers(item, location)]

        return self._run(f"list models of {account.name}", unit)

    def list_deleted_accounts(self, subscription_id: str) -> list[DeletedAccount]:
        client = self._cs(subscription_id)

        def unit() -> list[DeletedAccount]:
            found = (convert.to_deleted_account(item) for item in client.deleted_accounts.list())
            return [item for item in found if item is not None]

        return self._run(f"list deleted accounts {subscription_id}", unit)

    def check_subdomain(self, subscription_id: str, subdomain: str) -> SubdomainCheck:
        client = self._cs(subscription_id)

        def unit() -> SubdomainCheck:
            answer = client.check_domain_availability(subdomain_name=subdomain, type=_ACCOUNT_TYPE, kind="OpenAI")
            return SubdomainCheck(
                subdomain=subdomain,
                available=bool(answer.is_subdomain_available),
                reason=str(answer.reason or ""),
            )

        return self._run(f"check subdomain {subdomain}", unit)

    def list_role_assignments(self, scope: str) -> list[RoleAssignment]:
        """Assignments made exactly at ``scope`` (inherited ones from above are not this scope's)."""
        client = self._clients(names.subscription_of(scope)).authorization
        wanted = scope.rstrip("/").lower()

        def unit() -> list[RoleAssignment]:
            found = (
                convert.to_role_assignment(item, scope)
                # atScope() = at or above, never the (possibly many) assignments below it.
                for item in client.role_assignments.list_for_scope(scope, filter="atScope()")
            )
            return [item for item in found if item.scope.rstrip("/").lower() == wanted]

        return self._run(f"list role assignments {scope}", _missing_ok(unit, []))

    # --- writes ---------------------------------------------------------------------------

    def ensure_resource_group(self, group: ResourceGroup) -> None:
        """Create the group only when it is missing: an existing group (and its tags) is not ours to change."""
        client = self._clients(group.subscription_id).resources
        body = rm.ResourceGroup(location=group.location, tags=dict(group.tags))

        def unit() -> None:
            if not client.resource_groups.check_existence(group.name):
                client.resource_groups.create_or_update(group.name, body)

        self._run(f"ensure resource group {group.subscription_id}/{group.name}", unit)

    def put_account(
        self, account: Account, *, restore: bool = False, baseline: AccountBaseline | None = None
    ) -> Account:
        ref = account.ref
        client = self._cs(ref.subscription_id)

        def put(body: Any) -> Callable[[], Account]:
            def unit() -> Account:
                result = client.accounts.begin_create(ref.resource_group, ref.name, body).result()
                return convert.to_account(result, ref.subscription_id, ref.resource_group)

            return unit

        if not restore:
            return self._run(f"put account {ref}", put(convert.account_body(account, baseline=baseline)))
        self._run(f"restore account {ref}", put(convert.account_body(account, restore=True, baseline=baseline)))
        # A restore brings the account back as it was deleted (tags, network rules ...), whatever
        # else the body says; the desired settings go on with an ordinary full PUT once it is live.
        # (That PUT is also what a restore re-sent after its answer was lost amounts to.)
        return self._run(f"put account {ref} (after restore)", put(convert.account_body(account, baseline=baseline)))

    def delete_account(self, account: AccountRef) -> None:
        client = self._cs(account.subscription_id)
        self._run(
            f"delete account {account}",
            _missing_ok(lambda: client.accounts.begin_delete(account.resource_group, account.name).result(), None),
        )

    def purge_deleted_account(self, account: AccountRef, location: str) -> None:
        client = self._cs(account.subscription_id)
        self._run(
            f"purge deleted account {account} ({location})",
            _missing_ok(
                lambda: client.deleted_accounts.begin_purge(location, account.resource_group, account.name).result(),
                None,
            ),
        )

    def put_deployment(self, deployment: Deployment) -> Deployment:
        ref = deployment.account
        client = self._cs(ref.subscription_id)
        body = convert.deployment_body(deployment)

        def unit() -> Deployment:
            poller = client.deployments.begin_create_or_update(ref.resource_group, ref.name, deployment.name, body)
            return convert.to_deployment(poller.result(), ref)

        return self._run(f"put deployment {ref}/{deployment.name}", unit)

    def delete_deployment(self, account: AccountRef, name: str) -> None:
        client = self._cs(account.subscription_id)
        self._run(
            f"delete deployment {account}/{name}",
            _missing_ok(
                lambda: client.deployments.begin_delete(account.resource_group, account.name, name).result(),
                None,
            ),
        )

    def put_rai_policy(self, policy: RaiPolicy) -> None:
        ref = policy.account
        client = self._cs(ref.subscription_id)
        body = convert.rai_policy_body(policy)
        self._run(
            f"put RAI policy {ref}/{policy.name}",
            lambda: client.rai_policies.create_or_update(ref.resource_group, ref.name, policy.name, body),
        )

    def delete_rai_policy(self, account: AccountRef, name: str) -> None:
        client = self._cs(account.subscription_id)
        self._run(
            f"delete RAI policy {account}/{name}",
            _missing_ok(
                lambda: client.rai_policies.begin_delete(account.resource_group, account.name, name).result(),
                None,
            ),
        )

    def put_blocklist(self, blocklist: Blocklist) -> None:
        ref = blocklist.account
        client = self._cs(ref.subscription_id)
        group, account, name = ref.resource_group, ref.name, blocklist.name
        wanted = sorted(set(blocklist.terms))
        self._run(
            f"put blocklist {ref}/{name}",
            lambda: client.rai_blocklists.create_or_update(group, account, name, convert.blocklist_body(blocklist)),
        )

        def sync_items() -> None:
            missing, extra = _blocklist_sync(client.rai_blocklist_items.list(group, account, name), wanted)
            for start in range(0, len(missing), _BLOCKLIST_BATCH):
                chunk = convert.blocklist_items_body(missing[start : start + _BLOCKLIST_BATCH])
                client.rai_blocklist_items.batch_add(group, account, name, chunk)
            for start in range(0, len(extra), _BLOCKLIST_BATCH):
                client.rai_blocklist_items.batch_delete(group, account, name, extra[start : start + _BLOCKLIST_BATCH])

        # Its own unit: re-listing before each attempt keeps a retried sync exact.
        self._run(f"sync blocklist items {ref}/{name}", sync_items)

    def delete_blocklist(self, account: AccountRef, name: str) -> None:
        client = self._cs(account.subscription_id)
        self._run(
            f"delete blocklist {account}/{name}",
            _missing_ok(
                lambda: client.rai_blocklists.begin_delete(account.resource_group, account.name, name).result(),
                None,
            ),
        )

    def put_role_assignment(self, assignment: RoleAssignment) -> None:
        scope = assignment.scope
        role = names.role_definition_id(assignment.role_definition_id, scope)
        name = assignment.name or names.role_assignment_name(scope, assignment.principal_id, role)
        client = self._clients(names.subscription_of(scope)).authorization
        body = am.RoleAssignmentCreateParameters(
            role_definition_id=role,
            principal_id=assignment.principal_id,
            principal_type=assignment.principal_type,
        )

        def unit() -> None:
            try:
                client.role_assignments.create(scope, name, body)
            except HttpResponseError as exc:
                # The same principal already holds the role at this scope under another name:
                # the desired state is reached, so this is success, not a failure to report.
                if error_code(exc).lower() != "roleassignmentexists":
                    raise

        self._run(f"put role assignment {scope} {assignment.principal_id}", unit)

    # --- compliance baseline: private endpoints, diagnostic settings, keys, Key Vault secrets --------

    def list_account_baselines(self, subscription_id: str, resource_group: str) -> dict[str, AccountBaseline]:
        """The baseline settings of every account of a group by lower-case account id (one paged list)."""
        client = self._cs(subscription_id)

        def unit() -> dict[str, AccountBaseline]:
            return {
                str(item.id).lower(): convert.to_account_baseline(item)
                for item in client.accounts.list_by_resource_group(resource_group)
            }

        return self._run(f"list account baselines {subscription_id}/{resource_group}", _missing_ok(unit, {}))

    def list_private_endpoints(self, subscription_id: str, resource_group: str) -> list[PrivateEndpoint]:
        from tenantctl.cloud.azure import baseline

        client = self._factory.network(subscription_id)

        def unit() -> list[PrivateEndpoint]:
            return [
                baseline.to_private_endpoint(
                    item,
                    subscription_id,
                    resource_group,
                    list(client.private_dns_zone_groups.list(item.name, resource_group)),
                )
                for item in client.private_endpoints.list(resource_group)
            ]

        return self._run(f"list private endpoints {subscription_id}/{resource_group}", _missing_ok(unit, []))

    def put_private_endpoint(self, endpoint: PrivateEndpoint) -> PrivateEndpoint:
        """The endpoint, then its DNS zone group: two units, so a retry re-sends only what failed."""
        from tenantctl.cloud.azure import baseline

        client = self._factory.network(endpoint.subscription_id)
        group, name = endpoint.resource_group, endpoint.name
        body = baseline.private_endpoint_body(endpoint)
        made = self._run(
            f"put private endpoint {group}/{name}",
            lambda: client.private_endpoints.begin_create_or_update(group, name, body).result(),
        )
        zone_groups: list[Any] = []
        if endpoint.dns_zone_ids:
            zones = baseline.zone_group_body(endpoint)
            zone_groups.append(
                self._run(
                    f"put private DNS zone group {group}/{name}",
                    lambda: client.private_dns_zone_groups.begin_create_or_update(
                        group, name, baseline.ZONE_GROUP, zones
                    ).result(),
                )
            )
        return baseline.to_private_endpoint(made, endpoint.subscription_id, group, zone_groups)

    def delete_private_endpoint(self, subscription_id: str, resource_group: str, name: str) -> None:
        client = self._factory.network(subscription_id)
        self._run(
            f"delete private endpoint {resource_group}/{name}",
            _missing_ok(lambda: client.private_endpoints.begin_delete(resource_group, name).result(), None),
        )

    def resource_location(self, resource_id: str) -> str | None:
        parts = resource_id.strip("/").split("/")
        subscription, group = parts[1], parts[3]
        if len(parts) == 10 and parts[5].lower() == "microsoft.network" and parts[8].lower() == "subnets":
            client = self._factory.network(subscription)

            def subnet() -> str | None:
                # A subnet has no region of its own: its virtual network's is the one an endpoint must use.
                vnet = client.virtual_networks.get(group, parts[7])
                names = {str(s.name).lower() for s in (vnet.subnets or [])}
                return str(vnet.location or "") if parts[9].lower() in names else None

            return self._run(f"get subnet {resource_id}", _missing_ok(subnet, None))
        resources = self._clients(subscription).resources.resources

        def generic() -> str | None:
            found = resources.get_by_id(resource_id, api_version=_API_VERSIONS.get(parts[5].lower(), "2022-10-01"))
            return str(found.location or "")

        return self._run(f"get {resource_id}", _missing_ok(generic, None))

    def vault_url(self, vault_id: str) -> str | None:
        resources = self._clients(_subscription(vault_id)).resources.resources

        def unit() -> str | None:
            found = resources.get_by_id(vault_id, api_version=_API_VERSIONS["microsoft.keyvault"])
            uri = (found.properties or {}).get("vaultUri")
            return str(uri) if uri else None

        return self._run(f"get vault {vault_id}", _missing_ok(unit, None))

    def list_diagnostic_settings(self, target_id: str) -> list[DiagnosticSetting]:
        from tenantctl.cloud.azure import baseline

        client = self._factory.monitor(_subscription(target_id))

        def unit() -> list[DiagnosticSetting]:
            return [
                baseline.to_diagnostic_setting(item, target_id) for item in client.diagnostic_settings.list(target_id)
            ]

        return self._run(f"list diagnostic settings {target_id}", _missing_ok(unit, []))

    def put_diagnostic_setting(self, setting: DiagnosticSetting) -> DiagnosticSetting:
        from tenantctl.cloud.azure import baseline

        client = self._factory.monitor(_subscription(setting.target_id))
        body = baseline.diagnostic_setting_body(setting)

        def unit() -> DiagnosticSetting:
            made = client.diagnostic_settings.create_or_update(setting.target_id, setting.name, body)
            return baseline.to_diagnostic_setting(made, setting.target_id)

        return self._run(f"put diagnostic setting {setting.target_id}/{setting.name}", unit)

    def delete_diagnostic_setting(self, target_id: str, name: str) -> None:
        client = self._factory.monitor(_subscription(target_id))
        self._run(
            f"delete diagnostic setting {target_id}/{name}",
            _missing_ok(lambda: client.diagnostic_settings.delete(target_id, name), None),
        )

    def list_account_keys(self, account: AccountRef) -> AccountKeys:
        """Both keys; refused by Azure (TerminalError code BadRequest) while local auth is disabled."""
        from tenantctl.cloud.azure import baseline

        client = self._cs(account.subscription_id)
        return self._run(
            f"list keys {account}",
            lambda: baseline.to_account_keys(client.accounts.list_keys(account.resource_group, account.name), account),
        )

    def regenerate_account_key(self, account: AccountRef, key_name: str) -> AccountKeys:
        """Regenerate ``key1`` or ``key2``; returns both keys as they are afterwards.

        Not idempotent: a retried attempt regenerates again, which leaves a valid (newer) key, so the
        caller must store the key this call *returns*, never one read before it.
        """
        from tenantctl.cloud.azure import baseline

        if key_name.lower() not in ("key1", "key2"):
            raise ValueError(f"key_name must be key1 or key2, not {key_name!r}")
        client = self._cs(account.subscription_id)
        wire_name = "Key1" if key_name.lower() == "key1" else "Key2"
        return self._run(
            f"regenerate {key_name.lower()} {account}",
            lambda: baseline.to_account_keys(
                client.accounts.regenerate_key(account.resource_group, account.name, wire_name), account
            ),
        )

    def set_secret(
        self,
        vault_url: str,
        name: str,
        value: SecretValue,
        *,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> StoredSecret:
        """A new version of a Key Vault secret; the result carries the version, never the value."""
        from tenantctl.cloud.azure import baseline

        client = self._factory.secrets(vault_url)

        def unit() -> StoredSecret:
            made = client.set_secret(name, value.reveal(), content_type=content_type, tags=tags)
            return baseline.to_stored_secret(made, vault_url, with_value=False)

        return self._run(f"set secret {vault_url.rstrip('/')}/{name}", unit)

    def get_secret(self, vault_url: str, name: str, version: str | None = None) -> StoredSecret | None:
        """The current (or the given) version with its value as a :class:`SecretValue`; None when missing."""
        from tenantctl.cloud.azure import baseline

        client = self._factory.secrets(vault_url)

        def unit() -> StoredSecret | None:
            return baseline.to_stored_secret(client.get_secret(name, version), vault_url, with_value=True)

        return self._run(f"get secret {vault_url.rstrip('/')}/{name}", _missing_ok(unit, None))


if TYPE_CHECKING:

    def _implements_port(cloud: AzureCloud) -> CloudPort:
        return cloud  # mypy proves here that AzureCloud satisfies the CloudPort Protocol

    def _implements_usage_port(cloud: AzureCloud) -> UsagePort:
        return cloud  # and the UsagePort Protocol
