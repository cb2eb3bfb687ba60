"""Injected faults and ARM throttling.

* Throttling: ARM's token buckets per subscription (research/arm-api.md §3.2, "Request limits and
  throttling"): reads 250 burst / 25 s⁻¹, writes and deletes 200 / 10 s⁻¹ → 429
  ``SubscriptionRequestsThrottled`` with ``Retry-After``.
* Faults (FaultSettings): 429 ``TooManyRequests`` + Retry-After, 500/503, dropped connections, failed LROs
  (the latter in :mod:`lro`). Only the listed verbs are hit. 409s never carry Retry-After (the SDK would
  silently retry them, research/arm-api.md §3.2).
* Dropped connections are real: a custom uvicorn protocol hands the TCP transport to the app through
  the ASGI scope and the app aborts it, so the client sees the connection close with no HTTP answer.
  Half of the drops happen before the request is applied and half after (the answer is lost), because
  both happen in real networks and only the second one tests idempotency.
"""

from __future__ import annotations

import contextlib
import math
import socket
from typing import Any

# httptools (C) parses HTTP/1.1 at a fraction of h11's CPU; the embedded emulator shares the client's
# GIL, so its parsing cost is the client's too (issue 13: ~15 % of a 1,000-tenant plan --emulator).
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tenantctl.emulator.core import ArmError, now
from tenantctl.emulator.world import World

TRANSPORT_KEY = "tenantctl.transport"
_BUCKETS = {"read": (250.0, 25.0), "write": (200.0, 10.0), "delete": (200.0, 10.0)}


def throttle(world: World, method: str, sub: str) -> dict[str, str]:
    """Take a token from the subscription's bucket; 429 when empty. Returns remaining-budget headers."""
    kind = "read" if method in ("GET", "HEAD") else "delete" if method == "DELETE" else "write"
    burst, rate = _BUCKETS[kind]
    t = now()
    tokens, last = world.buckets.get((sub, kind), (burst, t))
    tokens = min(burst, tokens + (t - last) * rate)
    if tokens < 1.0:
        wait = max(1, math.ceil((1.0 - tokens) / rate))
        world.buckets[(sub, kind)] = (tokens, t)
        raise ArmError(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{kind}' requests for subscription "
            f"'{sub}' exceeded the limit of '{int(burst)}' with refill rate '{int(rate)}' per second. "
            f"Please try again after '{wait}' seconds.",
            {"Retry-After": str(wait)},
        )
    world.buckets[(sub, kind)] = (tokens - 1.0, t)
    return {f"x-ms-ratelimit-remaining-subscription-{kind}s": str(int(tokens - 1.0))}


def pick_fault(world: World, method: str) -> str | None:
    """None, or one of "429", "5xx", "drop-before", "drop-after" for this request."""
    f = world.faults
    if method not in f.methods or (f.rate_429 <= 0 and f.rate_5xx <= 0 and f.drop_rate <= 0):
        return None
    r = world.rng.random()
    if r < f.drop_rate:
        return "drop-before" if world.rng.random() < 0.5 else "drop-after"
    if r < f.drop_rate + f.rate_429:
        return "429"
    if r < f.drop_rate + f.rate_429 + f.rate_5xx:
        return "5xx"
    return None


def fault_error(world: World, kind: str) -> ArmError:
    ra = {"Retry-After": str(world.faults.retry_after)} if world.faults.retry_after > 0 else {}
    if kind == "429":
        return ArmError(
            429,
            "TooManyRequests",
            "The request is being throttled as the limit has been reached for "
            "operation type - Write. For more information, see - https://aka.ms/srpthrottlinglimits",
            ra,
        )
    if world.rng.random() < 0.5:
        return ArmError(500, "InternalServerError", "Encountered internal server error. Please try again later.")
    return ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.", ra)


def drop(scope: dict[str, Any]) -> bool:
    """Abort the TCP connection of this request (no HTTP answer). False when not possible."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        return False
    transport.abort()
    return True


def protocol_class() -> type[Any]:
    """uvicorn's HTTP protocol, extended to expose the transport to the app (for dropped connections)."""

    class DroppableProtocol(HttpToolsProtocol):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            inner = self.app
            protocol = self

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope.setdefault("extensions", {})[TRANSPORT_KEY] = protocol.transport
                await inner(scope, receive, send)

            self.app = app

        def connection_made(self, transport: Any) -> None:
            # Headers and body leave in two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)

    return DroppableProtocol
