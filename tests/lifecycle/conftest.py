"""Lifecycle test helpers: the CLI runner of tests/cli and a working directory holding the example manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, cli, envelope_of

__all__ = ["EXAMPLES", "cli", "envelope_of", "workdir"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cwd (its own emulator state in .tenantctl/) with examples/tenants.toml copied in."""
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path
