"""The control plane: admin HTTP routes, request counting, reset, serve(), and import cost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from tenantctl.emulator import Emulator
from tests.emulator.helpers import create_account, deploy


def _admin(emulator: Emulator, method: str, route: str, body: Any = None) -> Any:
    r = requests.request(
        method, f"{emulator.endpoint}/_emulator/{route}", json=body, verify=str(emulator.ca_path), timeout=5
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_request_counts_per_sdk_operation(emulator: Emulator, cs_client: Any, rg: str) -> None:
    create_account(cs_client, rg, "a1")
    deploy(cs_client, rg, "a1", "d1")
    list(cs_client.deployments.list(rg, "a1"))
    list(cs_client.usages.list("swedencentral"))
    counts = emulator.request_counts()
    assert counts["accounts.begin_create"] == 1
    assert counts["deployments.begin_create_or_update"] == 1
    assert counts["deployments.list"] == 1
    assert counts["usages.list"] == 1
    assert counts["lro.poll"] >= 2
    assert counts["entra.token"] >= 1
    arm_ops = sum(v for k, v in counts.items() if k != "total" and not k.startswith("entra."))
    assert counts["total"] == arm_ops
    assert _admin(emulator, "GET", "counts") == emulator.request_counts()
    emulator.reset_counts()
    assert emulator.request_counts() == {}


def test_admin_routes(emulator: Emulator, cs_client: Any, make_auth_client: Any, rg: str) -> None:
    info = _admin(emulator, "GET", "info")
    assert info["endpoint"] == emulator.endpoint
    assert info["env"]["AZURE_AUTHORITY_HOST"] == emulator.endpoint
    tid = _admin(emulator, "POST", "directories", {})["tenant_id"]
    sub = _admin(emulator, "POST", "subscriptions", {"directory": tid})["subscription_id"]
    app = _admin(emulator, "POST", "apps", {"home_directory": emulator.home_directory})
    oid = _admin(emulator, "POST", "consent", {"client_id": app["client_id"], "directory": tid})["object_id"]
    _admin(
        emulator, "POST", "role-assignments", {"scope": f"/subscriptions/{sub}", "principal_id": oid, "role": "Reader"}
    )
    _admin(
        emulator,
        "PUT",
        "quota",
        {
            "subscription_id": emulator.subscription_id,
            "location": "swedencentral",
            "usage_name": "OpenAI.GlobalStandard.gpt-4o",
            "limit": 5,
        },
    )
    usage = {u.name.value: u for u in cs_client.usages.list("swedencentral")}
    assert usage["OpenAI.GlobalStandard.gpt-4o"].limit == 5
    _admin(emulator, "PUT", "faults", {"rate_5xx": 1.0, "methods": ["GET"]})
    assert requests.get(
        f"{emulator.endpoint}/subscriptions/{emulator.subscription_id}/resourcegroups",
        verify=str(emulator.ca_path),
        timeout=5,
    ).status_code in (500, 503)
    _admin(emulator, "PUT", "faults", {})
    assert _admin(emulator, "PATCH", "settings", {"latency_ms": 1.0})["latency_ms"] == 1.0
    create_account(cs_client, rg, "a1")
    home_sub = f"/subscriptions/{emulator.subscription_id}"
    emulator.assign_role(f"{home_sub}/resourceGroups/{rg}", app["object_id"], "Reader")
    _admin(emulator, "POST", "reset")
    assert list(cs_client.accounts.list()) == []  # provider still Owner after reset
    assert all(u.current_value == 0 for u in cs_client.usages.list("swedencentral"))
    scopes = {a.scope for a in make_auth_client().role_assignments.list_for_scope(home_sub)}
    assert scopes == {home_sub}  # subscription-scope set-up survives, RG-scope went with the RG


def test_import_is_cheap() -> None:
    code = (
        "import sys, tenantctl.emulator as e; "
        "print(sorted(m for m in ('starlette','uvicorn','cryptography','jwt','azure','trustme') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"


def test_serve_runs_until_sigterm(tmp_path: Path) -> None:
    code = (
        "import json, sys; from pathlib import Path; from tenantctl.emulator import EmulatorSettings; "
        "from tenantctl.emulator.serve import serve; "
        f"serve(Path({str(tmp_path)!r}), EmulatorSettings(), '127.0.0.1', 0, "
        "lambda info: (print(json.dumps(info)), sys.stdout.flush()))"
    )
    env = {k: v for k, v in os.environ.items() if k != "REQUESTS_CA_BUNDLE"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        r = requests.get(
            f"{info['endpoint']}/metadata/endpoints?api-version=2022-09-01", verify=info["ca_path"], timeout=5
        )
        assert r.json()[0]["resourceManager"] == info["endpoint"] + "/"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_latency_applies_to_arm_requests_only(emulator: Emulator, cs_client: Any, rg: str) -> None:
    import time

    emulator.settings.latency_ms = 150
    start = time.perf_counter()
    list(cs_client.accounts.list_by_resource_group(rg))
    assert time.perf_counter() - start >= 0.15
    start = time.perf_counter()
    requests.get(
        f"{emulator.endpoint}/{emulator.home_directory}/discovery/v2.0/keys", verify=str(emulator.ca_path), timeout=5
    )
    assert time.perf_counter() - start < 0.15
