"""The control plane of the emulator itself: Python API shared with the ``/_emulator/...`` admin routes.

Admin routes take and return JSON, need no token, and are answered on loopback only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any

from starlette.responses import Response

from tenantctl.emulator import directory as dirs
from tenantctl.emulator import fine_tuned, keyvault, monitor, network, quota, rbac, traffic
from tenantctl.emulator.core import ArmError, Ctx, Router, iso, json_response, new_guid, now
from tenantctl.emulator.settings import EmulatorSettings, FaultSettings, ServicePrincipal
from tenantctl.emulator.store import RESOURCE_KINDS
from tenantctl.emulator.world import World


class Admin:
    """Control operations on one World (the Emulator's public methods delegate here)."""

    def __init__(self, world: World, info: Callable[[], dict[str, object]]) -> None:
        self.world = world
        self.info = info
        self.bootstrap: dict[str, Any] = {}

    def ensure_bootstrap(self) -> dict[str, Any]:
        """The provider's directory, subscription and service principal (created once per state)."""
        meta = self.world.store.get("meta", "bootstrap")
        if meta is None:
            home = dirs.add_directory(self.world)
            sub = dirs.add_subscription(self.world, None, home)
            sp = dirs.register_app(
                self.world,
                home_directory=home,
                multi_tenant=True,
                client_id=None,
                secret=None,
                certificate_pem=None,
                federated=None,
            )
            meta = {"home_directory": home, "subscription_id": sub, "provider": asdict(sp)}
            self.world.store.put("meta", "bootstrap", meta)
            self._provider_owner(meta)
        self.bootstrap = meta
        return meta

    def _provider_owner(self, meta: dict[str, Any]) -> None:
        rbac.assign(self.world, f"/subscriptions/{meta['subscription_id']}", meta["provider"]["object_id"], "Owner")

    @property
    def provider(self) -> ServicePrincipal:
        return ServicePrincipal(**self.bootstrap["provider"])

    def add_directory(self, tenant_id: str | None = None) -> str:
        return dirs.add_directory(self.world, tenant_id)

    def add_subscription(self, subscription_id: str | None = None, directory: str | None = None) -> str:
        return dirs.add_subscription(self.world, subscription_id, directory or self.bootstrap["home_directory"])

    def ensure_subscriptions(self, count: int) -> list[str]:
        home, first = self.bootstrap["home_directory"], self.bootstrap["subscription_id"]
        pool = [first] + [str(uuid.uuid5(uuid.UUID(first), f"pool-{i}")) for i in range(1, count)]
        for sub in pool[1:]:
            dirs.add_subscription(self.world, sub, home)
            self.assign_role(f"/subscriptions/{sub}", self.bootstrap["provider"]["object_id"], "Owner")
        known = self.pool_subscriptions()
        self.world.store.put("meta", "pool", {"subscriptions": list(dict.fromkeys([*known, *pool]))})
        return pool

    def pool_subscriptions(self) -> list[str]:
        """The subscriptions ``ensure_subscriptions`` made (the bootstrap one alone when it was never called)."""
        meta = self.world.store.get("meta", "pool")
        return list(meta["subscriptions"]) if meta else [str(self.bootstrap.get("subscription_id", ""))]

    def register_app(
        self,
        *,
        home_directory: str,
        multi_tenant: bool = True,
        client_id: str | None = None,
        secret: str | None = None,
        certificate_pem: bytes | None = None,
        federated: list[tuple[str, str]] | None = None,
    ) -> ServicePrincipal:
        return dirs.register_app(
            self.world,
            home_directory=home_directory,
            multi_tenant=multi_tenant,
            client_id=client_id,
            secret=secret,
            certificate_pem=certificate_pem,
            federated=federated,
        )

    def grant_consent(self, client_id: str, directory: str) -> str:
        return dirs.grant_consent(self.world, client_id, directory)

    def assign_role(self, scope: str, principal_id: str, role: str) -> None:
        """Idempotent: an existing assignment of the same role at the same scope is kept."""
        try:
            rbac.assign(self.world, scope, principal_id.lower(), role)
        except ArmError as err:
            if err.code != "RoleAssignmentExists":
                raise

    def onboarded_deployments(
        self,
        resource_id: str,
        expected: tuple[str, ...],
        *,
        directory: str,
        consented_app: str | None,
        role: str | None,
    ) -> list[str] | None:
        """The account's deployment names when a tenant admin's onboarding is all still in place (the
        account Succeeded, the ``expected`` deployments, the app's service principal in ``directory``
        and its ``role`` on the account), else None.

        A read of the store, no request: replaying an onboarding that is in place changes nothing, so
        the emulated admins act only where something is missing (a first run, or a test removed it).
        """
        store = self.world.store
        account = store.get("account", resource_id)
        if account is None or account.get("properties", {}).get("provisioningState") != "Succeeded":
            return None
        present = sorted(d["name"] for d in store.children("deployment", account["id"]))
        if not {name.lower() for name in expected} <= {name.lower() for name in present}:
            return None
        if consented_app is not None:
            sp = dirs.service_principal(self.world, directory.lower(), consented_app.lower())
            if sp is None:
                return None
            if role is not None and not rbac.has_assignment(self.world, account["id"], sp["objectId"], role):
                return None
        return present

    def add_virtual_network(
        self, subscription_id: str, resource_group: str, name: str, location: str, subnets: dict[str, str]
    ) -> str:
        """A virtual network with ``subnets`` (name -> address prefix); returns its id."""
        body = {
            "location": location,
            "properties": {
                "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets.items()],
            },
        }
        doc, _ = network.put_virtual_network(self.world, subscription_id, resource_group, name, body)
        return str(doc["id"])

    def add_private_dns_zone(self, subscription_id: str, resource_group: str, zone: str) -> str:
        doc, _ = network.put_private_dns_zone(self.world, subscription_id, resource_group, zone)
        return str(doc["id"])

    def add_workspace(self, subscription_id: str, resource_group: str, name: str, location: str) -> str:
        doc, _ = monitor.put_workspace(self.world, subscription_id, resource_group, name, location)
        return str(doc["id"])

    def add_key_vault(
        self, subscription_id: str, resource_group: str, name: str, location: str, *, rbac_authorization: bool = True
    ) -> tuple[str, str]:
        """A vault in the subscription's directory; returns its id and its (emulated) vaultUri."""
        body = {"location": location, "properties": {"enableRbacAuthorization": rbac_authorization}}
        doc, _ = keyvault.put_vault(self.world, subscription_id, resource_group, name, body)
        return str(doc["id"]), str(doc["properties"]["vaultUri"])

    def set_quota(self, subscription_id: str, location: str, usage_name: str, limit: float) -> None:
        quota.set_quota(self.world, subscription_id.lower(), location, usage_name, limit)

    def set_faults(self, faults: FaultSettings | None) -> None:
        self.world.set_faults(faults)

    def set_model_retirement(self, name: str, version: str, retirement: str) -> None:
        quota.set_model_retirement(self.world, name, version, retirement)

    def register_fine_tuned_model(self, account_id: str, model: str, retirement: str) -> None:
        with self.world.store.tx():
            fine_tuned.register_model(self.world, account_id, model, retirement)

    def generate_traffic(self, *, days: int, seed: int, tenants: list[str], end: float | None = None) -> dict[str, Any]:
        """Replace the usage traffic: every deployment of every emulated account, plus ``tenants`` behind
        the gateway, for ``days`` whole hours ending at ``end`` (default: the current hour)."""
        end_hour = int((now() if end is None else end) // traffic.HOUR)
        deployments = []
        for dep in self.world.store.all("deployment"):
            account_id = dep["id"].rsplit("/deployments/", 1)[0]
            account = self.world.store.get("account", account_id)
            model = dep.get("properties", {}).get("model", {})
            deployments.append(
                {
                    "account_id": account_id,
                    "name": dep["name"],
                    "model": model.get("name", ""),
                    "version": model.get("version", ""),
                    "location": account["location"] if account else "",
                }
            )
        spec = traffic.build_spec(seed=seed, days=days, end_hour=end_hour, deployments=deployments, tenants=tenants)
        version = new_guid()
        self.world.store.put("traffic", "spec", {**spec.to_doc(), "version": version})
        # A small doc beside the spec: readers check it before parsing the spec (MBs for 10,000 tenants).
        self.world.store.put("traffic", "version", {"version": version})
        return self.traffic_summary()

    def traffic_summary(self) -> dict[str, Any]:
        doc = self.world.store.get("traffic", "spec")
        sub = str(self.bootstrap["subscription_id"])
        info: dict[str, Any] = {
            "workspace_id": traffic.gateway_workspace_id(sub),
            "gateway_dimension": traffic.GATEWAY_DIMENSION,
        }
        if doc is None:
            return {**info, "generated": False}
        spec = traffic.TrafficSpec.from_doc(doc)
        return {
            **info,
            "generated": True,
            "seed": spec.seed,
            "start": iso(spec.start_hour * traffic.HOUR),
            "end": iso(spec.end_hour * traffic.HOUR),
            "deployments": sum(1 for s in spec.series if s.kind == "deployment"),
            "tenants": sum(1 for s in spec.series if s.kind == "tenant"),
        }

    def traffic_truth(self, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        """Exact totals per deployment and per gateway tenant over [start, end) (default: everything)."""
        doc = self.world.store.get("traffic", "spec")
        if doc is None:
            return []
        return traffic.ground_truth(traffic.TrafficSpec.from_doc(doc), start, end)

    def reset(self) -> None:
        """Wipe resources; keep directories, apps, service principals, subscriptions and subscription-scope
        role assignments (identity set-up). Assignments at resource-group or resource scope go with the
        resources they point at. Faults, counters, throttling buckets and quota overrides are cleared too."""
        with self.world.store.tx() as store:
            store.wipe(RESOURCE_KINDS)
            for ra in store.all("roleassignment"):
                if "/resourcegroups/" in ra["properties"]["scope"].lower():
                    store.delete("roleassignment", ra["id"])
        self.world.token_cache.clear()
        self.world.buckets.clear()
        self.world.set_faults(None)
        self.world.reset_counts()
        self.world.vault_ports.clear()
        self.world.next_due = float("-inf")
        self._provider_owner(self.bootstrap)


def build_router(admin: Admin) -> Router:
    router = Router()

    def ok(doc: Any = None) -> Response:
        return json_response({"ok": True} if doc is None else doc)

    def body(ctx: Ctx) -> dict[str, Any]:
        return ctx.body if isinstance(ctx.body, dict) else {}

    def faults(ctx: Ctx) -> Response:
        data = body(ctx)
        known = {f.name for f in fields(FaultSettings)}
        bad = set(data) - known
        if bad:
            raise ArmError(400, "InvalidFaults", f"Unknown fault settings: {sorted(bad)}")
        if "methods" in data:
            data["methods"] = tuple(str(m).upper() for m in data["methods"])
        admin.set_faults(FaultSettings(**data) if data else None)
        return ok()

    def settings(ctx: Ctx) -> Response:
        data = body(ctx)
        known = {f.name for f in fields(EmulatorSettings)}
        for key, value in data.items():
            if key not in known:
                raise ArmError(400, "InvalidSettings", f"Unknown setting {key!r}")
            setattr(admin.world.settings, key, value)
        return ok(asdict(admin.world.settings))

    def app(ctx: Ctx) -> Response:
        d = body(ctx)
        fed = [(str(i), str(s)) for i, s in d.get("federated") or []]
        cert = d.get("certificate_pem")
        sp = admin.register_app(
            home_directory=d["home_directory"],
            multi_tenant=bool(d.get("multi_tenant", True)),
            client_id=d.get("client_id"),
            secret=d.get("secret"),
            certificate_pem=cert.encode() if cert else None,
            federated=fed,
        )
        return ok(asdict(sp))

    def role(ctx: Ctx) -> Response:
        d = body(ctx)
        admin.assign_role(d["scope"], d["principal_id"], d["role"])
        return ok()

    def quota_route(ctx: Ctx) -> Response:
        d = body(ctx)
        admin.set_quota(d["subscription_id"], d["location"], d["usage_name"], float(d["limit"]))
        return ok()

    def reset_counts(ctx: Ctx) -> Response:
        admin.world.reset_counts()
        return ok()

    def reset(ctx: Ctx) -> Response:
        admin.reset()
        return ok()

    router.add("GET", "/_emulator/info", lambda ctx: ok(admin.info()), "admin")
    router.add("GET", "/_emulator/counts", lambda ctx: ok(admin.world.counts()), "admin")
    router.add("DELETE", "/_emulator/counts", reset_counts, "admin")
    router.add("POST", "/_emulator/reset", reset, "admin")
    router.add("PUT", "/_emulator/faults", faults, "admin")
    router.add("GET", "/_emulator/settings", lambda ctx: ok(asdict(admin.world.settings)), "admin")
    router.add("PATCH", "/_emulator/settings", settings, "admin")
    router.add("PUT", "/_emulator/quota", quota_route, "admin")
    _add_catalogue_routes(router, admin)
    _add_traffic_routes(router, admin)
    router.add(
        "POST",
        "/_emulator/directories",
        lambda ctx: ok({"tenant_id": admin.add_directory(body(ctx).get("tenant_id"))}),
        "admin",
    )
    router.add(
        "POST",
        "/_emulator/subscriptions",
        lambda ctx: ok(
            {"subscription_id": admin.add_subscription(body(ctx).get("subscription_id"), body(ctx).get("directory"))}
        ),
        "admin",
    )
    router.add("POST", "/_emulator/apps", app, "admin")
    router.add(
        "POST",
        "/_emulator/consent",
        lambda ctx: ok({"object_id": admin.grant_consent(body(ctx)["client_id"], body(ctx)["directory"])}),
        "admin",
    )
    router.add("POST", "/_emulator/role-assignments", role, "admin")

    router.add("POST", "/_emulator/seed/{kind}", _seed_route(admin), "admin")
    return router


def _add_catalogue_routes(router: Router, admin: Admin) -> None:
    """``PUT /_emulator/model-retirement`` {name, version, retirement}: move a version's retirement date;
    ``POST /_emulator/fine-tuned-models`` {account_id, model, retirement}: a model fine-tuned in an account."""

    def required(ctx: Ctx, keys: tuple[str, ...], code: str) -> list[str]:
        """The body's ``keys`` as strings; 400 ``code`` naming every one that is missing."""
        d: dict[str, Any] = ctx.body if isinstance(ctx.body, dict) else {}
        missing = [k for k in keys if not d.get(k)]
        if missing:
            raise ArmError(400, code, f"Missing {', '.join(missing)}")
        return [str(d[k]) for k in keys]

    def retirement_route(ctx: Ctx) -> Response:
        admin.set_model_retirement(*required(ctx, ("name", "version", "retirement"), "InvalidRetirement"))
        return json_response({"ok": True})

    def fine_tuned_route(ctx: Ctx) -> Response:
        admin.register_fine_tuned_model(*required(ctx, ("account_id", "model", "retirement"), "InvalidFineTunedModel"))
        return json_response({"ok": True})

    router.add("PUT", "/_emulator/model-retirement", retirement_route, "admin")
    router.add("POST", "/_emulator/fine-tuned-models", fine_tuned_route, "admin")


def _seed_route(admin: Admin) -> Callable[[Ctx], Response]:
    """``POST /_emulator/seed/{virtual-networks|private-dns-zones|workspaces}``: resources tests reference."""

    def seeded(ctx: Ctx) -> Response:
        d: dict[str, Any] = ctx.body if isinstance(ctx.body, dict) else {}
        kind, sub, group = ctx.params["kind"], d["subscription_id"], d["resource_group"]
        if kind == "virtual-networks":
            found = admin.add_virtual_network(sub, group, d["name"], d["location"], d.get("subnets") or {})
        elif kind == "private-dns-zones":
            found = admin.add_private_dns_zone(sub, group, d["name"])
        elif kind == "workspaces":
            found = admin.add_workspace(sub, group, d["name"], d["location"])
        else:
            raise ArmError(404, "NotFound", f"No seedable resource kind {kind!r}.")
        return json_response({"id": found})

    return seeded


def _add_traffic_routes(router: Router, admin: Admin) -> None:
    """POST /_emulator/traffic generates usage; GET /_emulator/traffic?from=&to= is its ground truth."""

    def body(ctx: Ctx) -> dict[str, Any]:
        return ctx.body if isinstance(ctx.body, dict) else {}

    def traffic_route(ctx: Ctx) -> Response:
        d = body(ctx)
        known = {"days", "seed", "tenants", "end"}
        if set(d) - known:
            raise ArmError(400, "InvalidTraffic", f"Unknown traffic settings: {sorted(set(d) - known)}")
        try:
            return json_response(
                admin.generate_traffic(
                    days=int(d.get("days", 30)),
                    seed=int(d.get("seed", 1)),
                    tenants=[str(t) for t in d.get("tenants") or []],
                    end=_timestamp(d["end"]) if d.get("end") else None,
                )
            )
        except (traffic.TrafficError, ValueError, TypeError) as exc:
            raise ArmError(400, "InvalidTraffic", str(exc)) from None

    def truth_route(ctx: Ctx) -> Response:
        start = _timestamp(ctx.query["from"]) if ctx.query.get("from") else None
        end = _timestamp(ctx.query["to"]) if ctx.query.get("to") else None
        return json_response({**admin.traffic_summary(), "series": admin.traffic_truth(start, end)})

    router.add("POST", "/_emulator/traffic", traffic_route, "admin")
    router.add("GET", "/_emulator/traffic", truth_route, "admin")


def _timestamp(text: str) -> float:
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ArmError(400, "InvalidTraffic", f"Not an ISO 8601 time: {text!r}") from None
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp()
