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
* ``<authentication-managed-identity resource="https://cognitiveservices.azure.<com|us|cn>" />`` (the
  cloud's Cognitive Services resource) for provider accounts, or, for a tenant keeping its keys in Key
  Vault, an ``api-key`` header from the named value ``{{<tenant>-openai-key}}``; tenant-provided accounts
  get a token of the provider's multi-tenant app in the tenant's own directory (:func:`_multitenant_app_token`).
* ``<set-backend-service base-url="<endpoint>openai" />``
  (https://learn.microsoft.com/azure/api-management/set-backend-service-policy: ``base-url`` or
  ``backend-id``); a tenant with no live endpoint gets a 503 ``return-response`` instead.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tenantctl.export.routing import RoutingEntry, RoutingTable

__all__ = ["APP_SECRET_NAMED_VALUE", "emit_token_metric_policy", "routing_to_apim"]

TENANT_DIMENSION = "Tenant"  # the dimension `tenantctl usage` reads ([gateway] tenant_dimension)

# The APIM named value holding the multi-tenant app's client secret. Create it as a *Key Vault* named
# value (a secret identifier, read by APIM's managed identity, rotated from the vault within 4 hours):
# https://learn.microsoft.com/azure/api-management/api-management-howto-properties. The policy only
# names it ({{...}}); the secret never appears in tenantctl's output.
APP_SECRET_NAMED_VALUE = "tenantctl-app-secret"  # noqa: S105 - the name of a named value, not a secret
_DEFAULT_SUFFIX = "/.default"


def _multitenant_app_token(e: RoutingEntry) -> list[str]:
    """Policy lines that put a token of the provider's multi-tenant app, issued by the tenant's own
    directory, in ``Authorization`` (a tenant-provided account trusts only its directory's tokens).

    APIM has no built-in policy for another directory's client-credentials grant (authentication-managed-
    identity only gets tokens for APIM's own identity), so the token request is a ``send-request`` to
    ``{authority}/oauth2/v2.0/token`` (https://learn.microsoft.com/azure/api-management/send-request-policy)
    with the client secret from a Key Vault named value; it is cached per directory until shortly before
    it expires (https://learn.microsoft.com/azure/api-management/cache-lookup-value-policy and
    cache-store-value-policy). A certificate credential would need a signed client assertion, which a
    policy expression cannot produce: the app needs a secret for this route.
    """
    authority = e.auth.get("authority", "")
    directory = e.auth.get("directory", "")
    cache_key = f"tenantctl-token-{directory}"
    body = (
        '@("grant_type=client_credentials&client_id=" + Uri.EscapeDataString('
        f'"{e.auth.get("client_id", "")}") + "&scope=" + Uri.EscapeDataString("{e.auth.get("scope", "")}") + '
        f'"&client_secret=" + Uri.EscapeDataString("{{{{{APP_SECRET_NAMED_VALUE}}}}}"))'
    )
    response = '((IResponse)context.Variables["tenantctl-token-response"]).Body.As<JObject>()'
    return [
        f"  <!-- token of the multi-tenant app {e.auth.get('client_id', '')} in directory {directory}; the "
        f"secret is the Key Vault named value {APP_SECRET_NAMED_VALUE} -->",
        f'  <cache-lookup-value key={quoteattr(cache_key)} variable-name="tenantctl-token" />',
        "  <choose>",
        "    <when condition=" + quoteattr('@(!context.Variables.ContainsKey("tenantctl-token"))') + ">",
        '      <send-request mode="new" response-variable-name="tenantctl-token-response" timeout="20" '
        'ignore-error="false">',
        f"        <set-url>{escape(authority)}/oauth2/v2.0/token</set-url>",
        "        <set-method>POST</set-method>",
        '        <set-header name="Content-Type" exists-action="override">'
        "<value>application/x-www-form-urlencoded</value></set-header>",
        f"        <set-body>{escape(body)}</set-body>",
        "      </send-request>",
        '      <set-variable name="tenantctl-token-body" value=' + quoteattr(f"@({response})") + " />",
        '      <set-variable name="tenantctl-token" value='
        + quoteattr('@((string)((JObject)context.Variables["tenantctl-token-body"])["access_token"])')
        + " />",
        f"      <cache-store-value key={quoteattr(cache_key)} "
        + "value="
        + quoteattr('@((string)context.Variables["tenantctl-token"])')
        + " duration="
        + quoteattr('@((int)((JObject)context.Variables["tenantctl-token-body"])["expires_in"] - 300)')
        + " />",
        "    </when>",
        "  </choose>",
        '  <set-header name="Authorization" exists-action="override">'
        '<value>@("Bearer " + (string)context.Variables["tenantctl-token"])</value></set-header>',
    ]


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
    if e.auth.get("mode") in ("entra-id", "key"):
        lines.extend(_provider_auth(e))
    else:
        lines.extend(_multitenant_app_token(e))
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
    audience = e.auth.get("audience") or e.auth.get("scope", "").removesuffix(_DEFAULT_SUFFIX)
    return [f"  <authentication-managed-identity resource={quoteattr(audience)} />"]


def routing_to_apim(table: RoutingTable, *, tenant_dimension: str = TENANT_DIMENSION) -> dict[str, str]:
    """One API Management policy fragment per tenant (see the module docstring for the syntax used)."""
    return {e.tenant: _fragment(e, tenant_dimension) for e in table.entries}
