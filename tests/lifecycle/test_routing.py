"""The routing table (pure): derived endpoints, TPM budgets, auth modes, APIM fragments, and never
another tenant's dedicated resources (a property over generated manifests)."""

from __future__ import annotations

from typing import Any

import tomlkit
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenantctl.desired import desired_state
from tenantctl.export import routing_for, routing_to_apim, routing_to_json
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning.placement import place
from tenantctl.resources import Account, Deployment
from tests.lifecycle.conftest import SMALL

PROVIDER = {
    "subscription_id": "00000000-0000-0000-0000-000000000000",
    "resource_group": "rg-tenantctl",
    "location": "swedencentral",
    "name_prefix": "ctso",
    "app": {
        "client_id": "11111111-1111-1111-1111-111111111111",
        "home_directory": "22222222-2222-2222-2222-222222222222",
    },
}
STAMP = {
    "location": "swedencentral",
    "deployments": [
        {"name": "chat", "model": "gpt-4o", "version": "2024-11-20", "sku": "DataZoneStandard", "capacity": 300},
        {"name": "mini", "model": "gpt-4o-mini", "version": "2024-07-18", "sku": "DataZoneStandard", "capacity": 200},
    ],
}
DEFAULTS = {
    "deployments": [
        {"name": "chat", "model": "gpt-4o", "version": "2024-11-20", "sku": "GlobalStandard", "capacity": 10}
    ]
}


def _manifest(text: str) -> Manifest:
    loaded = parse_manifest(text)
    assert loaded.manifest is not None, [d.summary for d in loaded.diagnostics]
    return loaded.manifest


def test_derived_routes_name_each_models_endpoint_deployment_auth_and_budget() -> None:
    table = routing_to_json(routing_for(_manifest(SMALL)))
    assert table["source"] == "manifest"
    tenants = table["tenants"]
    assert tenants["acme"]["endpoint"] == "https://ctso-acme.openai.azure.com/"
    assert tenants["acme"]["tpm"] is None
    assert tenants["globex"]["endpoint"] == "https://ctso-eu1--01.openai.azure.com/"
    assert tenants["globex"]["deployments"] == {"chat": "globex--chat"}
    assert tenants["globex"]["tpm"] == 20 * 1000
    assert tenants["initech"]["deployments"] == {"chat": "chat"}
    assert tenants["initech"]["tpm"] == 20000
    assert {e["auth"]["mode"] for e in tenants.values()} == {"entra-id"}
    assert {e["ready"] for e in tenants.values()} == {None}
    assert {e["live"] for e in tenants.values()} == {"target"}


def test_a_tenant_provided_account_is_reached_through_the_multitenant_app() -> None:
    text = SMALL.replace('manifest_name = "lifecycle"\n', 'manifest_name = "lifecycle"\n' + _app())
    text += (
        '\n[tenants.trey]\nisolation = "tenant-provided"\ndirectory = "33333333-3333-3333-3333-333333333333"\n'
        'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/'
        'Microsoft.CognitiveServices/accounts/Trey-AOAI"\nexpect_deployments = ["gpt-4o"]\n'
    )
    trey = routing_to_json(routing_for(_manifest(text)))["tenants"]["trey"]
    assert trey["endpoint"] == "https://trey-aoai.openai.azure.com/"
    assert trey["auth"] == {
        "mode": "entra-id-multitenant-app",
        "client_id": "11111111-1111-1111-1111-111111111111",
        "directory": "33333333-3333-3333-3333-333333333333",
        "scope": "https://cognitiveservices.azure.com/.default",
        "authority": "https://login.microsoftonline.com/33333333-3333-3333-3333-333333333333",
    }


def _app() -> str:
    return (
        '\n[provider.app]\nclient_id = "11111111-1111-1111-1111-111111111111"\n'
        'home_directory = "22222222-2222-2222-2222-222222222222"\n'
    )


def test_apim_fragments_limit_tokens_per_tenant_and_set_the_backend() -> None:
    fragments = routing_to_apim(routing_for(_manifest(SMALL)))
    initech = fragments["initech"]
    assert '<azure-openai-token-limit counter-key="initech" tokens-per-minute="20000"' in initech
    assert 'estimate-prompt-tokens="false"' in initech
    assert '<set-backend-service base-url="https://ctso-eu1--01.openai.azure.com/openai" />' in initech
    assert "azure-openai-token-limit" not in fragments["acme"]  # a dedicated account enforces its own limits
    assert '<set-variable name="deployment-chat" value="globex--chat" />' in fragments["globex"]


def _observed_everything_succeeded(manifest: Manifest) -> ObservedState:
    """Azure exactly as desired, every resource Succeeded (what a finished apply leaves)."""
    desired = desired_state(manifest, placement_hints=place(manifest, ObservedState()).hints)
    accounts = {i.resource.ref.key: i.resource for i in desired.items if isinstance(i.resource, Account)}
    deployments: dict[str, list[Deployment]] = {key: [] for key in accounts}
    for item in desired.items:
        if isinstance(item.resource, Deployment):
            deployments.setdefault(item.resource.account.key, []).append(item.resource)
    return ObservedState(accounts=accounts, deployments={k: tuple(v) for k, v in deployments.items()})


TENANT_IDS = st.sampled_from(["a1", "b2", "eu1", "eu1-01", "ctso", "globex", "ctso-a1", "chat"])
BYO_NAMES = st.sampled_from(["ctso-a1", "ctso-b2", "ctso-globex", "ctso-eu1--01", "own-aoai", "a1"])


@st.composite
def _tenant(draw: Any) -> dict[str, Any]:
    isolation = draw(st.sampled_from(["dedicated", "dedicated-deployment", "shared", "tenant-provided"]))
    if isolation == "dedicated":
        return {"isolation": isolation}
    if isolation == "dedicated-deployment":
        names = draw(st.lists(st.sampled_from(["chat", "mini", "embed"]), min_size=1, max_size=2, unique=True))
        return {"isolation": isolation, "stamp": "eu1", "deployments": [{"name": n, "capacity": 5} for n in names]}
    if isolation == "shared":
        return {"isolation": isolation, "stamp": "eu1", "tpm": draw(st.integers(1000, 50000))}
    name = draw(BYO_NAMES)
    return {
        "isolation": isolation,
        "directory": "33333333-3333-3333-3333-333333333333",
        "resource_id": "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/"
        f"Microsoft.CognitiveServices/accounts/{name}",
    }


def _own_or_shared(tenant: str, entry: dict[str, Any], dedicated: set[str], manifest: Manifest) -> None:
    others = {f"ctso-{t}" for t in dedicated if t != tenant}
    if entry["endpoint"]:
        subdomain = entry["endpoint"].removeprefix("https://").split(".", 1)[0]
        assert subdomain not in others, f"{tenant} routed to another tenant's account {subdomain}"
    if entry["account_id"] and manifest.tenants[tenant].isolation.value != "tenant-provided":
        assert entry["account_id"].rsplit("/", 1)[1] not in others
    for name in entry["deployments"].values():
        if "--" in name:
            assert name.split("--", 1)[0] == tenant, f"{tenant} routed to deployment {name}"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.dictionaries(TENANT_IDS, _tenant(), min_size=1, max_size=6), st.booleans())
def test_no_tenant_is_ever_routed_to_another_tenants_dedicated_account_or_deployment(
    tenants: dict[str, dict[str, Any]], observed: bool
) -> None:
    document = {"schema": 1, "provider": PROVIDER, "defaults": DEFAULTS, "stamps": {"eu1": STAMP}, "tenants": tenants}
    loaded = parse_manifest(tomlkit.dumps(document))
    assume(loaded.manifest is not None)
    manifest = loaded.manifest
    assert manifest is not None
    table = routing_to_json(routing_for(manifest, _observed_everything_succeeded(manifest) if observed else None))
    dedicated = {t for t, spec in manifest.tenants.items() if spec.isolation.value == "dedicated"}
    for tenant, entry in table["tenants"].items():
        _own_or_shared(tenant, entry, dedicated, manifest)


def test_the_make_before_break_rule_that_routing_asks_migration_for() -> None:
    """Every combination the export meets: the target only once live, else the previous, else the stamp."""
    from tenantctl.planning.migration import LiveRoute, live_route, migration_phase

    target, previous, fallback = LiveRoute.TARGET, LiveRoute.PREVIOUS, LiveRoute.SHARED_FALLBACK
    expected = {
        # (observed, target ready, previous ready, fallback ready) -> live route
        (False, None, False, False): target,  # nothing observed: the declared route, unchecked
        (True, True, True, True): target,  # the target is live: switch, even though the old one still is
        (True, False, True, True): previous,  # make before break: the old generation keeps serving
        (True, None, True, False): previous,  # tenant-provided not verified counts as not live
        (True, False, False, True): fallback,  # no old generation: the stamp's shared deployments
        (True, False, False, False): target,  # nothing else is live: the target, not ready
    }
    for (observed, ready, prev, fall), live in expected.items():
        assert live_route(observed=observed, target_ready=ready, previous_ready=prev, fallback_ready=fall) is live
    assert migration_phase(target, True) == 2
    assert migration_phase(target, False) == 1
    assert migration_phase(previous, False) == 1


def test_apim_fragments_emit_token_metrics_with_the_tenant_as_a_dimension() -> None:
    fragments = routing_to_apim(routing_for(_manifest(SMALL)))
    for tenant, xml in fragments.items():
        policy = xml.split("<azure-openai-emit-token-metric>", 1)[1].split("</azure-openai-emit-token-metric>", 1)[0]
        assert policy.strip() == f'<dimension name="Tenant" value="{tenant}" />'
    renamed = routing_to_apim(routing_for(_manifest(SMALL)), tenant_dimension="Customer")
    assert '<dimension name="Customer" value="initech" />' in renamed["initech"]
