"""The cloud port (a Protocol) and its one Azure adapter: the only code that imports azure.* or msal."""

from __future__ import annotations
