"""``plan_wave`` (pure): which owners a wave moves, what it refuses, and that the edit is byte-exact."""

from __future__ import annotations

from datetime import date

import pytest

from tenantctl import naming
from tenantctl.manifest.load import parse_manifest
from tenantctl.manifest.model import Manifest
from tenantctl.observation import ObservedState
from tenantctl.planning.upgrade import ModelVersion, UpgradeWave, parse_model_version, plan_wave
from tenantctl.resources import AccountRef, Deployment, ModelOffer

SUB = "00000000-0000-0000-0000-000000000000"
OLD = ModelVersion("gpt-4o", "2024-08-06")
NEW = ModelVersion("gpt-4o", "2024-11-20")

FLEET = """\
schema = 1

[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-tenantctl"
location = "swedencentral"
name_prefix = "ctso"

[defaults]
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-08-06", sku = "GlobalStandard", capacity = 10 }]

[stamps.eu1]
location = "swedencentral"
deployments = [{ name = "chat", model = "gpt-4o", version = "2024-08-06", sku = "DataZoneStandard", capacity = 300 }]

[tenants.alpha]  # dedicated, on [defaults]
isolation = "dedicated"

[tenants.bravo]
isolation = "dedicated"
tags = { canary = "true" }

[tenants.charlie]
isolation = "dedicated-deployment"
stamp = "eu1"

[[tenants.charlie.deployments]]
name = "chat"   # keep this comment
capacity = 20

[tenants.delta]
isolation = "dedicated"
upgrade_policy = "pinned"

[tenants.echo]
isolation = "dedicated"
upgrade_policy = "manual"

[tenants.foxtrot]
isolation = "shared"
stamp = "eu1"
tpm = 1000
"""


def _offers(region: str = "swedencentral") -> dict[tuple[str, str], tuple[ModelOffer, ...]]:
    skus = {OLD: ("GlobalStandard", "DataZoneStandard", "Standard"), NEW: ("GlobalStandard", "DataZoneStandard")}
    rows = tuple(
        ModelOffer(region, mv.model, mv.version, sku, f"OpenAI.{sku}.gpt-4o", deprecation=date(2027, 1, 1))
        for mv, names in skus.items()
        for sku in names
    )
    return {(SUB, region): rows}


def _manifest(text: str) -> Manifest:
    loaded = parse_manifest(text)
    assert loaded.manifest is not None, loaded.diagnostics
    return loaded.manifest


def _live(owners: dict[str, str]) -> ObservedState:
    """Azure with the given owners' deployments (by Azure name) on the new version, Succeeded."""
    deployments = []
    for owner, azure_name in owners.items():
        tenant = owner if not owner.startswith("stamp:") else None
        ref = AccountRef(SUB, "rg-tenantctl", f"ctso-{owner.removeprefix('stamp:')}")
        tags = {naming.TAG_MANAGED_BY: "tenantctl", naming.TAG_MANIFEST: "default"}
        if tenant:
            tags[naming.TAG_TENANT] = tenant
        else:
            tags[naming.TAG_STAMP] = owner.removeprefix("stamp:")
        deployments.append(Deployment(ref, azure_name, "gpt-4o", NEW.version, "GlobalStandard", 10, tags=tags))
    return ObservedState(deployments={"k": tuple(deployments)})


def _wave(
    text: str,
    wave: str,
    observed: ObservedState | None = None,
    *,
    target: ModelVersion = NEW,
    source: ModelVersion | None = None,
    catalogues: dict[tuple[str, str], tuple[ModelOffer, ...]] | None = None,
) -> UpgradeWave:
    return plan_wave(
        _manifest(text),
        text,
        target=target,
        source=source,
        wave=wave,
        observed=observed or ObservedState(),
        catalogues=catalogues or _offers(),
    )


def _errors(result: UpgradeWave) -> list[str]:
    return [f"{d.code}: {d.summary}" for d in result.diagnostics if d.is_error]


def test_canary_moves_the_tagged_tenant_and_changes_only_its_version() -> None:
    result = _wave(FLEET, "canary")
    assert _errors(result) == []
    assert result.moved == ("bravo",)
    assert result.text is not None
    before, after = FLEET.splitlines(), result.text.splitlines()
    added = [line for line in after if line not in before]
    assert added == ['deployments = [{ name = "chat", version = "2024-11-20" }]']
    assert [line for line in before if line not in after] == []
    assert _manifest(result.text).resolved_deployments("bravo")[0].version == NEW.version
    assert _manifest(result.text).resolved_deployments("alpha")[0].version == OLD.version


def test_without_a_tagged_tenant_the_canary_is_the_first_owner() -> None:
    text = FLEET.replace('tags = { canary = "true" }\n', "")
    assert _wave(text, "canary").moved == ("alpha",)


def test_percentages_are_cumulative_tenants_first_stamps_last_and_skip_pinned_and_manual() -> None:
    # follow-default owners: alpha, bravo, charlie, stamp:eu1 (delta pinned, echo manual, foxtrot rides the stamp).
    first = _wave(FLEET, "50%")
    assert first.moved == ("alpha", "bravo")
    assert first.remaining == ("charlie", "stamp:eu1")
    assert first.skipped == (("delta", "pinned"), ("echo", "manual"))
    assert first.text is not None
    observed = _live({"alpha": "chat", "bravo": "chat"})
    again = _wave(first.text, "50%", observed)
    assert again.moved == ()
    assert _errors(again) == []
    rest = _wave(first.text, "100%", observed)
    assert rest.moved == ("charlie", "stamp:eu1")
    assert rest.text is not None
    assert (
        '[[tenants.charlie.deployments]]\nname = "chat"   # keep this comment\ncapacity = 20\nversion = "2024-11-20"\n'
        in rest.text
    )
    assert _manifest(rest.text).stamp_deployments("eu1")[0].version == NEW.version
    assert any(d.code == "defaults-behind" for d in rest.diagnostics)


def test_a_manual_tenant_moves_when_named_and_a_pinned_one_never() -> None:
    assert _wave(FLEET, "echo").moved == ("echo",)
    refused = _wave(FLEET, "delta")
    assert refused.text is None
    assert _errors(refused) == ["pinned-tenant: tenant 'delta' has upgrade_policy = \"pinned\": upgrade never moves it"]


def test_a_wave_is_refused_while_the_previous_one_is_not_live() -> None:
    first = _wave(FLEET, "canary")
    assert first.text is not None
    refused = _wave(first.text, "50%")  # nothing observed: bravo's new version was never applied
    assert refused.text is None
    assert _errors(refused) == [
        "previous-wave-not-live: bravo: deployment 'chat' in swedencentral is declared on gpt-4o@2024-11-20 "
        "but not in Azure yet"
    ]
    stale = ObservedState(
        deployments={
            "k": (
                Deployment(
                    AccountRef(SUB, "rg-tenantctl", "ctso-bravo"),
                    "chat",
                    "gpt-4o",
                    OLD.version,
                    "GlobalStandard",
                    10,
                    tags={
                        naming.TAG_MANAGED_BY: "tenantctl",
                        naming.TAG_MANIFEST: "default",
                        naming.TAG_TENANT: "bravo",
                    },
                ),
            )
        }
    )
    assert "still runs gpt-4o@2024-08-06" in _errors(_wave(first.text, "50%", stale))[0]


@pytest.mark.parametrize(
    ("wave", "kw", "expected"),
    [
        (
            "canary",
            {"target": ModelVersion("gpt-4o", "2099-01-01")},
            "unknown-version: gpt-4o@2099-01-01 is not in the model catalogue of any region the manifest uses",
        ),
        ("alpha,zulu", {}, "unknown-tenant: --wave names 'zulu', which is not a tenant or stamp"),
        ("foxtrot", {}, "shared-tenant: tenant 'foxtrot' is shared: it runs stamp 'eu1''s deployments"),
    ],
)
def test_bad_input_is_an_error_and_nothing_is_written(wave: str, kw: dict[str, ModelVersion], expected: str) -> None:
    result = _wave(FLEET, wave, None, **kw)
    assert result.text is None
    assert result.edits == ()
    assert _errors(result)[0].startswith(expected)


def test_a_version_not_offered_for_the_deployments_sku_names_owner_deployment_and_region() -> None:
    text = FLEET.replace(
        '[tenants.bravo]\nisolation = "dedicated"\n',
        '[tenants.bravo]\nisolation = "dedicated"\ndeployments = [{ name = "chat", sku = "Standard" }]\n',
    )
    result = _wave(text, "canary")
    assert result.text is None
    assert _errors(result) == [
        "not-offered: bravo: deployment 'chat' (Standard) in swedencentral: gpt-4o@2024-11-20 is not offered as "
        "Standard there (only DataZoneStandard, GlobalStandard)"
    ]


def test_model_versions_parse_as_model_at_version() -> None:
    assert parse_model_version("gpt-4o@2024-11-20") == NEW
    assert [parse_model_version(t) for t in ("gpt-4o", "@1", "gpt-4o@", "a@b@c")] == [None] * 4


GPT41 = ModelVersion("gpt-4.1", "2025-04-14")


def _with_gpt41(*skus: str) -> dict[tuple[str, str], tuple[ModelOffer, ...]]:
    extra = tuple(ModelOffer("swedencentral", "gpt-4.1", GPT41.version, s, f"OpenAI.{s}.gpt-4.1") for s in skus)
    return {k: v + extra for k, v in _offers().items()}


def _bravo(name: str, model: str, version: str, state: str = "Succeeded") -> Deployment:
    tags = {naming.TAG_MANAGED_BY: "tenantctl", naming.TAG_MANIFEST: "default", naming.TAG_TENANT: "bravo"}
    ref = AccountRef(SUB, "rg-tenantctl", "ctso-bravo")
    return Deployment(ref, name, model, version, "GlobalStandard", 10, tags=tags, provisioning_state=state)


def test_a_model_name_change_writes_model_and_version_and_the_next_wave_waits_for_the_successor() -> None:
    offers = _with_gpt41("GlobalStandard", "DataZoneStandard")
    first = _wave(FLEET, "canary", source=OLD, target=GPT41, catalogues=offers)
    assert _errors(first) == []
    assert first.moved == ("bravo",)
    assert [(e.owner, e.before, e.after) for e in first.edits] == [("bravo", str(OLD), str(GPT41))]
    assert first.text is not None
    [bravo] = _manifest(first.text).resolved_deployments("bravo")
    assert (bravo.model, bravo.version, bravo.sku) == ("gpt-4.1", GPT41.version, "GlobalStandard")
    assert _manifest(first.text).resolved_deployments("alpha")[0].model == "gpt-4o"  # not in this wave

    def next_wave(*deployments: Deployment) -> UpgradeWave:
        observed = ObservedState(deployments={"k": deployments})
        assert first.text is not None
        return _wave(first.text, "50%", observed, source=OLD, target=GPT41, catalogues=offers)

    # Only the old deployment (phase 1 not applied), or a successor still Creating: refused, nothing written.
    old = _bravo("chat", "gpt-4o", OLD.version)
    for observed in ((old,), (old, _bravo("chat__gpt-4.1-globalstandard", "gpt-4.1", GPT41.version, "Creating"))):
        refused = next_wave(*observed)
        assert refused.text is None
        assert [d.code for d in refused.diagnostics if d.is_error] == ["previous-wave-not-live"]
    assert "still runs gpt-4o@2024-08-06" in _errors(next_wave(old))[0]
    # The successor is Succeeded (routing switched to it), the old one waits for --retire: the wave may go on.
    ok = next_wave(old, _bravo("chat__gpt-4.1-globalstandard", "gpt-4.1", GPT41.version))
    assert _errors(ok) == []
    assert ok.moved
    assert "bravo" in ok.upgraded_before


def test_a_new_model_not_offered_for_a_deployments_sku_names_owner_deployment_and_region() -> None:
    result = _wave(FLEET, "stamp:eu1", source=OLD, target=GPT41, catalogues=_with_gpt41("GlobalStandard"))
    assert result.text is None
    assert result.edits == ()
    assert _errors(result) == [
        "not-offered: stamp:eu1: deployment 'chat' (DataZoneStandard) in swedencentral: gpt-4.1@2025-04-14 is not "
        "offered as DataZoneStandard there (only GlobalStandard)"
    ]
