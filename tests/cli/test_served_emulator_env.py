"""With the environment ``tenantctl emulator serve`` prints exported, tenantctl talks to that emulator
without ``--emulator`` (issue 16): the cloud comes from AZURE_RESOURCE_MANAGER_ENDPOINT's ARM metadata."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.cli.conftest import EXAMPLES, REPO
from tests.cli.test_emulator_serve import _read_envelope


def _tenantctl(*args: str, env: dict[str, str], cwd: Path, exit_code: int = 0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tenantctl", *args, "-o", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == exit_code, (done.stdout[-2000:], done.stderr[-2000:])
    return dict(json.loads(done.stdout))


@contextmanager
def _served(serve: list[str], env: dict[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, Any], Path, Any]]:
    """`tenantctl <serve> -o json` in its own process: (its connection info, the minimal example manifest on
    its subscription, the process); stopped with SIGTERM on exit."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tenantctl", *serve, "-o", "json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info = _read_envelope(server, time.monotonic() + 30)["data"]
        assert isinstance(info, dict)
        manifest = tmp_path / "tenants.toml"
        manifest.write_text(
            (EXAMPLES / "minimal.toml")
            .read_text()
            .replace("00000000-0000-0000-0000-000000000000", str(info["subscription_id"]))
        )
        yield info, manifest, server
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=20)


def _changes(envelope: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["address"], c["kind"], c["action"]) for c in envelope["data"]["changes"]]


def test_plan_against_the_served_emulator_matches_plan_with_emulator(tmp_path: Path) -> None:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AZURE_") and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }
    serve = ["emulator", "serve", "--port", "0", "--state", str(tmp_path / "st"), "--lro-seconds", "0.05"]
    with _served(serve, clean, tmp_path) as (info, manifest, server):
        served = _tenantctl("plan", "-f", str(manifest), env={**clean, **info["env"]}, cwd=tmp_path)
        embedded = _tenantctl(
            "plan",
            "--emulator",
            "-f",
            str(manifest),
            env={**clean, "TENANTCTL_EMULATOR_LRO_SECONDS": "0.05"},
            cwd=tmp_path,
        )
        assert _changes(served) == _changes(embedded)
        assert served["data"]["summary"] == embedded["data"]["summary"]
        assert ("tenant.acme.account", "account", "create") in _changes(served)

        # Every command works against the served emulator with only its environment.
        env = {**clean, **info["env"]}
        applied = _tenantctl("apply", "--auto-approve", "-f", str(manifest), env=env, cwd=tmp_path)
        assert applied["data"]["counts"]["failed"] == 0
        inspected = _tenantctl("inspect", "acme", "-f", str(manifest), env=env, cwd=tmp_path)
        assert inspected["data"]["endpoint"] == "https://ctso-acme.openai.azure.com/"
        routed = _tenantctl("export", "routing", "--observe", "-f", str(manifest), env=env, cwd=tmp_path)
        assert routed["data"]["tenants"]["acme"]["ready"] is True
        _tenantctl("plan", "--detailed-exitcode", "-f", str(manifest), env=env, cwd=tmp_path)
        # --cloud with the served endpoint instead of AZURE_RESOURCE_MANAGER_ENDPOINT / AZURE_AUTHORITY_HOST:
        # the sign-in host comes from the endpoint's ARM metadata.
        hosts = ("AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_AUTHORITY_HOST")
        by_option = {k: v for k, v in env.items() if k not in hosts}
        endpoint = str(info["endpoint"])
        again = _tenantctl("--cloud", endpoint, "plan", "-f", str(manifest), env=by_option, cwd=tmp_path)
        assert {c["action"] for c in again["data"]["changes"]} == {"no-op"}
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    # `serve -o json` printed exactly one JSON document, nothing after it (not even on shutdown).
    assert out.strip() == ""


def test_a_served_government_emulator_is_that_cloud_for_a_government_manifest(tmp_path: Path) -> None:
    """`tenantctl --cloud AzureUSGovernment emulator serve`: its metadata names the cloud, so a manifest
    declaring AzureUSGovernment talks to it (the environment's endpoint is of the manifest's cloud)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "TENANTCTL_"))}
    serve = ["--cloud", "AzureUSGovernment", "emulator", "serve", "--port", "0", "--state", str(tmp_path / "st")]
    with _served(serve, clean, tmp_path) as (info, manifest, _server):
        manifest.write_text(
            manifest.read_text()
            .replace('"swedencentral"', '"usgovarizona"\ncloud = "AzureUSGovernment"')
            .replace('"GlobalStandard"', '"Standard"')
        )
        served = _tenantctl("plan", "-f", str(manifest), env={**clean, **info["env"]}, cwd=tmp_path)
        embedded = _tenantctl("plan", "--emulator", "-f", str(manifest), env=clean, cwd=tmp_path)
        assert _changes(served) == _changes(embedded)
        assert ("tenant.acme.account", "account", "create") in _changes(served)
