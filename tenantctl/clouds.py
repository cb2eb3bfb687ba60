"""Azure clouds: where ARM, Entra and Azure OpenAI live in each one (pure data, no SDK, no I/O).

Three clouds are built in; any other (Azure Stack, a sovereign cloud tenantctl does not know, the local
emulator) is read from ARM's metadata endpoint or from the ``AZURE_RESOURCE_MANAGER_ENDPOINT`` /
``AZURE_AUTHORITY_HOST`` environment the Azure SDKs and ``tenantctl emulator serve`` use.

Sources:
* ARM endpoints, token audiences and Entra hosts: ARM's ``/metadata/endpoints?api-version=2022-09-01``
  of each cloud (``resourceManager``, ``authentication.loginEndpoint``, ``authentication.audiences``;
  https://learn.microsoft.com/cli/azure/manage-clouds-azure-cli, hashicorp/go-azure-sdk#1264 for the
  Government answer) and azure-identity's ``AzureAuthorityHosts``.
* Azure OpenAI endpoint suffixes and private DNS zones (``privatelink.openai.azure.com`` / ``.us`` / ``.cn``,
  ``privatelink.cognitiveservices.azure.*``): https://learn.microsoft.com/azure/private-link/private-endpoint-dns
  (Commercial, Government and China tables).
* Cognitive Services token scopes (``https://cognitiveservices.azure.{com,us,cn}/.default``):
  https://learn.microsoft.com/azure/ai-services/openai/azure-government.
* Regions: :mod:`tenantctl.manifest.regions` (each region names its cloud).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from tenantctl.errors import UsageError
from tenantctl.manifest.regions import REGIONS

__all__ = [
    "DEFAULT_CLOUD",
    "KNOWN_CLOUDS",
    "METADATA_API_VERSION",
    "CloudDefinition",
    "cloud_at_endpoint",
    "cloud_from_environment",
    "cloud_from_metadata",
    "is_endpoint_url",
    "known_cloud",
    "metadata_url",
    "require_secure_endpoint",
    "resolve_cloud",
    "select_cloud",
]

DEFAULT_CLOUD = "AzureCloud"
METADATA_API_VERSION = "2022-09-01"  # answers a list of clouds; older versions one object
_DEFAULT_SUFFIX = "/.default"


@dataclass(frozen=True)
class CloudDefinition:
    """Everything tenantctl needs to reach one Azure cloud."""

    name: str
    resource_manager: str  # ARM endpoint, no trailing slash
    arm_audience: str  # the ``aud`` ARM accepts; Entra issues it for ``arm_audience + "/.default"``
    authority_host: str  # Entra sign-in host, https://..., no trailing slash
    openai_suffix: str  # {custom subdomain}.{openai_suffix}
    cognitive_services_scope: str  # token scope of the Azure OpenAI data plane
    private_dns_zones: tuple[str, ...]  # privatelink zones of an Azure OpenAI private endpoint
    regions: frozenset[str]  # regions of this cloud; empty = not known (a custom cloud accepts any)

    @property
    def arm_scope(self) -> str:
        """The scope to request an ARM token with: Entra strips only ``/.default`` from it, so an audience
        ending in ``/`` (``https://management.core.windows.net/``) needs the double slash."""
        return self.arm_audience + _DEFAULT_SUFFIX

    def openai_endpoint(self, subdomain: str) -> str:
        return f"https://{subdomain}.{self.openai_suffix}/"

    @property
    def account_suffixes(self) -> tuple[str, ...]:
        """Host suffixes of this cloud's account endpoints (``openai.azure.us``, ``cognitiveservices.azure.us``)."""
        return (self.openai_suffix, urlsplit(self.cognitive_services_scope).hostname or self.openai_suffix)

    def has_region(self, region: str) -> bool:
        return not self.regions or region in self.regions


def _regions_of(cloud: str) -> frozenset[str]:
    return frozenset(name for name, region in REGIONS.items() if region.cloud == cloud)


KNOWN_CLOUDS: dict[str, CloudDefinition] = {
    c.name: c
    for c in (
        CloudDefinition(
            name="AzureCloud",
            resource_manager="https://management.azure.com",
            arm_audience="https://management.core.windows.net/",
            authority_host="https://login.microsoftonline.com",
            openai_suffix="openai.azure.com",
            cognitive_services_scope="https://cognitiveservices.azure.com/.default",
            private_dns_zones=("privatelink.openai.azure.com", "privatelink.cognitiveservices.azure.com"),
            regions=_regions_of("AzureCloud"),
        ),
        CloudDefinition(
            name="AzureUSGovernment",
            resource_manager="https://management.usgovcloudapi.net",
            arm_audience="https://management.core.usgovcloudapi.net/",
            authority_host="https://login.microsoftonline.us",
            openai_suffix="openai.azure.us",
            cognitive_services_scope="https://cognitiveservices.azure.us/.default",
            private_dns_zones=("privatelink.openai.azure.us", "privatelink.cognitiveservices.azure.us"),
            regions=_regions_of("AzureUSGovernment"),
        ),
        CloudDefinition(
            name="AzureChinaCloud",
            resource_manager="https://management.chinacloudapi.cn",
            arm_audience="https://management.core.chinacloudapi.cn/",
            authority_host="https://login.chinacloudapi.cn",
            openai_suffix="openai.azure.cn",
            cognitive_services_scope="https://cognitiveservices.azure.cn/.default",
            private_dns_zones=("privatelink.openai.azure.cn", "privatelink.cognitiveservices.azure.cn"),
            regions=_regions_of("AzureChinaCloud"),
        ),
    )
}


def known_cloud(name: str) -> CloudDefinition:
    """A built-in cloud by name (case-insensitive); an unknown name lists the known ones."""
    for known in KNOWN_CLOUDS.values():
        if known.name.lower() == name.strip().lower():
            return known
    raise UsageError(
        f"unknown Azure cloud {name!r}; known clouds: {', '.join(KNOWN_CLOUDS)}",
        code="unknown-cloud",
        hint="Use one of the known names, or export AZURE_RESOURCE_MANAGER_ENDPOINT for a custom cloud.",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_endpoint(url: str, what: str) -> str:
    """``url`` without a trailing slash; it must be https:// (plain http only to a loopback address)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if not host or parts.scheme not in ("https", "http"):
        raise UsageError(f"{what} {url!r} is not an https:// URL", code="bad-cloud-endpoint")
    if parts.scheme == "http" and not _is_loopback(host):
        raise UsageError(
            f"{what} {url!r} is not https: tokens would travel in clear text",
            code="bad-cloud-endpoint",
            hint="Use https://; plain http is accepted only for a loopback address (127.0.0.1, ::1, localhost).",
        )
    return url.strip().rstrip("/")


def metadata_url(resource_manager: str) -> str:
    return f"{resource_manager.rstrip('/')}/metadata/endpoints?api-version={METADATA_API_VERSION}"


def _pick(doc: Any, resource_manager: str) -> Mapping[str, Any]:
    """The cloud entry of a metadata answer: a list (2022-09-01) or one object (older versions)."""
    entries = doc if isinstance(doc, list) else [doc]
    mappings = [e for e in entries if isinstance(e, Mapping)]
    if not mappings:
        raise UsageError(
            f"the ARM metadata at {metadata_url(resource_manager)} is not a cloud description",
            code="bad-cloud-metadata",
        )
    wanted = resource_manager.rstrip("/").lower()
    for entry in mappings:
        if str(entry.get("resourceManager", "")).rstrip("/").lower() == wanted:
            return entry
    return mappings[0]


def cloud_from_metadata(doc: Any, resource_manager: str, *, authority_host: str | None = None) -> CloudDefinition:
    """A custom cloud from ARM's ``/metadata/endpoints`` answer of ``resource_manager``.

    Endpoint suffixes ARM's metadata does not carry (Azure OpenAI, private DNS, regions) come from the
    known cloud the metadata names; a cloud of another name keeps AzureCloud's suffixes and accepts any region.
    """
    entry = _pick(doc, resource_manager)
    auth = entry.get("authentication") if isinstance(entry.get("authentication"), Mapping) else {}
    audiences = [str(a) for a in (auth or {}).get("audiences", []) if a]
    login = authority_host or str((auth or {}).get("loginEndpoint", "") or "")
    if not login:
        raise UsageError(
            f"the ARM metadata at {metadata_url(resource_manager)} names no loginEndpoint",
            code="bad-cloud-metadata",
            hint="Export AZURE_AUTHORITY_HOST with the cloud's Entra host.",
        )
    name = str(entry.get("name") or "custom")
    base = next((c for c in KNOWN_CLOUDS.values() if c.name.lower() == name.lower()), None)
    return replace(
        base or KNOWN_CLOUDS[DEFAULT_CLOUD],
        name=name,
        resource_manager=require_secure_endpoint(resource_manager, "the ARM endpoint"),
        arm_audience=audiences[0] if audiences else resource_manager.rstrip("/") + "/",
        authority_host=require_secure_endpoint(login, "the Entra authority host"),
        regions=base.regions if base is not None else frozenset(),
    )


MetadataReader = Callable[[str], Any]  # URL -> parsed JSON; raises UsageError when it cannot be read


def cloud_from_environment(env: Mapping[str, str], read_metadata: MetadataReader) -> CloudDefinition | None:
    """The cloud ``AZURE_RESOURCE_MANAGER_ENDPOINT`` points at, or None when it is not set.

    The endpoint of a known cloud is that cloud (no request); any other one is described by its own
    metadata endpoint. ``AZURE_AUTHORITY_HOST`` overrides the sign-in host either way.
    """
    endpoint = env.get("AZURE_RESOURCE_MANAGER_ENDPOINT", "").strip()
    authority = env.get("AZURE_AUTHORITY_HOST", "").strip() or None
    if authority is not None and not authority.startswith(("https://", "http://")):
        authority = f"https://{authority}"  # azure-identity accepts a bare host name here
    if not endpoint:
        return None
    endpoint = require_secure_endpoint(endpoint, "AZURE_RESOURCE_MANAGER_ENDPOINT")
    for known in KNOWN_CLOUDS.values():
        if known.resource_manager.lower() == endpoint.lower():
            if authority is None:
                return known
            return replace(known, authority_host=require_secure_endpoint(authority, "AZURE_AUTHORITY_HOST"))
    return cloud_from_metadata(read_metadata(metadata_url(endpoint)), endpoint, authority_host=authority)


def resolve_cloud(name: str | None, env: Mapping[str, str], read_metadata: MetadataReader) -> CloudDefinition:
    """The cloud a command talks to: the environment's custom ARM endpoint, else the named (or default) cloud."""
    from_env = cloud_from_environment(env, read_metadata)
    if from_env is not None:
        return from_env
    return known_cloud(name or DEFAULT_CLOUD)


def is_endpoint_url(value: str) -> bool:
    """``--cloud`` names a custom cloud by its ARM endpoint URL (else a known cloud by name)."""
    return "://" in value


def cloud_at_endpoint(endpoint: str, read_metadata: MetadataReader, *, what: str = "--cloud") -> CloudDefinition:
    """The cloud whose ARM endpoint is ``endpoint``: a known cloud's without a request, else its metadata."""
    endpoint = require_secure_endpoint(endpoint, what)
    for known in KNOWN_CLOUDS.values():
        if known.resource_manager.lower() == endpoint.lower():
            return known
    return cloud_from_metadata(read_metadata(metadata_url(endpoint)), endpoint)


def select_cloud(
    *,
    requested: str | None,
    manifest_cloud: str | None,
    env: Mapping[str, str],
    read_metadata: MetadataReader,
    az_cli_cloud: Callable[[], CloudDefinition | None],
) -> CloudDefinition:
    """The cloud one command talks to, first match wins:

    1. ``--cloud`` (a known name, or a custom ARM endpoint URL whose metadata describes the cloud);
    2. the manifest's ``[provider] cloud`` when the manifest sets it (an environment endpoint of the
       same cloud, e.g. ``tenantctl emulator serve`` emulating it, keeps its hosts);
    3. the environment (``AZURE_RESOURCE_MANAGER_ENDPOINT`` / ``AZURE_AUTHORITY_HOST``);
    4. the active az CLI cloud (``az cloud set``);
    5. AzureCloud.

    ``--cloud`` naming another cloud than the manifest's is a usage error: the manifest's regions,
    endpoints and tenant-provided directories were written for its own cloud.
    """
    if requested is not None and requested.strip():
        chosen = (
            cloud_at_endpoint(requested.strip(), read_metadata)
            if is_endpoint_url(requested)
            else known_cloud(requested)
        )
        if manifest_cloud is not None and chosen.name.lower() != manifest_cloud.strip().lower():
            raise UsageError(
                f"--cloud {requested} ({chosen.name}) conflicts with the manifest's [provider] cloud = "
                f"{manifest_cloud!r}",
                code="cloud-conflict",
                hint="Drop --cloud, or change [provider] cloud in the manifest: one manifest describes one cloud.",
            )
        return chosen
    from_env = cloud_from_environment(env, read_metadata)
    if manifest_cloud is not None:
        declared = known_cloud(manifest_cloud)
        if from_env is not None and from_env.name.lower() == declared.name.lower():
            return from_env
        return declared
    if from_env is not None:
        return from_env
    return az_cli_cloud() or KNOWN_CLOUDS[DEFAULT_CLOUD]
