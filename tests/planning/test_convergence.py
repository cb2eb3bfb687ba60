"""Property: applying a plan and planning again gives a no-op plan (convergence).

Manifests come from a small generator over all four isolation models, stamps that fill up and
grow, content filters, network rules and protection.  "Applying" is the pure simulation in
``simulate.py``: the observed state becomes each change's ``after``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning import make_plan

from .conftest import HEAD
from .simulate import applied

TENANTS = ("acme", "beta", "gamma", "delta", "omega")
SKUS = ("GlobalStandard", "DataZoneStandard")


@st.composite
def manifests(draw: st.DrawFn) -> str:
    text = HEAD
    stamps = draw(st.sampled_from([(), ("eu1",), ("eu1", "eu2")]))
    for stamp in stamps:
        text += f"""
[stamps.{stamp}]
location = "swedencentral"
max_deployments_per_account = {draw(st.integers(2, 4))}
max_accounts = {draw(st.integers(1, 3))}
deployments = [
  {{ name = "mini", model = "gpt-4o-mini", version = "2024-07-18", sku = "DataZoneStandard", capacity = 100 }},
]
"""
    models = ["dedicated", "tenant-provided"] + (["dedicated-deployment", "shared"] if stamps else [])
    for tenant in draw(st.lists(st.sampled_from(TENANTS), unique=True, max_size=5)):
        isolation = draw(st.sampled_from(models))
        text += f'\n[tenants.{tenant}]\nisolation = "{isolation}"\n'
        if draw(st.booleans()):
            text += "protected = true\n"
        if isolation in ("dedicated", "dedicated-deployment"):
            names = draw(st.lists(st.sampled_from(["chat", "embed", "batch"]), unique=True, min_size=1, max_size=2))
            specs = ", ".join(
                f'{{ name = "{n}", sku = "{draw(st.sampled_from(SKUS))}", capacity = {draw(st.integers(1, 50))} }}'
                for n in names
            )
            text += f"deployments = [{specs}]\n"
            if draw(st.booleans()):
                terms = draw(st.lists(st.sampled_from(["foo", "bar", "baz"]), unique=True, max_size=2))
                terms_toml = ", ".join(f'"{t}"' for t in terms)
                severity = draw(st.sampled_from(["Low", "High"]))
                text += f'content_filter = {{ blocklist = [{terms_toml}], severity = "{severity}" }}\n'
        if isolation == "dedicated" and draw(st.booleans()):
            text += 'network = { public_access = true, allowed_ips = ["203.0.113.0/24"] }\n'
        if isolation in ("dedicated-deployment", "shared"):
            text += f'stamp = "{draw(st.sampled_from(stamps))}"\n'
        if isolation == "shared":
            text += "tpm = 10000\n"
        if isolation == "tenant-provided":
            text += (
                'directory = "33333333-3333-3333-3333-333333333333"\n'
                f'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/'
                f'Microsoft.CognitiveServices/accounts/{tenant}-aoai"\n'
            )
    if "tenant-provided" in text:
        text = text.replace(
            'manifest_name = "prod"\n',
            'manifest_name = "prod"\n\n[provider.app]\nclient_id = "11111111-1111-1111-1111-111111111111"\n'
            'home_directory = "22222222-2222-2222-2222-222222222222"\n',
        )
    return text


def _load(text: str) -> Manifest:
    # The generator may overfill a stamp, which the manifest checks reject before planning.
    result = parse_manifest(text)
    assume(result.manifest is not None)
    assert result.manifest is not None
    return result.manifest


def _converged(manifest: Manifest, observed: ObservedState) -> None:
    again = make_plan(manifest, observed, prune=True, purge_deleted=True)
    assert not again.has_changes, [(c.address, c.action.value, c.changed_fields) for c in again.actionable]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(manifests())
def test_applying_a_plan_from_nothing_converges_to_a_no_op_plan(text: str) -> None:
    manifest = _load(text)
    plan = make_plan(manifest, ObservedState())
    assume(not plan.is_blocked)  # apply refuses a blocked plan (e.g. a full stamp)
    _converged(manifest, applied(ObservedState(), plan))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(manifests(), manifests())
def test_changing_any_manifest_into_any_other_converges_with_prune(first: str, second: str) -> None:
    before, after = _load(first), _load(second)
    state = applied(ObservedState(), make_plan(before, ObservedState()))
    plan = make_plan(after, state, prune=True, purge_deleted=True)
    # Apply refuses a blocked plan: e.g. a full stamp whose slots only free up once prune has run,
    # because placement never counts on deletes that run after the creates.
    assume(not plan.is_blocked)
    _converged(after, applied(state, plan))
