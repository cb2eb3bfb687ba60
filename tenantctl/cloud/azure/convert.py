"""SDK models <-> tenantctl records.

Bodies we send are FULL and contain only writable fields (research/arm-api.md §1.4): a PUT replaces
the resource, so anything we leave out is reset, and read-only fields are rejected or ignored.
Reads are forgiving: missing optional fields fall back to the record defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from azure.mgmt.cognitiveservices import models as cs

from tenantctl.cloud.azure.names import blocklist_item_name
from tenantctl.resources import (
    Account,
    AccountBaseline,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    ModelOffer,
    QuotaUsage,
    RaiPolicy,
    RoleAssignment,
    derived_default_action,
)

__all__ = [
    "account_body",
    "deployment_body",
    "rai_policy_body",
    "rai_policy_from_json",
    "to_account",
    "to_deleted_account",
    "to_deployment",
    "to_model_offers",
    "to_role_assignment",
    "to_usage",
]

# Harm categories and where each is applied (Prompt = user input, Completion = model output).
HARM_FILTERS = ("Hate", "Sexual", "Violence", "Selfharm")
SOURCES = ("Prompt", "Completion")
# Extra always-on filters: jailbreak detection on input, protected material on output.
EXTRA_FILTERS = (
    ("Jailbreak", "Prompt"),
    ("Protected Material Text", "Completion"),
    ("Protected Material Code", "Completion"),
)


def _tags(value: Mapping[str, str] | None) -> dict[str, str]:
    return dict(value or {})


def _parse_datetime(value: Any) -> datetime | None:
    """ARM timestamps: ISO 8601 with 'Z' and up to 7 fractional digits (3.10's fromisoformat chokes)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text[:10]), datetime.min.time(), tzinfo=timezone.utc)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    parsed = _parse_datetime(value)
    return parsed.date() if parsed is not None else None


# --- accounts ------------------------------------------------------------------------------


def account_body(account: Account, *, restore: bool = False, baseline: AccountBaseline | None = None) -> Any:
    baseline = baseline or AccountBaseline()
    ips = sorted(account.allowed_ips)
    default_action = baseline.network_default_action or derived_default_action(
        account.public_network_access, ips, baseline.virtual_network_rules
    )
    acls = cs.NetworkRuleSet(default_action=default_action, ip_rules=[cs.IpRule(value=ip) for ip in ips])
    # Only sent when declared, so an account body without them stays byte-for-byte what it was.
    if baseline.virtual_network_rules:
        acls.virtual_network_rules = [cs.VirtualNetworkRule(id=rule) for rule in baseline.virtual_network_rules]
    if baseline.network_bypass is not None:
        acls.bypass = baseline.network_bypass
    properties = cs.AccountProperties(
        custom_sub_domain_name=account.custom_subdomain,
        public_network_access="Enabled" if account.public_network_access else "Disabled",
        network_acls=acls,
        disable_local_auth=account.disable_local_auth,
        restore=True if restore else None,
    )
    return cs.Account(
        kind=account.kind,
        sku=cs.Sku(name=account.sku),
        identity=cs.Identity(type="SystemAssigned" if baseline.identity == "system-assigned" else "None"),
        tags=_tags(account.tags),
        location=account.location,
        properties=properties,
    )


def _ref(resource_id: str | None, subscription_id: str, resource_group: str, name: str) -> AccountRef:
    if resource_id:
        try:
            return AccountRef.parse(resource_id)
        except ValueError:
            pass
    return AccountRef(subscription_id, resource_group, name)


def to_account(model: Any, subscription_id: str = "", resource_group: str = "") -> Account:
    props = model.properties or cs.AccountProperties()
    acls = props.network_acls
    ips = tuple(sorted(rule.value for rule in (acls.ip_rules or []) if rule.value)) if acls else ()
    return Account(
        ref=_ref(model.id, subscription_id, resource_group, model.name or ""),
        location=model.location or "",
        custom_subdomain=props.custom_sub_domain_name,
        tags=_tags(model.tags),
        kind=model.kind or "OpenAI",
        sku=model.sku.name if model.sku is not None else "S0",
        public_network_access=(props.public_network_access or "Enabled").lower() != "disabled",
        allowed_ips=ips,
        disable_local_auth=bool(props.disable_local_auth),
        endpoint=props.endpoint,
        provisioning_state=str(props.provisioning_state or "Succeeded"),
        baseline=to_account_baseline(model),
    )


def to_account_baseline(model: Any) -> AccountBaseline:
    props = model.properties or cs.AccountProperties()
    acls = props.network_acls
    return AccountBaseline(
        network_default_action=str(acls.default_action) if acls and acls.default_action else None,
        virtual_network_rules=tuple(sorted(str(r.id) for r in (acls.virtual_network_rules or []) if r.id))
        if acls
        else (),
        network_bypass=str(acls.bypass) if acls and acls.bypass else None,
        identity=_identity_kind(model.identity),
        identity_principal_id=model.identity.principal_id if model.identity is not None else None,
        private_endpoint_connections=tuple(
            sorted(
                str(c.properties.private_endpoint.id)
                for c in (props.private_endpoint_connections or [])
                if c.properties is not None
                and c.properties.private_endpoint is not None
                and c.properties.private_endpoint.id
            )
        ),
    )


def _identity_kind(identity: Any) -> str:
    kind = str(getattr(identity, "type", None) or "None").lower()
    return "system-assigned" if "systemassigned" in kind else "none"


def to_deleted_account(model: Any) -> DeletedAccount | None:
    """A deletedAccounts item; its id is .../locations/{loc}/resourceGroups/{rg}/deletedAccounts/{name}."""
    parts = (model.id or "").strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        subscription = parts[lowered.index("subscriptions") + 1]
        location = parts[lowered.index("locations") + 1]
        group = parts[lowered.index("resourcegroups") + 1]
        name = parts[lowered.index("deletedaccounts") + 1]
    except (ValueError, IndexError):
        return None  # not an id we understand; never guess at what to purge
    props = model.properties or cs.AccountProperties()
    return DeletedAccount(
        ref=AccountRef(subscription, group, name),
        location=model.location or location,
        deletion_date=_parse_datetime(props.deletion_date),
        scheduled_purge_date=_parse_datetime(props.scheduled_purge_date),
        custom_subdomain=props.custom_sub_domain_name,
        tags=_tags(model.tags),
    )


# --- deployments ---------------------------------------------------------------------------


def deployment_body(deployment: Deployment) -> Any:
    return cs.Deployment(
        sku=cs.Sku(name=deployment.sku, capacity=deployment.capacity),
        tags=_tags(deployment.tags),
        properties=cs.DeploymentProperties(
            model=cs.DeploymentModel(format=deployment.format, name=deployment.model, version=deployment.version),
            rai_policy_name=deployment.rai_policy,
            version_upgrade_option=deployment.version_upgrade_option,
        ),
    )


def to_deployment(model: Any, account: AccountRef) -> Deployment:
    """An SDK ``Deployment`` (a PUT's answer) as a record; the same reading as a listed one."""
    return deployment_from_json(model.serialize(keep_readonly=True), account)


def deployment_from_json(doc: Mapping[str, Any], account: AccountRef) -> Deployment:
    """A deployment as ARM's JSON has it (``deployments.list`` items, read without SDK models)."""
    props = doc.get("properties") or {}
    dm = props.get("model") or {}
    sku = doc.get("sku") or {}
    capacity = sku["capacity"] if sku.get("capacity") is not None else props.get("currentCapacity")
    return Deployment(
        account=account,
        name=doc.get("name") or "",
        model=dm.get("name") or "",
        version=dm.get("version") or "",
        sku=sku.get("name") or "",
        capacity=int(capacity or 0),
        version_upgrade_option=str(props.get("versionUpgradeOption") or "OnceCurrentVersionExpired"),
        rai_policy=props.get("raiPolicyName"),
        tags=_tags(doc.get("tags")),
        format=dm.get("format") or "OpenAI",
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
    )


# --- RAI policies and blocklists -----------------------------------------------------------


def rai_policy_body(policy: RaiPolicy) -> Any:
    filters = [
        cs.RaiPolicyContentFilter(
            name=name, enabled=True, severity_threshold=policy.severity, blocking=True, source=source
        )
        for name in HARM_FILTERS
        for source in SOURCES
    ]
    filters += [
        cs.RaiPolicyContentFilter(name=name, enabled=True, blocking=True, source=source)
        for name, source in EXTRA_FILTERS
    ]
    blocklists = [
        cs.CustomBlocklistConfig(blocklist_name=name, blocking=True, source=source)
        for name in sorted(set(policy.blocklists))
        for source in SOURCES
    ]
    return cs.RaiPolicy(
        tags=_tags(policy.tags),
        properties=cs.RaiPolicyProperties(
            mode="Default",
            base_policy_name=policy.base_policy,
            content_filters=filters,
            custom_blocklists=blocklists,
        ),
    )


def is_user_managed(doc: Mapping[str, Any]) -> bool:
    """A content filter someone made (``type`` UserManaged), not one of Azure's ``Microsoft.*`` defaults."""
    kind = (doc.get("properties") or {}).get("type")
    if kind:
        return str(kind).lower() == "usermanaged"
    return not (doc.get("name") or "").startswith("Microsoft.")


def rai_policy_from_json(doc: Mapping[str, Any], account: AccountRef) -> RaiPolicy:
    """A content filter (RAI policy) as ARM's JSON has it (``raiPolicies`` list items)."""
    props = doc.get("properties") or {}
    severity = "Medium"
    for content_filter in props.get("contentFilters") or []:
        # The harm filters all carry the one severity we set; read it from the first of them.
        if content_filter.get("name") in HARM_FILTERS and content_filter.get("severityThreshold"):
            severity = str(content_filter["severityThreshold"])
            break
    blocklists = tuple(
        sorted({b["blocklistName"] for b in props.get("customBlocklists") or [] if b.get("blocklistName")})
    )
    return RaiPolicy(
        account=account,
        name=doc.get("name") or "",
        base_policy=props.get("basePolicyName") or "",
        severity=severity,
        blocklists=blocklists,
        tags=_tags(doc.get("tags")),
    )


def blocklist_body(blocklist: Blocklist) -> Any:
    return cs.RaiBlocklist(tags=_tags(blocklist.tags), properties=cs.RaiBlocklistProperties())


def blocklist_items_body(terms: Iterable[str]) -> list[Any]:
    return [
        cs.RaiBlocklistItemBulkRequest(
            name=blocklist_item_name(term),
            properties=cs.RaiBlocklistItemProperties(pattern=term, is_regex=False),
        )
        for term in terms
    ]


def blocklist_from_json(doc: Mapping[str, Any], account: AccountRef, items: Iterable[Mapping[str, Any]]) -> Blocklist:
    """A blocklist and its items as ARM's JSON has them: the terms live only in the items."""
    terms = sorted({p for item in items if (p := (item.get("properties") or {}).get("pattern"))})
    return Blocklist(account=account, name=doc.get("name") or "", terms=tuple(terms), tags=_tags(doc.get("tags")))


# --- quota and catalogue -------------------------------------------------------------------


def to_usage(model: Any, subscription_id: str, location: str) -> QuotaUsage:
    name = model.name.value if model.name is not None and model.name.value else ""
    return QuotaUsage(
        subscription_id=subscription_id,
        location=location,
        usage_name=name,
        current=float(model.current_value or 0.0),
        limit=float(model.limit or 0.0),
        unit=str(model.unit or "Count"),
    )


def to_model_offers(model: Any, location: str) -> list[ModelOffer]:
    """One offer per (model, version, sku) of a ``models.list(location)`` item."""
    return to_account_model_offers(model.model, location)


def to_account_model_offers(am: Any, location: str) -> list[ModelOffer]:
    """One offer per (model, version, sku) of an ``AccountModel`` (``accounts.list_models`` item)."""
    if am is None or not am.name:
        return []
    inference_deprecation = _parse_date(am.deprecation.inference) if am.deprecation is not None else None
    offers = []
    for sku in am.skus or []:
        capacity = sku.capacity
        offers.append(
            ModelOffer(
                location=location,
                model=am.name,
                version=am.version or "",
                sku=sku.name or "",
                usage_name=sku.usage_name or "",
                min_capacity=int(capacity.minimum) if capacity and capacity.minimum is not None else 1,
                max_capacity=int(
                    capacity.maximum if capacity and capacity.maximum is not None else am.max_capacity or 0
                ),
                default_capacity=int(capacity.default) if capacity and capacity.default is not None else 0,
                deprecation=_parse_date(sku.deprecation_date) or inference_deprecation,
                lifecycle=str(am.lifecycle_status or ""),
                is_default_version=bool(am.is_default_version),
            )
        )
    return offers


# --- role assignments ----------------------------------------------------------------------


def to_role_assignment(model: Any, scope: str) -> RoleAssignment:
    # The 2022-04-01 models flatten ``properties`` onto the assignment itself.
    return RoleAssignment(
        scope=model.scope or scope,
        principal_id=model.principal_id or "",
        role_definition_id=model.role_definition_id or "",
        name=model.name or "",
        principal_type=str(model.principal_type or "ServicePrincipal"),
    )
