"""Helpers for the property tests: load generated text, simulate apply, the settings profile."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, settings

from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest

from .strategies import EXAMPLES

__all__ = ["load", "props"]


def props(default: int) -> settings:
    """Settings for one property: ``default`` examples, or TENANTCTL_FUZZ_EXAMPLES when set."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def load(text: str) -> Manifest:
    """The manifest if ``parse_manifest`` accepts ``text`` without errors; otherwise the example is dropped."""
    result = parse_manifest(text)
    assume(result.manifest is not None)
    assert result.manifest is not None
    assert not [d for d in result.diagnostics.errors if d.code == "internal"], result.diagnostics.errors
    return result.manifest
