"""Azure OpenAI regions (of every Azure cloud) with their country, residency geography and data zone.

Residency checks need to know where a region keeps data: ``country`` is an ISO-like code
("se", "us"), ``union`` the wider geography a residency may name ("eu" for EU member states) and
``data_zone`` the Azure *Data Zone* (``EU`` or ``US``) that ``DataZone*`` deployments may process
data in; regions outside both zones have ``None`` and cannot host DataZone deployments.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REGIONS", "RESIDENCIES", "Region", "region_satisfies"]


@dataclass(frozen=True)
class Region:
    name: str
    country: str
    union: str | None
    data_zone: str | None
    cloud: str = "AzureCloud"  # the Azure cloud (tenantctl.clouds) the region belongs to


def _r(name: str, country: str, union: str | None = None, zone: str | None = None, cloud: str = "AzureCloud") -> Region:
    return Region(name, country, union, zone, cloud)


_GOV = "AzureUSGovernment"
_CHINA = "AzureChinaCloud"


_EU = ("eu", "EU")
REGIONS: dict[str, Region] = {
    r.name: r
    for r in (
        # Europe: EU member states are in the EU data zone; UK, Norway and Switzerland are not.
        _r("swedencentral", "se", *_EU),
        _r("westeurope", "nl", *_EU),
        _r("northeurope", "ie", *_EU),
        _r("francecentral", "fr", *_EU),
        _r("germanywestcentral", "de", *_EU),
        _r("polandcentral", "pl", *_EU),
        _r("spaincentral", "es", *_EU),
        _r("italynorth", "it", *_EU),
        _r("norwayeast", "no"),
        _r("switzerlandnorth", "ch"),
        _r("switzerlandwest", "ch"),
        _r("uksouth", "uk"),
        _r("ukwest", "uk"),
        # United States: all in the US data zone.
        _r("eastus", "us", "us", "US"),
        _r("eastus2", "us", "us", "US"),
        _r("westus", "us", "us", "US"),
        _r("westus3", "us", "us", "US"),
        _r("northcentralus", "us", "us", "US"),
        _r("southcentralus", "us", "us", "US"),
        _r("centralus", "us", "us", "US"),
        # Elsewhere: no data zone.
        _r("canadaeast", "ca"),
        _r("canadacentral", "ca"),
        _r("japaneast", "jp"),
        _r("japanwest", "jp"),
        _r("australiaeast", "au"),
        _r("southindia", "in"),
        _r("centralindia", "in"),
        _r("koreacentral", "kr"),
        _r("brazilsouth", "br"),
        _r("southafricanorth", "za"),
        _r("uaenorth", "ae"),
        _r("southeastasia", "sg"),
        _r("eastasia", "hk"),
        _r("mexicocentral", "mx"),
        _r("qatarcentral", "qa"),
        # Azure Government (Learn "Azure Government regions"); Azure OpenAI runs in usgovarizona and
        # usgovvirginia, whose "USGov DataZone" stays inside the US (Learn "Azure OpenAI in Azure Government").
        _r("usgovarizona", "us", "us", "US", _GOV),
        _r("usgovvirginia", "us", "us", "US", _GOV),
        _r("usgovtexas", "us", "us", None, _GOV),
        _r("usdodcentral", "us", "us", None, _GOV),
        _r("usdodeast", "us", "us", None, _GOV),
        # Azure operated by 21Vianet (https://docs.azure.cn/en-us/reliability/regions-list): no data zone.
        _r("chinaeast", "cn", None, None, _CHINA),
        _r("chinaeast2", "cn", None, None, _CHINA),
        _r("chinaeast3", "cn", None, None, _CHINA),
        _r("chinanorth", "cn", None, None, _CHINA),
        _r("chinanorth2", "cn", None, None, _CHINA),
        _r("chinanorth3", "cn", None, None, _CHINA),
    )
}

# Every geography a tenant's ``residency`` may name: a country code or a union of countries.
RESIDENCIES: frozenset[str] = frozenset(
    {r.country for r in REGIONS.values()} | {r.union for r in REGIONS.values() if r.union}
)


def region_satisfies(region: Region, residency: str) -> bool:
    """Whether data kept in ``region`` stays within the ``residency`` geography."""
    return residency in (region.country, region.union)
