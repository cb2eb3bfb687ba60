"""What other systems need from the manifest: projections of the desired and observed state (pure).

:mod:`.routing` is the gateway's routing table (JSON), :mod:`.apim` the same table as API
Management policy fragments. Like :mod:`tenantctl.inspection`, nothing here places, plans or
calls Azure: the desired state comes from planning and the rules of a migration from
:mod:`tenantctl.planning.migration`.
"""

from __future__ import annotations

from tenantctl.export.apim import routing_to_apim
from tenantctl.export.routing import RoutingEntry, RoutingTable, build_routing, routing_for, routing_to_json

__all__ = ["RoutingEntry", "RoutingTable", "build_routing", "routing_for", "routing_to_apim", "routing_to_json"]
