"""Recently verified tenant-provided accounts: ``.tenantctl/verified.json`` beside the manifest.

Verifying a tenant-provided account signs in to the tenant's directory and reads its account over
ARM: two round trips to someone else's cloud per tenant, on every plan. Those accounts change
rarely and tenantctl never writes to them, so a plan reuses a *passing* verification younger than
:data:`VERIFIED_FOR` instead of repeating it; ``--reverify`` forces a fresh one. A failing one is
never reused (the tenant's admin may have fixed it a minute ago), and a change to what the manifest
says about the tenant (directory, account, expected deployments, the provider app) starts over.

``byo verify``, ``status`` and ``inspect`` always verify afresh: they are what an operator runs to
see the account *now*. The file is a cache: deleting it only costs one verification per tenant.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantctl.manifest.model import Manifest

__all__ = ["VERIFIED_FOR", "verified_cache_path", "with_recent_verifications"]

VERIFIED_FOR = 3600.0  # seconds a passing verification is reused by plan and apply


def verified_cache_path(manifest_path: Path) -> Path:
    return manifest_path.resolve().parent / ".tenantctl" / "verified.json"


def _identity(manifest: Manifest, tenant_id: str) -> str:
    """What the verification depends on: a change to any of it verifies again."""
    tenant = manifest.tenants[tenant_id]
    app = manifest.provider.app
    facts = [tenant.directory, tenant.resource_id, sorted(tenant.expect_deployments), app.client_id if app else None]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: Mapping[str, Any]) -> None:
    from tenantctl.manifest.edit import write_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    except OSError:
        return  # a read-only checkout: plan still works, it just verifies every time


def with_recent_verifications(
    path: Path,
    manifest: Manifest,
    wanted: Iterable[str],
    verify: Callable[[list[str]], Mapping[str, Any]],
    *,
    reverify: bool = False,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Reports for ``wanted`` tenants: recent passing ones from ``path``, the rest from ``verify(stale)``.

    A reused report says so: ``"cached": true`` and ``"verified_at"`` (UTC, ISO 8601).
    """
    cache = _read(path)
    mine = cache.get(manifest.provider.manifest_name)
    mine = mine if isinstance(mine, dict) else {}
    at = now()
    reports: dict[str, Any] = {}
    stale: list[str] = []
    for tenant_id in wanted:
        entry = mine.get(tenant_id)
        usable = (
            not reverify
            and isinstance(entry, dict)
            and entry.get("identity") == _identity(manifest, tenant_id)
            and isinstance(entry.get("at"), (int, float))
            and 0 <= at - entry["at"] < VERIFIED_FOR
            and isinstance(entry.get("report"), dict)
        )
        if usable:
            assert isinstance(entry, dict)
            when = datetime.fromtimestamp(entry["at"], tz=timezone.utc).isoformat(timespec="seconds")
            reports[tenant_id] = {**entry["report"], "cached": True, "verified_at": when}
        else:
            stale.append(tenant_id)
    fresh = dict(verify(stale)) if stale else {}
    for tenant_id, report in fresh.items():
        if isinstance(report, dict) and report.get("available") and report.get("ok"):
            mine[tenant_id] = {"at": at, "identity": _identity(manifest, tenant_id), "report": report}
        else:
            mine.pop(tenant_id, None)  # a failure is never reused
    if fresh:
        cache[manifest.provider.manifest_name] = mine
        _write(path, cache)
    return {**reports, **fresh}
