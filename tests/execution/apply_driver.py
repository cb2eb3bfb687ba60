"""Driver for the crash tests: start a file-backed emulator in THIS process, apply a fixed plan.

    python apply_driver.py STATE_DIR apply     # prints READY, then DONE <address> per finished change
    python apply_driver.py STATE_DIR verify    # prints JSON: differences between cloud and plan

The emulator and the apply live in the same process on purpose: a SIGKILL takes both down mid-write,
like a CI runner vanishing, and the SQLite state (WAL) on disk is what the next run sees.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# tests/ on the path, as pytest puts it (rootdir-relative packages): `execution.plans` is one module
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from execution.plans import cloud_differences, group_change, plan_of, tenant_changes
from tenantctl.cloud.azure import connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.execution import ChangeOutcome, NullHooks, apply_plan
from tenantctl.planning.model import Change

GROUP = "rg-crash"
TENANTS = 6


class PrintHooks(NullHooks):
    def on_done(self, change: Change, outcome: ChangeOutcome) -> None:
        print(f"DONE {change.address} {outcome.status.value} {outcome.code or ''}", flush=True)


def changes(subscription: str) -> list[Change]:
    rg = group_change(subscription, GROUP)
    out = [rg]
    for n in range(TENANTS):
        out += tenant_changes(
            subscription, GROUP, f"crash{n}", [1, 2], content_filter=n % 2 == 0, group_address=rg.address
        )
    return out


def main(state_dir: str, mode: str) -> int:
    emulator = Emulator(state_dir=Path(state_dir), settings=EmulatorSettings(lro_seconds=0.2, retry_after=0))
    emulator.start()
    cloud = connect_emulator(emulator, polling_interval=0.02)
    try:
        wanted = changes(emulator.subscription_id)
        if mode == "verify":
            print(json.dumps(cloud_differences(cloud, wanted)), flush=True)
            return 0
        print("READY", flush=True)
        result = apply_plan(plan_of(wanted), cloud, hooks=PrintHooks(), parallelism=4)
        print(f"RESULT {result.status.value}", flush=True)
        return int(result.exit_code)
    finally:
        cloud.close()
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
