"""Shared helpers for the planning tests: manifests from TOML text, scenario folders."""

from __future__ import annotations

from pathlib import Path

from tenantctl.diagnostics import assert_no_errors
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest

SCENARIOS = Path(__file__).parent / "scenarios"


def manifest_from(text: str) -> Manifest:
    """A validated manifest; fails the test with every diagnostic if the text is invalid."""
    result = parse_manifest(text)
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None
    return result.manifest
