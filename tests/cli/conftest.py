"""CLI test helpers: typer's CliRunner with a plain, fixed-width terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tenantctl.cli.app import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``cli(*args)`` runs tenantctl in-process with NO_COLOR and 100 columns; returns click's Result."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TENANTCTL_EMULATOR_LRO_SECONDS", "0.02")
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)

    return run


def envelope_of(result: Any) -> dict[str, Any]:
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document
