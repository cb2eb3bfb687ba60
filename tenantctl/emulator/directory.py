"""Directory objects of the emulated Entra: directories, subscriptions, app registrations, service principals.

A service principal exists in a directory only once the app is registered there (home) or consented
(https://learn.microsoft.com/entra/identity-platform/v2-admin-consent); every principal is also recorded
under kind ``principal`` so role assignments can check it exists in the subscription's directory.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tenantctl.emulator.core import Doc, new_guid
from tenantctl.emulator.settings import ServicePrincipal
from tenantctl.emulator.tokens import b64url
from tenantctl.emulator.world import World


def add_directory(world: World, tenant_id: str | None = None) -> str:
    tid = (tenant_id or new_guid()).lower()
    if world.store.get("directory", tid) is None:
        world.store.put("directory", tid, {"tenantId": tid, "displayName": f"Directory {tid[:8]}"})
    return tid


def add_subscription(world: World, subscription_id: str | None, directory: str) -> str:
    sub = (subscription_id or new_guid()).lower()
    if world.store.get("directory", directory) is None:
        raise ValueError(f"unknown directory {directory}")
    existing = world.store.get("subscription", sub)
    if existing is not None and existing["tenantId"] == directory.lower():
        return sub  # idempotent: consecutive CLI runs declare the same subscriptions again
    world.store.put(
        "subscription",
        sub,
        {
            "id": f"/subscriptions/{sub}",
            "subscriptionId": sub,
            "tenantId": directory.lower(),
            "displayName": f"Subscription {sub[:8]}",
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "authorizationSource": "RoleBased",
        },
    )
    return sub


def _thumbprints(cert_pem: bytes) -> tuple[str, str]:

    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return (
        b64url(hashlib.sha1(der).digest()),  # noqa: S324 - x5t is SHA-1 by definition
        b64url(hashlib.sha256(der).digest()),
    )


def register_app(
    world: World,
    *,
    home_directory: str,
    multi_tenant: bool,
    client_id: str | None,
    secret: str | None,
    certificate_pem: bytes | None,
    federated: list[tuple[str, str]] | None,
) -> ServicePrincipal:
    """Register (or extend, idempotently) an app; its service principal is created in the home directory.

    Re-registering an existing client id keeps its secrets valid (a given ``secret`` is added, like a new
    Entra client secret; without one the first existing secret is returned), adds the certificate and
    federated credentials, and updates ``multi_tenant``.
    """
    cid = (client_id or new_guid()).lower()
    home = home_directory.lower()
    if world.store.get("directory", home) is None:
        raise ValueError(f"unknown directory {home_directory}")
    with world.store.tx():
        app = world.store.get("app", cid) or {
            "clientId": cid,
            "homeDirectory": home,
            "secrets": [],
            "certificates": [],
            "federated": [],
        }
        if app["homeDirectory"] != home:
            raise ValueError(f"app {cid} is already registered in directory {app['homeDirectory']}")
        app["multiTenant"] = multi_tenant
        if secret is None and not app["secrets"]:
            secret = base64.urlsafe_b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")
        if secret is not None and secret not in app["secrets"]:
            app["secrets"].append(secret)
        if certificate_pem:
            x5t, x5t256 = _thumbprints(certificate_pem)
            if all(c["x5t256"] != x5t256 for c in app["certificates"]):
                app["certificates"].append({"pem": certificate_pem.decode(), "x5t": x5t, "x5t256": x5t256})
        for pair in federated or []:
            if list(pair) not in app["federated"]:
                app["federated"].append(list(pair))
        world.store.put("app", cid, app)
        oid = grant_consent(world, cid, home)
    return ServicePrincipal(directory=home, client_id=cid, client_secret=secret or app["secrets"][0], object_id=oid)


def grant_consent(world: World, client_id: str, directory: str) -> str:
    """Create (idempotently) the app's service principal in ``directory``; return its object id."""
    app = world.store.get("app", client_id)
    if app is None:
        raise ValueError(f"unknown app {client_id}")
    key = f"{directory}/{client_id}".lower()
    sp = world.store.get("sp", key)
    if sp is None:
        sp = {"objectId": new_guid(), "appId": client_id.lower(), "directory": directory.lower()}
        world.store.put("sp", key, sp, parent=directory)
        world.store.put(
            "principal",
            sp["objectId"],
            {"objectId": sp["objectId"], "directory": directory.lower(), "type": "ServicePrincipal"},
        )
    return str(sp["objectId"])


def service_principal(world: World, directory: str, client_id: str) -> Doc | None:
    return world.store.get("sp", f"{directory}/{client_id}")
