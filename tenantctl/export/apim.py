"""The routing table as API Management policy fragments (``export routing --format apim``).

One policy ``<fragment>`` per tenant, to be included in the inbound section for that tenant's calls
(select it by APIM subscription or a tenant header):

* ``<azure-openai-token-limit counter-key="<tenant>" tokens-per-minute="<tpm>"
  estimate-prompt-tokens="false" remaining-tokens-header-name="..." />`` when the tenant has a
  budget.  ``counter-key`` and ``tokens-per-minute`` are required attributes, and so is
  ``estimate-prompt-tokens``
  (https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy).  Counters are
  kept per gateway and can be exceeded briefly under concurrency (research/peers.md §4).
* ``<set-variable name="deployment-<logical>" value="<Azure deployment name>" />`` per model, for
  the API's rewrite of ``/deployments/{deployment-id}/``.
* ``<authentication-managed-identity resource="https://cognitiveservices.azure.com" />`` (the cloud's
  audience) for provider accounts, or, for a tenant keeping its keys in Key Vault, an ``api-key`` header
  from the named value ``{{<tenant>-openai-key}}`` (tenant-provided accounts need the multi-tenant app's
  token: a comment says so).
* ``<set-backend-service base-url="<endpoint>openai" />``
  (https://learn.microsoft.com/azure/api-management/set-backend-service-policy: ``base-url`` or
  ``backend-id``); a tenant with no live endpoint gets a 503 ``return-response`` instead.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from tenantctl.export.routing import RoutingEntry, RoutingTable

__all__ = ["routing_to_apim"]


def _fragment(e: RoutingEntry) -> str:
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
    for logical, name in sorted(e.route.deployments.items()):
        # The API's operations rewrite /deployments/{deployment-id}/ with these variables.
        lines.append(f"  <set-variable name={quoteattr('deployment-' + logical)} value={quoteattr(name)} />")
    if e.auth.get("mode") in ("entra-id", "key"):
        lines.extend(_provider_auth(e))
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


def _provider_auth(e: RoutingEntry) -> list[str]:
    """Managed identity with the route's audience, or the api-key header from a Key Vault named value
    (https://learn.microsoft.com/azure/api-management/api-management-howto-properties: a named value
    referencing a Key Vault secret is read by APIM's identity; the key never appears in the policy)."""
    if e.auth.get("mode") == "key":
        named, secret, vault = (e.auth.get(k, "") for k in ("named_value", "secret", "vault_id"))
        return [
            f"  <!-- named value {named}: Key Vault secret {secret} in {vault} -->",
            '  <set-header name="api-key" exists-action="override">',
            f"    <value>{{{{{named}}}}}</value>",
            "  </set-header>",
        ]
    audience = e.auth.get("audience", "https://cognitiveservices.azure.com")
    return [f"  <authentication-managed-identity resource={quoteattr(audience)} />"]


def routing_to_apim(table: RoutingTable) -> dict[str, str]:
    """One API Management policy fragment per tenant (see the module docstring for the syntax used)."""
    return {e.tenant: _fragment(e) for e in table.entries}
