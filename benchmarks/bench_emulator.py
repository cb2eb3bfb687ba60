"""Throughput of the emulator: simple ARM GETs over one keep-alive HTTPS connection.

Run: ``.venv/bin/python benchmarks/bench_emulator.py [--seconds 5] [--sdk]``. Prints requests/s.
By default the server runs in its own process pinned to CPU 0 and the client is pinned to CPU 1 (when the
machine has two), so the figure is the throughput of ONE server core; ``--inproc`` runs the server in a
thread of the benchmark process instead. ``--sdk`` measures through CognitiveServicesManagementClient
(azure-core pipeline included) instead of a bare ``requests.Session``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tenantctl.emulator import Emulator, EmulatorSettings


def _token(emu: Any) -> str:
    sp = emu.provider
    r = requests.post(
        f"{emu.endpoint}/{sp.directory}/oauth2/v2.0/token",
        verify=str(emu.ca_path),
        timeout=10,
        data={
            "grant_type": "client_credentials",
            "client_id": sp.client_id,
            "client_secret": sp.client_secret,
            "scope": "https://management.azure.com/.default",
        },
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def _setup(emu: Any, token: str) -> str:
    s = emu.subscription_id
    base = f"{emu.endpoint}/subscriptions/{s}/resourcegroups/bench"
    h = {"Authorization": f"Bearer {token}"}
    requests.put(
        f"{base}?api-version=2025-04-01", json={"location": "eastus"}, headers=h, verify=str(emu.ca_path), timeout=10
    ).raise_for_status()
    acct = f"{emu.endpoint}/subscriptions/{s}/resourceGroups/bench/providers/Microsoft.CognitiveServices/accounts/a1"
    requests.put(
        f"{acct}?api-version=2025-09-01",
        json={"location": "eastus", "kind": "OpenAI", "sku": {"name": "S0"}},
        headers=h,
        verify=str(emu.ca_path),
        timeout=10,
    ).raise_for_status()
    return f"{acct}?api-version=2025-09-01"


def _cpu_seconds(pid: int | None) -> float:
    """CPU time of the server: another process via /proc (Linux), else this whole process."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Remote:
    """Connection facts of an emulator served by another process (duck-types what run() needs)."""

    def __init__(self, info: dict[str, Any], pid: int) -> None:
        self.pid: int | None = pid
        self.endpoint = str(info["endpoint"])
        self.ca_path = Path(str(info["ca_path"]))
        self.subscription_id = str(info["subscription_id"])
        from tenantctl.emulator import ServicePrincipal

        self.provider = ServicePrincipal(
            str(info["directory"]), str(info["client_id"]), str(info["client_secret"]), str(info["object_id"])
        )


_SERVE = (
    "import json, os, sys; from pathlib import Path; from tenantctl.emulator import EmulatorSettings; "
    "from tenantctl.emulator.serve import serve; "
    "hasattr(os, 'sched_setaffinity') and os.cpu_count() > 1 and os.sched_setaffinity(0, {0}); "
    "serve(Path(sys.argv[1]), EmulatorSettings(lro_seconds=0.0, retry_after=0), '127.0.0.1', 0, "
    "lambda info: (print(json.dumps(info)), sys.stdout.flush()))"
)


@contextmanager
def _emulator(inproc: bool) -> Iterator[Any]:
    if inproc:
        with Emulator(settings=EmulatorSettings(lro_seconds=0.0, retry_after=0)) as emu:
            yield emu
        return
    with tempfile.TemporaryDirectory() as state:
        proc = subprocess.Popen([sys.executable, "-c", _SERVE, state], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
                os.sched_setaffinity(0, {1})
            yield _Remote(info, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def run(seconds: float, sdk: bool, inproc: bool = False) -> tuple[float, float]:
    """(requests per second, server CPU milliseconds per request; in-process: client + server)."""
    with _emulator(inproc) as emu:
        token = _token(emu)
        url = _setup(emu, token)
        call: Any
        if sdk:
            from azure.identity import ClientSecretCredential
            from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

            sp = emu.provider
            cred = ClientSecretCredential(
                sp.directory,
                sp.client_id,
                sp.client_secret,
                authority=emu.endpoint,
                disable_instance_discovery=True,
                connection_verify=str(emu.ca_path),
            )
            client = CognitiveServicesManagementClient(
                cred, emu.subscription_id, base_url=emu.endpoint, connection_verify=str(emu.ca_path), retry_total=0
            )

            def call() -> None:
                client.accounts.get("bench", "a1")
        else:
            session = requests.Session()
            session.verify = str(emu.ca_path)
            session.trust_env = False
            session.headers["Authorization"] = f"Bearer {token}"

            def call() -> None:
                r = session.get(url, timeout=10)
                if r.status_code != 200:
                    raise RuntimeError(r.text)

        for _ in range(50):  # warm up: TLS handshake, caches
            call()
        n = 0
        pid = getattr(emu, "pid", None)
        cpu0 = _cpu_seconds(pid)
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            call()
            n += 1
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds(pid) - cpu0
        return n / elapsed, cpu / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sdk", action="store_true", help="go through the azure-mgmt SDK client")
    parser.add_argument("--inproc", action="store_true", help="serve from a thread of this process")
    args = parser.parse_args()
    rate, cpu_ms = run(args.seconds, args.sdk, args.inproc)
    client = "CognitiveServicesManagementClient" if args.sdk else "requests.Session"
    where = "in-process server thread" if args.inproc else "server process on one core"
    print(f"emulator GET throughput ({client}, one keep-alive connection, {where}): {rate:,.0f} requests/s")
    what = "client+server" if args.inproc else "server"
    print(f"{what} CPU per request: {cpu_ms:.3f} ms  → capacity of one core ≈ {1000 / cpu_ms:,.0f} requests/s")


if __name__ == "__main__":
    main()
