"""A small fleet applied to a real emulator through the real adapter, for inspect/status/quota tests.

The fleet (``manifest.toml``) has one tenant per isolation model, plus ``newco`` which is never
applied (state "missing").  It is applied once per test module into an embedded emulator state
directory, so CLI tests can open the same cloud with ``--emulator`` from that directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.emulator import Emulator, EmulatorSettings
from tenantctl.execution.executor import apply_plan
from tenantctl.manifest.model import Manifest
from tenantctl.reconcile import load_valid_manifest, plan_against
from tenantctl.render.console import THEME
from tenantctl.resources import AccountRef

HERE = Path(__file__).parent
MANIFEST = HERE / "manifest.toml"
GOLDEN = HERE.parent / "golden"
TODAY = date(2026, 11, 22)  # gpt-35-turbo 0125 retires 2027-01-10 in the emulator's catalogue: 49 days
FAST = EmulatorSettings(lro_seconds=0.05, retry_after=0)
# A fixed principal with a role on acme's account (role assignments are part of the inspect screen).
SUPPORT_PRINCIPAL = "5f5f5f5f-0000-4000-8000-00000000000f"
_HOSTILE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
_PORT = re.compile(r"https://(127\.0\.0\.1|localhost):\d+")


def load() -> Manifest:
    manifest, _ = load_valid_manifest(MANIFEST)
    return manifest


def register_subscriptions(emu: Emulator, manifest: Manifest) -> None:
    for sub in sorted({manifest.provider.subscription_id, *(manifest.stamp_subscription(s) for s in manifest.stamps)}):
        emu.add_subscription(sub, emu.home_directory)
        emu.assign_role(f"/subscriptions/{sub}", emu.provider.object_id, "Owner")


def apply_fleet(emu: Emulator, manifest: Manifest) -> None:
    """Apply every tenant but newco, then give a support principal a role on acme's account."""
    cloud = connect_emulator(emu, polling_interval=0.02)
    try:
        register_subscriptions(emu, manifest)
        # Without newco rather than with a tenant filter: a filtered plan leaves out the stamp's
        # shared deployments, which the shared tenants need.
        applied = manifest.model_copy(update={"tenants": {k: v for k, v in manifest.tenants.items() if k != "newco"}})
        _, plan = plan_against(applied, cloud)
        result = apply_plan(plan, cloud)
        assert result.exit_code == 0, [o for o in result.outcomes if o.status.value != "ok"]
        p = manifest.provider
        acme = AccountRef(p.subscription_id, p.resource_group, "tc-acme").id
        emu.assign_role(acme, SUPPORT_PRINCIPAL, "Cognitive Services OpenAI User")
    finally:
        cloud.close()


@dataclass
class World:
    emulator: Emulator
    cloud: AzureCloud
    manifest: Manifest
    state_dir: Path


def build_state(state_dir: Path) -> None:
    """Apply the fleet into an embedded emulator state directory and stop the emulator."""
    emu = Emulator.embedded(state_dir, FAST).start()
    try:
        apply_fleet(emu, load())
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A working directory whose ``.tenantctl/`` holds the applied fleet (shared by one module)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _HOSTILE_ENV:
            mp.delenv(name, raising=False)
        workdir = tmp_path_factory.mktemp("fleet")
        build_state(workdir)
        yield workdir


@pytest.fixture(scope="module")
def world(fleet_dir: Path) -> Iterator[World]:
    """The applied fleet, served by a running emulator with a connected adapter (read-only use!)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _HOSTILE_ENV:
            mp.delenv(name, raising=False)
        emu = Emulator.embedded(fleet_dir, FAST).start()
        cloud = connect_emulator(emu, polling_interval=0.02)
        try:
            yield World(emu, cloud, load(), fleet_dir)
        finally:
            cloud.close()
            emu.stop()


def render(fn: Any, *args: Any, width: int = 100) -> str:
    """What a view prints on a 100-column non-terminal without colour, ports masked, lines stripped."""
    buffer = StringIO()
    console = Console(file=buffer, width=width, no_color=True, theme=THEME, highlight=False, force_terminal=False)
    fn(*args, console=console)
    return mask(buffer.getvalue())


def mask(text: str) -> str:
    text = _PORT.sub("https://emulator", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def check_golden(name: str, actual: str, update: bool) -> None:
    """Compare with tests/inspect/golden/<name>; TENANTCTL_UPDATE_GOLDENS=1 rewrites it."""
    path = GOLDEN / name
    if update:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden {path}: run with TENANTCTL_UPDATE_GOLDENS=1 and review it"
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture
def update_goldens() -> bool:
    import os

    return os.environ.get("TENANTCTL_UPDATE_GOLDENS") == "1"


def sdk_client(emu: Emulator, subscription_id: str) -> Any:
    """A real CognitiveServicesManagementClient as the provider: how someone changes Azure behind our back."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    sp = emu.provider
    credential = ClientSecretCredential(
        sp.directory,
        sp.client_id,
        sp.client_secret,
        authority=emu.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emu.ca_path),
    )
    return CognitiveServicesManagementClient(
        credential,
        subscription_id,
        base_url=emu.endpoint,
        credential_scopes=["https://management.azure.com/.default"],
        connection_verify=str(emu.ca_path),
        polling_interval=0.02,
        retry_total=0,
    )


@pytest.fixture
def private_world(tmp_path: Path) -> Iterator[World]:
    """A fleet of its own, for tests that change Azure (never share one that is written to)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in _HOSTILE_ENV:
            mp.delenv(name, raising=False)
        build_state(tmp_path)
        emu = Emulator.embedded(tmp_path, FAST).start()
        cloud = connect_emulator(emu, polling_interval=0.02)
        try:
            yield World(emu, cloud, load(), tmp_path)
        finally:
            cloud.close()
            emu.stop()
