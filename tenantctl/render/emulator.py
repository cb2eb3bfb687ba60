"""Human view of the emulator's connection details.

The emulator's principal and its client secret are printed on purpose: they exist only in the local
emulator (like Azurite's well-known account key) and are what lets any client sign in out of the box.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from tenantctl.render.console import out_console

__all__ = ["print_connection_info", "print_traffic_summary"]

_FIELDS = ("endpoint", "ca_path", "subscription_id", "directory", "client_id", "client_secret", "authority")


def print_connection_info(info: dict[str, Any]) -> None:
    console = out_console()
    console.print("[heading]tenantctl Azure emulator[/heading] is serving (Ctrl-C to stop)")
    for key in _FIELDS:
        if key in info:
            console.print(f"  {key:16} {escape(str(info[key]))}")
    for index, sub in enumerate(info.get("subscriptions") or ()):
        console.print(f"  {'subscriptions' if index == 0 else '':16} {escape(str(sub))}")
    console.print("  [muted](a local emulator principal, not an Azure credential)[/muted]")
    env = info.get("env") or {}
    if env:
        console.print("\nExport to point Azure SDKs and tools at it:")
        for name, value in env.items():
            console.print(f"  export {name}={escape(str(value))}")


def print_traffic_summary(summary: dict[str, Any]) -> None:
    console = out_console()
    console.print(
        f"Generated usage (seed {summary['seed']}) from {summary['start']} to {summary['end']}: "
        f"{summary['deployments']} deployment(s), {summary['tenants']} gateway tenant(s)."
    )
    console.print(
        f"  gateway workspace {escape(str(summary['workspace_id']))}, tenant dimension "
        f"{escape(str(summary['gateway_dimension']))}"
    )
    console.print("  [muted]ground truth: GET /_emulator/traffic on the running emulator[/muted]")
