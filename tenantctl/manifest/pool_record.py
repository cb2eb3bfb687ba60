"""Which pool subscription hosted which dedicated tenants and stamps when last observed: ``.tenantctl/pool.json``.

Observation lists only the subscriptions the manifest names, so a subscription removed from
``[[provider.pool]]`` disappears from view together with the accounts it still hosts: the next plan
would see those tenants as missing and create them again elsewhere (a second account, a new
endpoint, the old one orphaned and still billed).  Every plan therefore remembers, beside the
manifest (like the apply lock), the tenants it found in each subscription it listed, and loading the
manifest refuses a pool that dropped a subscription still recorded with tenants: ``validate``,
``plan`` and ``apply`` all stop there, naming the subscription and its tenants.  A stamp counts the
same (recorded as ``stamp:<id>``): dropping its subscription would recreate the stamp elsewhere and
give every tenant on it a new endpoint.

Entries of subscriptions a plan listed are replaced by what it found (an emptied subscription is
forgotten), entries of subscriptions it did not list are kept: that is the memory.  The file is a
cache of Azure, keyed by ``manifest_name``; deleting it only loses the check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tenantctl.manifest.model import Manifest
from tenantctl.manifest.report import Reporter

__all__ = [
    "check_removed_subscriptions",
    "pool_record_path",
    "read_pool_record",
    "remember_pool_homes",
    "stamp_entry",
]

Record = dict[str, dict[str, list[str]]]  # manifest name -> lower-cased subscription -> sorted tenants
STAMP_ENTRY_PREFIX = "stamp:"  # tenant ids never contain a colon, so a stamp cannot pass for a tenant


def stamp_entry(stamp_id: str) -> str:
    """How a stamp is recorded among the tenants of a subscription."""
    return f"{STAMP_ENTRY_PREFIX}{stamp_id}"


def pool_record_path(manifest_path: Path) -> Path:
    return manifest_path.resolve().parent / ".tenantctl" / "pool.json"


def read_pool_record(manifest_path: Path) -> Record:
    """The record beside ``manifest_path`` ({} when there is none or it is not a record)."""
    try:
        data = json.loads(pool_record_path(manifest_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): {str(sub): [str(t) for t in tenants] for sub, tenants in subs.items() if isinstance(tenants, list)}
        for name, subs in data.items()
        if isinstance(subs, dict)
    }


def remember_pool_homes(
    manifest_path: Path, manifest: Manifest, homes: Iterable[tuple[str, str]], listed: Iterable[str]
) -> None:
    """Record ``homes`` ((tenant, subscription) pairs) for the subscriptions ``listed``; best effort.

    A read-only checkout must not fail a plan, so a file that cannot be written is left as it was.
    """
    record = read_pool_record(manifest_path)
    mine = record.setdefault(manifest.provider.manifest_name, {})
    for sub in {s.lower() for s in listed}:
        mine.pop(sub, None)
    for tenant, sub in homes:
        mine.setdefault(sub.lower(), []).append(tenant)
    for sub in list(mine):
        mine[sub] = sorted(set(mine[sub]))
        if not mine[sub]:
            del mine[sub]
    from tenantctl.manifest.edit import write_atomically  # edit loads manifests: import it late

    path = pool_record_path(manifest_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    except OSError:
        return


def check_removed_subscriptions(manifest: Manifest, record: Record, report: Reporter) -> None:
    """Refuse a manifest whose pool dropped a subscription that still hosts tenants."""
    named = {m.subscription_id.lower() for m in manifest.subscription_pool()}
    for sub, tenants in sorted(record.get(manifest.provider.manifest_name, {}).items()):
        if sub in named or not tenants:
            continue
        stamps = [t.removeprefix(STAMP_ENTRY_PREFIX) for t in tenants if t.startswith(STAMP_ENTRY_PREFIX)]
        dedicated = [t for t in tenants if not t.startswith(STAMP_ENTRY_PREFIX)]
        hosted = [
            f"{len(dedicated)} dedicated tenant(s): " + _shown(dedicated) if dedicated else "",
            f"{len(stamps)} stamp(s) with every tenant on them: " + _shown(stamps) if stamps else "",
        ]
        report.error(
            "pool-subscription-in-use",
            f"subscription {sub} was removed from the pool but still hosts " + "; ".join(h for h in hosted if h),
            ("provider", "pool"),
            detail="Put it back in [[provider.pool]] until what it hosts has moved: pin each tenant "
            "(tenants.<id>.subscription_id) or stamp (stamps.<id>.subscription_id) to another subscription, apply, "
            "then apply --retire. Removing it now would recreate them elsewhere and orphan their accounts.",
        )


def _shown(names: list[str]) -> str:
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
