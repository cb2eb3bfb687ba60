"""``tenantctl usage`` as a process on the embedded emulator: the JSON envelope, CSV, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tenantctl.render.usage import CSV_COLUMNS
from tests.usage import fleet
from tests.usage.fleet import MANIFEST

_HOSTILE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.datetime, dt.datetime]:
    with pytest.MonkeyPatch.context() as mp:
        for name in _HOSTILE_ENV:
            mp.delenv(name, raising=False)
        workdir = tmp_path_factory.mktemp("usage-cli")
        start, end = fleet.build(workdir)
    (workdir / "tenants.toml").write_text(MANIFEST)
    return workdir, start, end


def _cli(built: tuple[Path, dt.datetime, dt.datetime], *args: str) -> subprocess.CompletedProcess[str]:
    workdir, start, end = built
    env = {k: v for k, v in os.environ.items() if k not in _HOSTILE_ENV}
    window = ["--from", start.isoformat(), "--to", end.isoformat()]
    return subprocess.run(
        [sys.executable, "-m", "tenantctl", "usage", "--emulator", *window, *args],
        cwd=workdir, capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


def test_json_envelope_is_partial_when_a_price_is_missing(built: tuple[Path, dt.datetime, dt.datetime]) -> None:
    out = _cli(built, "-o", "json", "--tenant", "acme", "--tenant", "hooli")
    assert out.returncode == 3, out.stderr  # partial: hooli's model has no price
    envelope = json.loads(out.stdout)
    assert envelope["command"] == "usage"
    assert envelope["status"] == "partial"
    data = envelope["data"]
    assert [t["tenant"] for t in data["tenants"]] == ["acme", "hooli"]
    assert data["totals"]["prompt_tokens"] == sum(t["prompt_tokens"] for t in data["tenants"])
    assert data["totals"]["cost"] == data["tenants"][0]["cost"]  # hooli has none
    assert [d["code"] for d in envelope["diagnostics"]] == ["missing-price"]
    assert data["window"]["granularity"] == "1d"
    assert data["window"]["partial"] is True


def test_csv_and_a_mistyped_tenant(built: tuple[Path, dt.datetime, dt.datetime]) -> None:
    out = _cli(built, "-o", "csv", "--tenant", "acme")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 3  # header + acme's two deployments
    bad = _cli(built, "--tenant", "acne")
    assert bad.returncode == 1
    assert "unknown tenant 'acne'" in bad.stderr
    assert "acme" in bad.stderr
    since = subprocess.run(
        [sys.executable, "-m", "tenantctl", "usage", "--emulator", "--since", "30 days"],
        cwd=built[0], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert since.returncode == 1
    assert "--since '30 days' is not a duration" in since.stderr
