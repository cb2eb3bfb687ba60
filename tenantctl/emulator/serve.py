"""Foreground server for ``tenantctl emulator serve`` (runs until SIGINT/SIGTERM)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from tenantctl.emulator.emulator import Emulator
from tenantctl.emulator.settings import EmulatorSettings, FaultSettings


def serve(
    state_dir: Path,
    settings: EmulatorSettings,
    host: str,
    port: int,
    on_ready: Callable[[dict[str, object]], None],
    *,
    faults: FaultSettings | None = None,
    subscriptions: int = 1,
) -> None:
    """Serve the emulator with state in ``state_dir``; ``on_ready(connection_info)`` once it listens.

    Returns after SIGINT/SIGTERM (immediate stop; the state is already persisted).
    """
    emulator = Emulator(state_dir, settings, host=host, port=port)
    emulator.set_faults(faults)
    emulator.ensure_subscriptions(subscriptions)
    sock = emulator.bind()
    server = emulator.make_server(embedded=False)  # SIGINT/SIGTERM handled in the main thread, see make_server

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        if server.started:
            on_ready(emulator.connection_info())

    emulator.serve_stored_vaults()
    threading.Thread(target=announce, name="tenantctl-emulator-ready", daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        emulator.stop()
