"""The shared state of one running emulator: store, settings, faults, counters, signing key."""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tenantctl.emulator.settings import EmulatorSettings, FaultSettings
from tenantctl.emulator.store import Store


class World:
    """Everything a handler may touch; one instance per Emulator."""

    def __init__(self, store: Store, settings: EmulatorSettings) -> None:
        self.store = store
        self.settings = settings
        self.faults = FaultSettings()
        self.rng = random.Random()  # noqa: S311 - fault dice, not cryptography
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        # Earliest end time of a pending LRO; settle() does nothing before it (cheap fast path).
        self.next_due = -math.inf
        self.last_scan = -math.inf
        # Verified access tokens -> claims, so the RS256 check is paid once per token.
        self.token_cache: dict[str, dict[str, Any]] = {}
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}
        # (version, parsed TrafficSpec) of the stored usage traffic; see metrics.load_spec.
        self.traffic_cache: tuple[str, Any] | None = None
        self.signing_key_pem: bytes = b""
        self.kid = ""
        self.public_jwk: dict[str, Any] = {}
        self.verify_key: Any = None
        self.signer: Any = None
        # Key Vault data planes: one listening port per vault (set by the Emulator; see keyvault.py).
        self.listen: Callable[[int], int] | None = None
        self.vault_ports: dict[int, str] = {}

    def set_faults(self, faults: FaultSettings | None) -> None:
        self.faults = replace(faults) if faults is not None else FaultSettings()
        self.rng = random.Random(self.faults.seed)  # noqa: S311 - fault dice, seedable on purpose

    def count(self, op: str, arm: bool) -> None:
        with self._counts_lock:
            self._counts[op] += 1
            if arm:
                self._counts["total"] += 1

    def counts(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._counts.clear()
