"""Counted nouns in messages: "1 stamp", "2 stamps", never "1 stamps" or "stamp(s)".

Messages are read by people and matched by scripts; a count and its noun agree in every surface.
"""

from __future__ import annotations

__all__ = ["count_of"]


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun in the form it takes: ``count_of(1, "stamp") == "1 stamp"``.

    ``plural`` is for nouns that do not just take an "s" (``count_of(2, "policy", "policies")``).
    """
    noun = singular if count == 1 else (plural or singular + "s")
    return f"{count} {noun}"
