"""Operator hints for the Azure error codes apply meets most often (research/arm-api.md §3).

A hint says what to do next, in one line. For the codes below ours wins over the adapter's own hint:
the adapter speaks about the ARM request, these speak in tenantctl's commands and flags. For other
codes the adapter's hint is kept.
"""

from __future__ import annotations

__all__ = ["hint_for"]

_RESTORE = "a soft-deleted account holds the name: re-run with --purge-deleted, or restore it"

_HINTS: dict[str, str] = {
    "InsufficientQuota": "request more quota or lower capacity; `tenantctl quota` shows the headroom",
    "RequestConflict": "another operation kept the account busy after all retries; re-run apply "
    "(is something outside tenantctl writing to the account?)",
    "FlagMustBeSetForRestore": _RESTORE,
    "CustomDomainInUse": "the custom subdomain is still held (by another resource, or a soft-deleted one): "
    "re-run with --purge-deleted or restore, or pick another subdomain",
    "AuthorizationFailed": "the identity lacks permission for this write; grant Contributor (and, for purge, "
    "subscription-scope deletedAccounts/delete) or run as another principal",
    "LinkedAuthorizationFailed": "the identity lacks permission on a linked resource; grant it and re-run",
    "TooManyRequests": "Azure throttled the write past the retry budget; re-run apply later or lower --parallelism",
    "SubscriptionRequestsThrottled": "the subscription's ARM write budget ran out; re-run later or lower --parallelism",
    "ResourceRequestsThrottled": "Cognitive Services throttled the account; re-run after the Retry-After",
    "SpecialFeatureOrQuotaIdRequired": "the subscription is not enabled for Azure OpenAI; request access",
    "ResourceGroupNotFound": "the resource group is missing; re-run apply (it creates it) or check the subscription",
    "DeploymentModelNotSupported": "the model or version is not offered in this region; `tenantctl quota` "
    "lists what the region sells",
    "InvalidResourceProperties": "Azure rejected the resource's properties; check the manifest values",
    "ServiceModelDeprecated": "the model version is deprecated; pick a current version in the manifest",
    "InternalServerError": "Azure failed internally after retries; re-run apply",
    "ServiceUnavailable": "Azure was unavailable after retries; re-run apply",
    "ConnectionError": "the connection to Azure kept dropping; check the network and re-run apply",
}


def hint_for(code: str | None, given: str = "") -> str:
    """The hint for an Azure error ``code``, else ``given`` (the adapter's own hint)."""
    return _HINTS.get(code or "", "") or given
