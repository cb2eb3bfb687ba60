"""Conversions for the compliance baseline (issue 14): private endpoints, diagnostic settings, keys, secrets.

Separate from :mod:`.convert` because azure-mgmt-network and azure-mgmt-monitor take about a second each
to import: a run that touches no private endpoint or diagnostic setting never pays for them (the adapter
imports this module inside the methods that need it).
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.monitor.v2021_05_01_preview import models as mm
from azure.mgmt.network import models as nm

from tenantctl.resources import AccountKeys, AccountRef, DiagnosticSetting, PrivateEndpoint, SecretValue, StoredSecret

# The zone group tenantctl writes on its endpoints; one per endpoint is all Azure allows.
ZONE_GROUP = "default"
_CONNECTION = "account"


def private_endpoint_body(endpoint: PrivateEndpoint) -> Any:
    connection = nm.PrivateLinkServiceConnection(
        name=_CONNECTION,
        properties=nm.PrivateLinkServiceConnectionProperties(
            private_link_service_id=endpoint.target_id, group_ids=list(endpoint.group_ids)
        ),
    )
    return nm.PrivateEndpoint(
        location=endpoint.location,
        tags=dict(endpoint.tags) or None,
        properties=nm.PrivateEndpointProperties(
            subnet=nm.Subnet(id=endpoint.subnet_id), private_link_service_connections=[connection]
        ),
    )


def zone_group_body(endpoint: PrivateEndpoint) -> Any:
    configs = [
        nm.PrivateDnsZoneConfig(
            name=zone.rsplit("/", 1)[-1].replace(".", "-"),
            properties=nm.PrivateDnsZonePropertiesFormat(private_dns_zone_id=zone),
        )
        for zone in endpoint.dns_zone_ids
    ]
    return nm.PrivateDnsZoneGroup(properties=nm.PrivateDnsZoneGroupPropertiesFormat(private_dns_zone_configs=configs))


def to_private_endpoint(
    model: Any, subscription_id: str, resource_group: str, zone_groups: list[Any]
) -> PrivateEndpoint:
    connections = list(model.private_link_service_connections or []) + list(
        model.manual_private_link_service_connections or []
    )
    first = connections[0] if connections else None
    state = first.private_link_service_connection_state if first is not None else None
    zones = sorted(
        config.private_dns_zone_id
        for group in zone_groups
        for config in (group.private_dns_zone_configs or [])
        if config.private_dns_zone_id
    )
    return PrivateEndpoint(
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=model.name or "",
        location=model.location or "",
        subnet_id=model.subnet.id if model.subnet is not None else "",
        target_id=(first.private_link_service_id or "") if first is not None else "",
        group_ids=tuple(first.group_ids or ()) if first is not None else (),
        dns_zone_ids=tuple(zones),
        tags=dict(model.tags or {}),
        connection_status=state.status if state is not None else None,
        provisioning_state=str(model.provisioning_state or "Succeeded"),
    )


def diagnostic_setting_body(setting: DiagnosticSetting) -> Any:
    return mm.DiagnosticSettingsResource(
        workspace_id=setting.workspace_id,
        logs=[mm.LogSettings(category=category, enabled=True) for category in setting.log_categories],
        metrics=[mm.MetricSettings(category=category, enabled=True) for category in setting.metric_categories],
    )


def to_diagnostic_setting(model: Any, target_id: str) -> DiagnosticSetting:
    return DiagnosticSetting(
        target_id=target_id,
        name=model.name or "",
        workspace_id=model.workspace_id or "",
        log_categories=tuple(
            sorted(entry.category for entry in (model.logs or []) if entry.enabled and entry.category)
        ),
        metric_categories=tuple(
            sorted(entry.category for entry in (model.metrics or []) if entry.enabled and entry.category)
        ),
    )


def to_account_keys(model: Any, account: AccountRef) -> AccountKeys:
    return AccountKeys(account=account, key1=SecretValue(model.key1 or ""), key2=SecretValue(model.key2 or ""))


def to_stored_secret(secret: Any, vault_url: str, *, with_value: bool) -> StoredSecret:
    props = secret.properties
    return StoredSecret(
        vault_url=vault_url,
        name=secret.name or "",
        version=props.version or "",
        value=SecretValue(secret.value) if with_value and secret.value is not None else None,
        content_type=props.content_type,
        tags=dict(props.tags or {}),
        updated=props.updated_on,
    )
