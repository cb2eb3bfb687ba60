"""Consoles for people: colour only on a TTY and never when NO_COLOR is set (https://no-color.org)."""

from __future__ import annotations

import os
import sys

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


_PIPE_WIDTH = 140


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def _width() -> int | None:
    """Rich assumes 80 columns when output is not a terminal; logs and pipes deserve room for tables."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return _PIPE_WIDTH


# emoji=False: text from users (a deployment spec "chat=a:b:c", a tenant's display name) is printed as
# written; rich would otherwise turn ":b:" into an emoji even inside escaped markup.
def out_console() -> Console:
    """Standard output; results go here."""
    return Console(theme=THEME, no_color=_no_color(), highlight=False, soft_wrap=True, width=_width(), emoji=False)


def err_console() -> Console:
    """Standard error; progress and diagnostics of a failed command go here."""
    return Console(theme=THEME, no_color=_no_color(), highlight=False, stderr=True, soft_wrap=True, emoji=False)
