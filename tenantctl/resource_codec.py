"""JSON forms of the resource records (:mod:`tenantctl.resources`), for observed states and saved plans.

Both the observed state (scenario files, ``plan --out``'s fingerprint) and the plan's JSON carry
records, so their codec lives beside the records rather than in either stage that uses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tenantctl.resources import (
    Account,
    AccountBaseline,
    AccountRef,
    Blocklist,
    DeletedAccount,
    Deployment,
    DiagnosticSetting,
    ModelOffer,
    PrivateEndpoint,
    QuotaUsage,
    RaiPolicy,
    ResourceGroup,
    SubdomainCheck,
    VaultKeys,
)

__all__ = ["record_from_json", "record_to_json"]

_RECORDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Account,
        Deployment,
        RaiPolicy,
        Blocklist,
        DeletedAccount,
        ResourceGroup,
        QuotaUsage,
        ModelOffer,
        SubdomainCheck,
        PrivateEndpoint,
        DiagnosticSetting,
        VaultKeys,
    )
}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() rebuilds its tuple on every call: a plan of 10,000 tenants asks 40,000 times.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def record_to_json(record: object) -> dict[str, Any]:
    """A resource record as a JSON object with its ``type``; account refs become ARM ids."""
    out: dict[str, Any] = {"type": type(record).__name__}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if name == "baseline":
            if value is None:
                continue  # an account without managed baseline reads as it always did
            value = record_to_json(value)
        elif isinstance(value, AccountRef):
            value = value.id
        elif isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(sorted(value.items()))
        out[name] = value
    return out


def record_from_json(data: Mapping[str, Any]) -> Any:
    """Inverse of :func:`record_to_json` (exact for every record type it produces)."""
    cls = _RECORDS[data["type"]]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "baseline" and isinstance(value, Mapping):
            fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
            fields.pop("type", None)
            value = AccountBaseline(**fields)
        elif f.name in ("ref", "account") and isinstance(value, str):
            value = AccountRef.parse(value)
        elif f.name in ("deletion_date", "scheduled_purge_date", "updated") and value is not None:
            value = datetime.fromisoformat(value)
        elif f.name == "deprecation" and value is not None:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        kwargs[f.name] = value
    return cls(**kwargs)
