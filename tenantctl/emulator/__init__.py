"""emulator"""

from __future__ import annotations

