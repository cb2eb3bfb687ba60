"""``inspect``'s view of a dedicated tenant's compliance baseline: authentication, identity, network rules,
private endpoints and diagnostics, as Azure has them (or as the manifest declares them before apply)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantctl import naming
from tenantctl.manifest.model import Isolation, Manifest
from tenantctl.observation.state import ObservedState
from tenantctl.resources import Account, derived_default_action

__all__ = ["BaselineView", "EndpointView", "baseline_json", "baseline_view"]


@dataclass(frozen=True)
class EndpointView:
    name: str
    subnet_id: str
    location: str
    dns_zone_ids: tuple[str, ...]
    status: str | None  # the connection's approval state; None before apply


@dataclass(frozen=True)
class BaselineView:
    in_azure: bool
    local_auth: bool
    identity: str
    default_action: str | None
    virtual_network_rules: tuple[str, ...]
    bypass: str | None
    private_endpoints: tuple[EndpointView, ...]
    diagnostics_workspace: str | None
    diagnostics_categories: tuple[str, ...]


def baseline_view(
    manifest: Manifest, tenant_id: str, host: Account | None, state: ObservedState
) -> BaselineView | None:
    """The baseline of a dedicated tenant's account; None for every other isolation."""
    tenant = manifest.tenants[tenant_id]
    if tenant.isolation is not Isolation.DEDICATED:
        return None
    if host is not None and host.baseline is not None:
        found = host.baseline
        endpoints = tuple(
            EndpointView(e.name, e.subnet_id, e.location, e.dns_zone_ids, e.connection_status)
            for e in state.private_endpoints.get(host.ref.key, ())
        )
        settings = state.diagnostic_settings.get(host.ref.key, ())
        return BaselineView(
            in_azure=True,
            local_auth=not host.disable_local_auth,
            identity=found.identity,
            default_action=found.network_default_action,
            virtual_network_rules=found.virtual_network_rules,
            bypass=found.network_bypass,
            private_endpoints=endpoints,
            diagnostics_workspace=settings[0].workspace_id if settings else None,
            diagnostics_categories=(*settings[0].log_categories, *settings[0].metric_categories) if settings else (),
        )
    net = tenant.network
    account = naming.dedicated_account_name(manifest.provider.name_prefix, tenant_id)
    public, ips, subnets = (net.public_access, net.allowed_ips, net.virtual_network_rules) if net else (True, (), ())
    return BaselineView(
        in_azure=False,
        local_auth=tenant.local_auth,
        identity=tenant.identity,
        default_action=(net.default_action if net else None) or derived_default_action(public, ips, subnets),
        virtual_network_rules=tuple(subnets),
        bypass=net.bypass if net else None,
        private_endpoints=tuple(
            EndpointView(
                naming.private_endpoint_name(account, spec.subnet_id),
                spec.subnet_id,
                spec.location or manifest.tenant_location(tenant_id),
                (spec.dns_zone_id,) if spec.dns_zone_id else (),
                None,
            )
            for spec in (net.private_endpoints if net else ())
        ),
        diagnostics_workspace=tenant.diagnostics.workspace_id if tenant.diagnostics else None,
        diagnostics_categories=tuple(tenant.diagnostics.categories) if tenant.diagnostics else (),
    )


def baseline_json(view: BaselineView | None) -> dict[str, Any] | None:
    """``inspect -o json``'s ``baseline``: see :mod:`tenantctl.inspection.report`."""
    if view is None:
        return None
    return {
        "in_azure": view.in_azure,
        "local_auth": view.local_auth,
        "identity": view.identity,
        "network": {
            "default_action": view.default_action,
            "virtual_network_rules": list(view.virtual_network_rules),
            "bypass": view.bypass,
        },
        "private_endpoints": [
            {
                "name": e.name,
                "subnet_id": e.subnet_id,
                "location": e.location,
                "dns_zone_ids": list(e.dns_zone_ids),
                "status": e.status,
            }
            for e in view.private_endpoints
        ],
        "diagnostics": None
        if view.diagnostics_workspace is None
        else {"workspace_id": view.diagnostics_workspace, "categories": list(view.diagnostics_categories)},
    }
