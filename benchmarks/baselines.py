"""The naive baseline for ``plan``'s observation: one GET per managed resource (Terraform-style refresh).

Terraform's ``plan`` refreshes every resource in its state with one read each (``azurerm`` reads an
account with one GET and each deployment with one GET), ``-parallelism=10`` by default. This replays
exactly that with the real ``azure-mgmt-cognitiveservices`` client against the same emulator, so the
request count and the wall time sit side by side with tenantctl's list-based observation.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["naive_refresh", "resource_client", "sdk_client"]

ARM_SCOPE = "https://management.azure.com/.default"


def _credential(emu: Any) -> Any:
    from azure.identity import ClientSecretCredential

    sp = emu.provider
    return ClientSecretCredential(
        sp.directory,
        sp.client_id,
        sp.client_secret,
        authority=emu.endpoint,
        disable_instance_discovery=True,
        connection_verify=str(emu.ca_path),
    )


def _kwargs(emu: Any) -> dict[str, Any]:
    return {
        "base_url": emu.endpoint,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": str(emu.ca_path),
        "retry_total": 0,
    }


def sdk_client(emu: Any, subscription_id: str) -> Any:
    """A CognitiveServicesManagementClient as the emulator's provider principal (SDK retries off)."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return CognitiveServicesManagementClient(_credential(emu), subscription_id, **_kwargs(emu))


def resource_client(emu: Any, subscription_id: str) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(_credential(emu), subscription_id, **_kwargs(emu))


def naive_refresh(emu: Any, observed: Any, *, parallelism: int = 10) -> tuple[int, float]:
    """GET every managed account and every deployment on it; (requests sent, wall seconds).

    Sign-in and client construction happen before the clock starts (tenantctl's figure includes
    neither, as its adapter is also connected first).
    """
    subscriptions: set[str] = set()
    reads: list[tuple[str, tuple[str, ...]]] = []
    for key, account in sorted(observed.accounts.items()):
        ref = account.ref
        subscriptions.add(ref.subscription_id)
        reads.append((ref.subscription_id, (ref.resource_group, ref.name)))
        for deployment in observed.deployments.get(key, ()):
            reads.append((ref.subscription_id, (ref.resource_group, ref.name, deployment.name)))
    clients = {sub: sdk_client(emu, sub) for sub in sorted(subscriptions)}
    for client in clients.values():
        with contextlib.suppress(Exception):  # sign-in + TLS before the clock starts; 404 is fine
            list(client.accounts.list_by_resource_group("warm-up-sign-in"))

    def get(item: tuple[str, tuple[str, ...]]) -> None:
        sub, args = item
        client = clients[sub]
        if len(args) == 2:
            client.accounts.get(*args)
        else:
            client.deployments.get(*args)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(get, reads))
    elapsed = time.perf_counter() - started
    for client in clients.values():
        client.close()
    return len(reads), elapsed
