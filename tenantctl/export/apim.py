"""The routing table as API Management policy fragments (``export routing --format apim``).

One policy ``<fragment>`` per tenant, to be included in the inbound section for that tenant's calls
(select it by APIM subscription or a tenant header):

* ``<azure-openai-token-limit counter-key="<tenant>" tokens-per-minute="<tpm>"
  estimate-prompt-tokens="false" remaining-tokens-header-name="..." />`` when the tenant has a
  budget.  ``counter-key`` and ``tokens-per-minute`` are required attributes, and so is
  ``estimate-prompt-tokens``
  (https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy).  Counters are
  kept per gateway and can be exceeded briefly under concurrency (research/peers.md §4).
* ``<azure-openai-emit-token-metric>`` with ``<dimension name="Tenant" value="<tenant>" />``: the
  gateway's per-tenant Total/Prompt/Completion token metrics in Application Insights, which
  ``tenantctl usage`` reads back for shared tenants (``value`` may be a constant; at most 10
  dimensions per policy:
  https://learn.microsoft.com/azure/api-management/azure-openai-emit-token-metric-policy).
* ``<set-variable name="deployment-<logical>" value="<Azure deployment name>" />`` per model, for
  the API's rewrite of ``/deployments/{deployment-id}/``.
* ``<authentication-managed-identity resource="https://cognitiveservices.azure.com" />`` for
  provider accounts (tenant-provided accounts need the multi-tenant app's token: a comment says so).
* ``<set-backend-service base-url="<endpoint>openai" />``
  (https://learn.microsoft.com/azure/api-management/set-backend-service-policy: ``base-url`` or
  ``backend-id``); a tenant with no live endpoint gets a 503 ``return-response`` instead.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from tenantctl.export.routing import RoutingEntry, RoutingTable

__all__ = ["emit_token_metric_policy", "routing_to_apim"]

TENANT_DIMENSION = "Tenant"  # the dimension `tenantctl usage` reads ([gateway] tenant_dimension)


def emit_token_metric_policy(tenant: str, dimension: str = TENANT_DIMENSION) -> str:
    """The ``azure-openai-emit-token-metric`` policy that counts this tenant's tokens under ``dimension``.

    Without it, or without the tenant dimension, Application Insights has the gateway's tokens but
    not whose they are, and shared tenants cannot be charged (``usage`` says so).
    """
    return (
        "  <azure-openai-emit-token-metric>\n"
        f"    <dimension name={quoteattr(dimension)} value={quoteattr(tenant)} />\n"
        "  </azure-openai-emit-token-metric>"
    )


def _fragment(e: RoutingEntry, tenant_dimension: str = TENANT_DIMENSION) -> str:
    lines = [
        "<fragment>",
        f"  <!-- tenantctl: tenant {e.tenant} ({e.isolation}); live route: {e.live} via {e.route.via}"
        + ("" if e.route.ready is None else f"; ready={str(e.route.ready).lower()}")
        + " -->",
    ]
    if e.tpm:
        # counter-key is the tenant id: this fragment is included only for the tenant's own calls
        # (select it by APIM subscription or a tenant header), so one counter per tenant.
        lines.append(
            f'  <azure-openai-token-limit counter-key={quoteattr(e.tenant)} tokens-per-minute="{e.tpm}" '
            'estimate-prompt-tokens="false" remaining-tokens-header-name="x-tenantctl-remaining-tokens" />'
        )
    lines.append(emit_token_metric_policy(e.tenant, tenant_dimension))
    for logical, name in sorted(e.route.deployments.items()):
        # The API's operations rewrite /deployments/{deployment-id}/ with these variables.
        lines.append(f"  <set-variable name={quoteattr('deployment-' + logical)} value={quoteattr(name)} />")
    if e.auth.get("mode") == "entra-id":
        lines.append('  <authentication-managed-identity resource="https://cognitiveservices.azure.com" />')
    else:
        lines.append(
            f"  <!-- auth: Entra ID token of the multi-tenant app {e.auth.get('client_id', '')} "
            f"in directory {e.auth.get('directory', '')} (client credentials; not a managed identity) -->"
        )
    if e.route.endpoint:
        lines.append(f"  <set-backend-service base-url={quoteattr(e.route.endpoint + 'openai')} />")
    else:
        lines.append("  <!-- no live endpoint: requests are refused until the tenant's resources exist -->")
        lines.append('  <return-response><set-status code="503" reason="Tenant not provisioned" /></return-response>')
    lines.append("</fragment>")
    return "\n".join(lines) + "\n"


def routing_to_apim(table: RoutingTable, *, tenant_dimension: str = TENANT_DIMENSION) -> dict[str, str]:
    """One API Management policy fragment per tenant (see the module docstring for the syntax used)."""
    return {e.tenant: _fragment(e, tenant_dimension) for e in table.entries}
