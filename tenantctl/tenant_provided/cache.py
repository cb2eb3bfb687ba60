"""Recently passed tenant-provided verifications, kept in a local state file so a no-op plan costs nothing.

Verifying a tenant-provided account means signing in to the tenant's directory and reading its account:
a token request and two ARM reads per tenant, in another directory, on every plan. For a fleet with
hundreds of such tenants that dominated a no-op plan (issue 13: 31 % of its CPU at 1,000 tenants).

What is kept, and why it is safe:
* Only reports whose every check passed. A failing tenant is re-checked on every run, so the moment its
  admin fixes consent or the role, the next plan sees it.
* Each entry is keyed by a digest of what the verdict depends on: the cloud (its ARM endpoint), the
  tenant id, its directory, account resource id, the provider app's client id and the deployments the
  manifest expects. Changing any of them in the manifest misses the cache.
* Entries expire after a TTL (default one hour, ``TENANTCTL_VERIFY_TTL`` seconds, 0 = never cache).
  What the cache cannot see is a change on the tenant's side (consent revoked, role removed, a
  deployment deleted) within the TTL: ``--reverify`` checks every tenant afresh, and ``inspect``
  always does.
* The file holds verification reports only: ids, names and check summaries, never a token or secret.
  It is written atomically with mode 0600; an unreadable or foreign file is ignored (it is only a
  cache) and replaced on the next write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tenantctl.errors import UsageError
from tenantctl.tenant_provided.onboarding import ByoTarget

__all__ = [
    "CACHE_FILE",
    "DEFAULT_TTL",
    "TTL_VARIABLE",
    "VerificationCache",
    "default_state_dir",
    "ttl_from_environment",
]

CACHE_FILE = "tenant-provided-verifications.json"
DEFAULT_TTL = timedelta(hours=1)
TTL_VARIABLE = "TENANTCTL_VERIFY_TTL"
STATE_DIR_VARIABLE = "TENANTCTL_STATE_DIR"
_FORMAT = 1


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$TENANTCTL_STATE_DIR``, else ``$XDG_STATE_HOME/tenantctl``, else ``~/.local/state/tenantctl``."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_VARIABLE):
        return Path(env[STATE_DIR_VARIABLE])
    base = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / "tenantctl"


def ttl_from_environment(environ: Mapping[str, str] | None = None) -> timedelta:
    """The TTL ``TENANTCTL_VERIFY_TTL`` names (seconds, 0 = no caching), else one hour."""
    env = os.environ if environ is None else environ
    raw = env.get(TTL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TTL
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):  # rejects NaN and negatives too
        raise UsageError(
            f"{TTL_VARIABLE}={raw!r} is not a number of seconds",
            code="bad-verify-ttl",
            hint=f"Set {TTL_VARIABLE} to a whole number of seconds (0 turns the cache off), or unset it.",
        )
    return timedelta(seconds=seconds)


def _digest(scope: str, target: ByoTarget) -> str:
    facts = {
        "scope": scope.rstrip("/").lower(),
        "tenant": target.tenant,
        "directory": target.directory.lower(),
        "resource_id": target.resource_id.lower(),
        "client_id": target.client_id.lower(),
        "expected": sorted(target.expected),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class VerificationCache:
    """Passed verification reports of one cloud (``scope``), in ``path``, fresh for ``ttl``."""

    path: Path
    scope: str
    ttl: timedelta = DEFAULT_TTL
    clock: Callable[[], datetime] = _now
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def default(cls, scope: str, environ: Mapping[str, str] | None = None) -> VerificationCache:
        return cls(default_state_dir(environ) / CACHE_FILE, scope, ttl_from_environment(environ))

    @property
    def enabled(self) -> bool:
        return self.ttl > timedelta(0)

    def get(self, target: ByoTarget) -> dict[str, Any] | None:
        """The passed report of ``target`` verified within the TTL, marked ``"cached": true``; else None."""
        if not self.enabled:
            return None
        entry = self._read().get(_digest(self.scope, target))
        if not isinstance(entry, Mapping) or not isinstance(entry.get("report"), Mapping):
            return None
        try:
            verified_at = datetime.fromisoformat(str(entry["verified_at"]))
        except (KeyError, ValueError):
            return None
        if verified_at.tzinfo is None or not timedelta(0) <= self.clock() - verified_at <= self.ttl:
            return None  # expired, or stamped in the future (a clock that went back): verify again
        return {**entry["report"], "cached": True, "verified_at": verified_at.isoformat()}

    def put_passed(self, reports: Mapping[ByoTarget, Mapping[str, Any]]) -> None:
        """Remember the reports whose every check passed; forget the others (they are re-checked)."""
        if not self.enabled or not reports:
            return
        with self._lock:
            entries = self._read()
            now = self.clock()
            for target, report in reports.items():
                key = _digest(self.scope, target)
                if report.get("available") and report.get("ok"):
                    entries[key] = {"verified_at": now.isoformat(), "report": dict(report)}
                else:
                    entries.pop(key, None)
            self._write(self._unexpired(entries, now))

    def _unexpired(self, entries: dict[str, Any], now: datetime) -> dict[str, Any]:
        def fresh(entry: Any) -> bool:
            try:
                return now - datetime.fromisoformat(str(entry["verified_at"])) <= self.ttl
            except (KeyError, TypeError, ValueError):
                return False

        return {key: entry for key, entry in entries.items() if fresh(entry)}

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing, unreadable or not JSON: an empty cache (it is rebuilt on the next write)
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            return {}
        entries = document.get("entries")
        return dict(entries) if isinstance(entries, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        from tenantctl.manifest.edit import write_atomically

        text = json.dumps({"format": _FORMAT, "entries": entries}, sort_keys=True, indent=1) + "\n"
        # A cache that cannot be written (read-only home in a CI container) only costs speed: never fail the run.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                self.path.touch(mode=0o600)
            write_atomically(self.path, text)
