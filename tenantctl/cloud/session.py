"""Open the cloud a command talks to: real Azure, or the embedded emulator (``--emulator``).

The emulator mode is tenantctl's embedded default for newcomers, demos and pipeline dry runs: its
state lives in ``.tenantctl/`` of the working directory, so consecutive commands see one cloud. The
manifest's subscriptions are registered in the emulator's provider directory, with the emulator's
ready-made service principal as their Owner, so any manifest works out of the box.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tenantctl.errors import UsageError

if TYPE_CHECKING:
    from tenantctl.cloud.port import CloudPort
    from tenantctl.emulator import Emulator

__all__ = ["open_cloud", "open_embedded_emulator"]


@contextmanager
def open_embedded_emulator(workdir: Path, subscriptions: Iterable[str] = ()) -> Iterator[Emulator]:
    """Start the emulator whose state lives in ``workdir/.tenantctl``; stop it on exit."""
    from tenantctl.emulator import Emulator, EmulatorSettings

    settings = EmulatorSettings()
    # Demos and tests may shorten Azure's write latency; the default stays Azure-like (seconds).
    lro = os.environ.get("TENANTCTL_EMULATOR_LRO_SECONDS")
    if lro:
        try:
            settings.lro_seconds = max(0.0, float(lro))
            # Sub-second writes would still be polled only once a second if Azure's Retry-After stayed.
            if settings.lro_seconds < 1:
                settings.retry_after = 0
        except ValueError:
            raise UsageError(
                f"TENANTCTL_EMULATOR_LRO_SECONDS must be a number of seconds, got {lro!r}", code="bad-env"
            ) from None
    emulator = Emulator.embedded(workdir, settings).start()
    try:
        for subscription_id in sorted(set(subscriptions)):
            emulator.add_subscription(subscription_id, emulator.home_directory)
            emulator.assign_role(f"/subscriptions/{subscription_id}", emulator.provider.object_id, "Owner")
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def open_cloud(
    *, emulator: bool, workdir: Path | None = None, subscriptions: Iterable[str] = ()
) -> Iterator[CloudPort]:
    """The cloud port for one command: Azure with the default credential chain, or the emulator."""
    if emulator:
        from tenantctl.cloud.azure import connect_emulator

        with open_embedded_emulator(workdir or Path.cwd(), subscriptions) as emu:
            yield connect_emulator(emu)
        return
    from tenantctl.cloud.azure import connect_azure

    yield connect_azure()
