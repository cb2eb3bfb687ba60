"""Property: the gateway's routing table never sends a tenant to anything that is not ours, or not its own.

With an observed state holding foreign resources (untagged, or another manifest's, maybe for a
same-named tenant), drift and half-done migrations: every route that says it is ready points at an
account of this manifest, and at deployments of this manifest that are the tenant's own or the
stamp's shared ones.  A migration's phase 3 (retire) trusts the same readiness, so a wrong "ready"
would also delete the tenant's working old generation.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from tenantctl import naming
from tenantctl.export import routing_for
from tenantctl.manifest.model import Isolation
from tenantctl.observation import ObservedState

from .conftest import load, props
from .strategies import manifests
from .test_safety import _apply, drifted, with_foreign


def _ours(tags: Mapping[str, str], name: str) -> bool:
    return tags.get(naming.TAG_MANAGED_BY) == naming.MANAGED_BY_VALUE and tags.get(naming.TAG_MANIFEST) == name


@props(150)
@given(st.data())
def test_a_ready_route_only_ever_leads_to_our_own_resources(data: st.DataObject) -> None:
    first = load(data.draw(manifests(), label="A"))
    second = load(data.draw(manifests(), label="B"))
    state = _apply(first, ObservedState())
    if data.draw(st.booleans(), label="apply B"):
        state = _apply(second, state, prune=data.draw(st.booleans(), label="prune"))
    if data.draw(st.booleans(), label="drift"):
        state = data.draw(drifted(state), label="drifted")
    state, _ = data.draw(with_foreign(state, second), label="foreign")
    accounts = {a.ref.id.lower(): a for a in state.accounts.values()}
    for entry in routing_for(second, state).entries:
        route = entry.route
        if not route.ready or second.tenants[entry.tenant].isolation is Isolation.TENANT_PROVIDED:
            continue
        assert route.account_id is not None
        account = accounts.get(route.account_id.lower())
        assert account is not None, f"{entry.tenant}: ready route to an account Azure does not have"
        assert _ours(account.tags, second.provider.manifest_name), (
            f"{entry.tenant}: routed to {account.ref.name}, not ours: {dict(account.tags)}"
        )
        owner = account.tags.get(naming.TAG_TENANT)
        assert owner in (None, entry.tenant), f"{entry.tenant}: routed to {owner}'s account {account.ref.name}"
        found = {d.name.lower(): d for d in state.deployments.get(account.ref.key, ())}
        for name in route.deployments.values():
            d = found[name.lower()]
            assert _ours(d.tags, second.provider.manifest_name), (
                f"{entry.tenant}: routed to deployment {name} on {account.ref.name}, not ours"
            )
            assert d.tags.get(naming.TAG_TENANT) in (None, entry.tenant), (
                f"{entry.tenant}: routed to {d.tags.get(naming.TAG_TENANT)}'s deployment {name}"
            )
