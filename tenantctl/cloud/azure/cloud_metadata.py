"""Read a custom cloud's ARM metadata (``/metadata/endpoints``), the one unauthenticated ARM call.

Plain ``requests`` honours ``REQUESTS_CA_BUNDLE``, which ``tenantctl emulator serve`` prints for its CA.
"""

from __future__ import annotations

from typing import Any

from tenantctl.errors import UsageError

__all__ = ["read_metadata"]


def read_metadata(url: str) -> Any:
    """The parsed JSON at ``url``; any failure is a :class:`UsageError` naming the URL and the reason."""
    import requests

    hint = (
        "Check AZURE_RESOURCE_MANAGER_ENDPOINT (it must be the cloud's ARM endpoint, e.g. the `endpoint` "
        "`tenantctl emulator serve` prints) and, for a private CA, export REQUESTS_CA_BUNDLE."
    )
    try:
        resp = requests.get(url, timeout=(10, 30), headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise UsageError(
            f"cannot read the cloud's ARM metadata at {url}: {type(exc).__name__}", code="bad-cloud-metadata", hint=hint
        ) from None
    if resp.status_code != 200:
        raise UsageError(
            f"cannot read the cloud's ARM metadata at {url}: HTTP {resp.status_code}",
            code="bad-cloud-metadata",
            hint=hint,
        )
    try:
        return resp.json()
    except ValueError:
        raise UsageError(
            f"the cloud's ARM metadata at {url} is not JSON", code="bad-cloud-metadata", hint=hint
        ) from None
