"""Plain settings records of the emulator (cheap to import: dataclasses only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatorSettings:
    """Runtime behaviour of the emulated cloud; mutable while the emulator runs."""

    lro_seconds: float = 1.0  # how long account / deployment writes stay in progress
    retry_after: int = 1  # Retry-After seconds on LRO responses and polls; 0 = omit the header
    latency_ms: float = 0.0  # added to every ARM request
    throttle: bool = False  # ARM token buckets per subscription -> 429 + Retry-After
    soft_delete_hours: float = 48.0
    page_size: int = 100  # items per page before a nextLink is emitted (extension of the contract)
    cloud: str = "AzureCloud"  # which Azure cloud is emulated: regions, models, metadata, audiences
    # Azure Resource Graph (resourcegraph.py): off = the cloud has none; rows per answer; the per-caller
    # quota window (documented example: 15 queries per 5 s); how far its index lags ARM writes (seconds).
    resource_graph: bool = True
    resource_graph_page_size: int = 1000
    resource_graph_quota: int = 15
    resource_graph_window: float = 5.0
    resource_graph_lag: float = 0.0


@dataclass
class FaultSettings:
    """Injected faults, applied to ARM requests only (never to Entra or admin routes)."""

    rate_429: float = 0.0  # probability; answers 429 TooManyRequests with Retry-After
    rate_5xx: float = 0.0  # 500/503
    drop_rate: float = 0.0  # close the connection without an answer
    lro_fail_rate: float = 0.0  # an LRO ends in status Failed
    methods: tuple[str, ...] = ("PUT", "PATCH", "DELETE", "POST")  # which verbs the faults hit
    retry_after: int = 1
    seed: int | None = None


@dataclass(frozen=True)
class ServicePrincipal:
    """An app's service principal in one directory, with the secret needed to sign in."""

    directory: str  # Entra tenant id
    client_id: str
    client_secret: str
    object_id: str
