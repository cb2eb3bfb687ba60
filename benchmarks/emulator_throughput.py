"""Emulator GET throughput: how many ARM reads per second the emulator answers to the real SDK.

Several threads call ``accounts.get`` on one account through ``azure-mgmt-cognitiveservices`` (HTTPS,
keep-alive, SDK retries off) for a fixed time. The figure bounds every other benchmark: a plan of N
reads cannot be faster than N / throughput seconds against this emulator.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from benchmarks.baselines import resource_client, sdk_client

__all__ = ["get_throughput"]


def get_throughput(emu: Any, *, seconds: float = 2.0, threads: int = 8) -> tuple[float, int]:
    """(requests per second, requests sent) of ``accounts.get`` from ``threads`` threads."""
    sub = emu.subscription_id
    setup = sdk_client(emu, sub)
    groups = resource_client(emu, sub)
    groups.resource_groups.create_or_update("rg-throughput", {"location": "swedencentral"})
    groups.close()
    setup.accounts.begin_create(
        "rg-throughput",
        "throughput",
        {
            "kind": "OpenAI",
            "sku": {"name": "S0"},
            "location": "swedencentral",
            "properties": {"customSubDomainName": "throughput-bench"},
        },
        polling_interval=0.01,
    ).result()
    setup.close()
    count = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        nonlocal count
        client = sdk_client(emu, sub)
        client.accounts.get("rg-throughput", "throughput")  # sign-in + TLS before the clock
        barrier.wait()
        n = 0
        while time.perf_counter() < stop:
            client.accounts.get("rg-throughput", "throughput")
            n += 1
        with lock:
            count += n
        client.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    stop = started + seconds
    for w in workers:
        w.join()
    return count / (time.perf_counter() - started), count
