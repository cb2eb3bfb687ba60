"""Consoles for people: colour only on a TTY and never when NO_COLOR is set (https://no-color.org)."""

from __future__ import annotations

import os

from rich.console import Console
from rich.theme import Theme

__all__ = ["THEME", "err_console", "out_console"]

# Semantic styles: views say what a thing *is*, the theme says how it looks.
THEME = Theme(
    {
        "create": "green",
        "update": "yellow",
        "replace": "magenta",
        "delete": "red",
        "purge": "bold red",
        "restore": "cyan",
        "noop": "dim",
        "error": "bold red",
        "warning": "yellow",
        "success": "green",
        "muted": "dim",
        "heading": "bold",
        "path": "cyan",
    }
)


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def out_console() -> Console:
    """Standard output; results go here."""
    return Console(theme=THEME, no_color=_no_color(), highlight=False, soft_wrap=True)


def err_console() -> Console:
    """Standard error; progress and diagnostics of a failed command go here."""
    return Console(theme=THEME, no_color=_no_color(), highlight=False, stderr=True, soft_wrap=True)
