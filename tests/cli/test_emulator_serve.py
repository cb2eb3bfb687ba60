"""``tenantctl emulator serve``: a foreground emulator any Azure client can use with what it prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import REPO


def _read_envelope(process: subprocess.Popen[str], deadline: float) -> dict[str, object]:
    """The serve command prints one (indented) JSON envelope once it listens."""
    assert process.stdout is not None
    text = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        text += line
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            continue
        assert isinstance(document, dict)
        return document
    raise AssertionError(f"no envelope from emulator serve; got {text!r}")


def test_serve_prints_a_working_endpoint_ca_and_principal_then_stops_on_sigterm(tmp_path: Path) -> None:
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tenantctl",
            "emulator",
            "serve",
            "--port",
            "0",
            "--state",
            str(tmp_path / "st"),
            "--lro-seconds",
            "0.05",
            "-o",
            "json",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        envelope = _read_envelope(process, time.monotonic() + 30)
        assert envelope["command"] == "emulator serve"
        info = envelope["data"]
        assert isinstance(info, dict)
        assert Path(info["ca_path"]).is_absolute()
        credential = ClientSecretCredential(
            info["directory"],
            info["client_id"],
            info["client_secret"],
            authority=info["endpoint"],
            disable_instance_discovery=True,
            connection_verify=info["ca_path"],
        )
        client = ResourceManagementClient(
            credential,
            info["subscription_id"],
            base_url=info["endpoint"],
            credential_scopes=["https://management.azure.com/.default"],
            connection_verify=info["ca_path"],
        )
        client.resource_groups.create_or_update("rg-serve-test", {"location": "swedencentral"})
        assert client.resource_groups.check_existence("rg-serve-test")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0
