"""The TOML reader: stdlib ``tomllib`` on Python ≥ 3.11, the ``tomli`` backport on 3.10."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pyproject: tomli>=2; python_version<'3.11'
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

__all__ = ["tomllib"]
