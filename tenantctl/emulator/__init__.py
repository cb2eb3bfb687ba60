"""Local HTTPS emulator of Azure Resource Manager (Microsoft.CognitiveServices) and Entra ID.

Importing this package is cheap: the server (starlette, uvicorn, cryptography, ...) is imported only
when :class:`Emulator` is first touched, so the CLI's ``--help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenantctl.emulator.settings import EmulatorSettings, FaultSettings, ServicePrincipal

if TYPE_CHECKING:
    from tenantctl.emulator.emulator import Emulator

__all__ = ["Emulator", "EmulatorSettings", "FaultSettings", "ServicePrincipal"]


def __getattr__(name: str) -> Any:
    # Lazy: the heavy server stack loads only when someone actually wants an Emulator.
    if name == "Emulator":
        from tenantctl.emulator.emulator import Emulator

        return Emulator
    raise AttributeError(name)
