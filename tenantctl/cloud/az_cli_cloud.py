"""The az CLI's active cloud (``az cloud set --name ...``), read from its configuration files.

The az CLI keeps the active cloud in ``$AZURE_CONFIG_DIR/config`` (default ``~/.azure/config``),
section ``[cloud]``, key ``name``; a cloud registered with ``az cloud register`` has its endpoints in
``clouds.config`` of the same directory, one section per cloud, ``endpoint_resource_manager`` among them
(https://learn.microsoft.com/cli/azure/manage-clouds-azure-cli). A provider who signed in to Azure
Government with ``az`` therefore gets that cloud without also telling tenantctl.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from pathlib import Path

from tenantctl.clouds import KNOWN_CLOUDS, CloudDefinition, MetadataReader, cloud_at_endpoint, known_cloud
from tenantctl.errors import UsageError

__all__ = ["az_cli_cloud", "az_config_dir"]


def az_config_dir(env: Mapping[str, str], home: Path | None = None) -> Path:
    configured = env.get("AZURE_CONFIG_DIR", "").strip()
    return Path(configured) if configured else (home or Path.home()) / ".azure"


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read the az CLI configuration {path}: {type(exc).__name__}",
            code="bad-az-config",
            hint="Fix or remove the file, or choose the cloud with --cloud.",
        ) from None
    return parser


def az_cli_cloud(
    env: Mapping[str, str], read_metadata: MetadataReader, *, home: Path | None = None
) -> CloudDefinition | None:
    """The az CLI's active cloud, or None when az has none configured (no file, no ``[cloud]``)."""
    directory = az_config_dir(env, home)
    name = _read(directory / "config").get("cloud", "name", fallback="").strip()
    if not name:
        return None
    if any(name.lower() == known.lower() for known in KNOWN_CLOUDS):
        return known_cloud(name)
    registered = directory / "clouds.config"
    endpoint = _read(registered).get(name, "endpoint_resource_manager", fallback="").strip()
    if not endpoint:
        raise UsageError(
            f"the az CLI's active cloud {name!r} ({directory / 'config'}) is neither a known cloud "
            f"({', '.join(KNOWN_CLOUDS)}) nor registered with an ARM endpoint in {registered}",
            code="unknown-cloud",
            hint="Run `az cloud set --name AzureCloud` (or the cloud you use), or choose it with --cloud.",
        )
    return cloud_at_endpoint(endpoint, read_metadata, what=f"the ARM endpoint of az CLI cloud {name!r}")
