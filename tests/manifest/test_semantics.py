"""Each semantic rule, one case at a time, against a base manifest that is valid on its own."""

from __future__ import annotations

import pytest

from tenantctl.diagnostics import assert_no_errors

from .conftest import BASE, check, codes, only

DEDICATED = '[tenants.acme]\nisolation = "dedicated"\n'
SHARED = '[tenants.{id}]\nisolation = "shared"\nstamp = "eu1"\ntpm = {tpm}\n'
BYO = (
    '[tenants.byo]\nisolation = "tenant-provided"\ndirectory = "33333333-3333-3333-3333-333333333333"\n'
    'resource_id = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg/providers/'
    'Microsoft.CognitiveServices/accounts/{name}"\n'
)


def test_the_base_manifest_is_valid() -> None:
    result = check(DEDICATED)
    assert_no_errors(result.diagnostics)
    assert result.manifest is not None


@pytest.mark.parametrize(
    ("snippet", "code", "path"),
    [
        # tenant ids become part of Azure names
        ('[tenants.Acme]\nisolation = "dedicated"\n', "invalid-name", "tenants.Acme"),
        ('[tenants.a]\nisolation = "dedicated"\n', "invalid-name", "tenants.a"),
        ('[tenants.a--b]\nisolation = "dedicated"\n', "invalid-name", "tenants.a--b"),
        ('[tenants.1acme]\nisolation = "dedicated"\n', "invalid-name", "tenants.1acme"),
        ('[tenants.acme-]\nisolation = "dedicated"\n', "invalid-name", "tenants.acme-"),
        (
            '[tenants.abcdefghijklmnopqrstuvwxy]\nisolation = "dedicated"\n',
            "invalid-name",
            "tenants.abcdefghijklmnopqrstuvwxy",
        ),
        # SKUs and capacity in Azure's units
        (
            DEDICATED + 'deployments = [{ name = "chat", sku = "Global" }]\n',
            "unknown-sku",
            "tenants.acme.deployments[0].sku",
        ),
        (
            DEDICATED + 'deployments = [{ name = "chat", capacity = 0 }]\n',
            "capacity",
            "tenants.acme.deployments[0].capacity",
        ),
        (
            DEDICATED + 'deployments = [{ name = "chat", capacity = -3 }]\n',
            "capacity",
            "tenants.acme.deployments[0].capacity",
        ),
        (
            DEDICATED + 'deployments = [{ name = "chat", capacity = 100000000 }]\n',
            "capacity",
            "tenants.acme.deployments[0].capacity",
        ),
        (
            DEDICATED + 'deployments = [{ name = "chat", version_upgrade_option = "Never" }]\n',
            "invalid-value",
            "tenants.acme.deployments[0].version_upgrade_option",
        ),
        (
            DEDICATED + 'deployments = [{ name = "x!", capacity = 1 }]\n',
            "invalid-name",
            "tenants.acme.deployments[0].name",
        ),
        (
            DEDICATED + 'deployments = [{ name = "chat" }, { name = "chat" }]\n',
            "duplicate-name",
            "tenants.acme.deployments[1].name",
        ),
        # stamp references and fields that belong to another isolation model
        (
            '[tenants.acme]\nisolation = "shared"\nstamp = "eu2"\ntpm = 10\n',
            "unknown-stamp",
            "tenants.acme.stamp",
        ),
        (DEDICATED + "tpm = 1000\n", "isolation-field", "tenants.acme.tpm"),
        (DEDICATED + 'stamp = "eu1"\n', "isolation-field", "tenants.acme.stamp"),
        (
            '[tenants.acme]\nisolation = "shared"\nstamp = "eu1"\ntpm = 10\nnetwork = { public_access = false }\n',
            "isolation-field",
            "tenants.acme.network",
        ),
        ('[tenants.acme]\nisolation = "shared"\nstamp = "eu1"\n', "missing-key", "tenants.acme.tpm"),
        (
            '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n',
            "missing-key",
            "tenants.acme.deployments",
        ),
        ('[tenants.acme]\nisolation = "tenant-provided"\n', "missing-key", "tenants.acme.directory"),
        # residency against region and SKU
        (
            DEDICATED + 'location = "eastus"\nresidency = "eu"\ndeployments = [{ name = "chat", sku = "Standard" }]\n',
            "residency",
            "tenants.acme.residency",
        ),
        (
            DEDICATED + 'residency = "eu"\ndeployments = [{ name = "chat", sku = "GlobalStandard" }]\n',
            "residency",
            "tenants.acme.deployments[0].sku",
        ),
        (
            DEDICATED + 'residency = "se"\ndeployments = [{ name = "chat", sku = "DataZoneStandard" }]\n',
            "residency",
            "tenants.acme.deployments[0].sku",
        ),
        (DEDICATED + 'residency = "mars"\n', "residency", "tenants.acme.residency"),
        (
            DEDICATED + 'location = "uksouth"\ndeployments = [{ name = "chat", sku = "DataZoneStandard" }]\n',
            "unknown-sku",
            "tenants.acme.deployments[0].sku",
        ),
        (
            '[tenants.acme]\nisolation = "shared"\nstamp = "eu1"\ntpm = 10\nresidency = "eu"\n',
            "residency",
            "tenants.acme.residency",
        ),
        # shared budgets against stamp capacity × overcommit
        (
            SHARED.format(id="a1", tpm=60000) + SHARED.format(id="a2", tpm=50000),
            "budget-exceeded",
            "stamps.eu1.deployments[0].capacity",
        ),
        (SHARED.format(id="a1", tpm=200000), "budget-exceeded", "tenants.a1.tpm"),
        (SHARED.format(id="a1", tpm=0), "invalid-value", "tenants.a1.tpm"),
        (
            SHARED.format(id="a1", tpm=10) + 'shared_deployments = ["chatt"]\n',
            "unknown-deployment",
            "tenants.a1.shared_deployments[0]",
        ),
        # duplicates and collisions
        (
            '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
            'deployments = [{ name = "xx" }]\n'
            "[stamps.eu1.extra]\n",
            "unknown-key",
            "stamps.eu1.extra",
        ),
        (
            BYO.format(name="a") + BYO.format(name="a").replace("tenants.byo", "tenants.byo2"),
            "duplicate-name",
            "tenants.byo2.resource_id",
        ),
        # tenant-provided shape
        (
            BYO.format(name="a").replace("Microsoft.CognitiveServices", "Microsoft.Storage"),
            "invalid-value",
            "tenants.byo.resource_id",
        ),
        (BYO.format(name="a").replace("33333333-3333", "3333"), "invalid-value", "tenants.byo.directory"),
        # content filter, network, tags
        (
            DEDICATED + 'network = { allowed_ips = ["300.1.1.1"] }\n',
            "invalid-value",
            "tenants.acme.network.allowed_ips[0]",
        ),
        (
            DEDICATED + 'content_filter = { severity = "Extreme" }\n',
            "invalid-value",
            "tenants.acme.content_filter.severity",
        ),
        (
            DEDICATED + 'content_filter = { blocklist = [""] }\n',
            "invalid-value",
            "tenants.acme.content_filter.blocklist[0]",
        ),
        (DEDICATED + 'tags = { managed-by = "me" }\n', "invalid-value", "tenants.acme.tags.managed-by"),
        (
            DEDICATED + 'tags = { tenantctl-protected = "true" }\n',
            "invalid-value",
            "tenants.acme.tags.tenantctl-protected",
        ),
        (DEDICATED + 'location = "mars-east"\n', "unknown-region", "tenants.acme.location"),
    ],
)
def test_each_semantic_rule_reports_its_code_at_its_path(snippet: str, code: str, path: str) -> None:
    result = check(snippet)
    assert (code, path) in codes(result), codes(result)
    assert result.manifest is None or not result.diagnostics.has_errors


def test_a_dedicated_deployment_name_that_collides_with_a_shared_deployment_is_an_error() -> None:
    base = BASE.replace('{ name = "mini"', '{ name = "acme--chat"')
    result = check(
        '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "eu1"\ndeployments = [{ name = "chat" }]\n',
        base=base,
    )
    assert ("duplicate-name", "tenants.acme.deployments[0].name") in codes(result)


def test_a_stamp_that_needs_more_accounts_than_max_accounts_is_an_error() -> None:
    tenants = "".join(
        f'[tenants.t{i}]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
        'deployments = [{ name = "a", capacity = 1 }, { name = "b", capacity = 1 }]\n'
        for i in range(40)
    )
    base = BASE.replace(
        'location = "swedencentral"\ndeployments', 'location = "swedencentral"\nmax_accounts = 2\ndeployments'
    )
    result = check(tenants, base=base)
    (diag,) = only(result, "account-limit")
    assert diag.path == "stamps.eu1.max_accounts"
    assert "needs 3 accounts for 80 dedicated deployments" in diag.summary


def test_budgets_within_capacity_times_overcommit_are_accepted() -> None:
    base = BASE.replace(
        'location = "swedencentral"\ndeployments', 'location = "swedencentral"\novercommit = 1.5\ndeployments'
    )
    only_chat = 'shared_deployments = ["chat"]\n'
    result = check(
        SHARED.format(id="a1", tpm=80000) + only_chat + SHARED.format(id="a2", tpm=70000) + only_chat,
        base=base,
    )
    assert_no_errors(result.diagnostics)


def test_a_budget_error_names_the_numbers_and_the_largest_tenants() -> None:
    only_chat = 'shared_deployments = ["chat"]\n'
    result = check(SHARED.format(id="a1", tpm=60000) + only_chat + SHARED.format(id="a2", tpm=50000) + only_chat)
    (diag,) = only(result, "budget-exceeded")
    assert "110,000 TPM" in diag.summary
    assert "100,000 TPM" in diag.summary
    assert "a1 60,000" in diag.detail


def test_a_budget_limited_to_one_deployment_is_counted_only_there() -> None:
    result = check(
        SHARED.format(id="a1", tpm=90000)
        + 'shared_deployments = ["chat"]\n'
        + SHARED.format(id="a2", tpm=50000)
        + 'shared_deployments = ["mini"]\n'
    )
    assert_no_errors(result.diagnostics)


def test_a_tpm_looking_capacity_on_a_provisioned_sku_is_a_warning_not_an_error() -> None:
    result = check(DEDICATED + 'deployments = [{ name = "chat", sku = "ProvisionedManaged", capacity = 20000 }]\n')
    assert not result.diagnostics.has_errors
    (diag,) = only(result, "capacity")
    assert not diag.is_error
    assert "PTU" in diag.summary


def test_dedicated_tenants_default_their_location_and_deployments_from_the_provider_and_defaults() -> None:
    result = check(DEDICATED)
    assert result.manifest is not None
    assert result.manifest.tenant_location("acme") == "swedencentral"
    names = [d.name for d in result.manifest.resolved_deployments("acme")]
    assert names == ["chat", "embed"]


def test_tenant_deployments_take_missing_fields_from_the_default_of_the_same_name_or_the_first() -> None:
    result = check(
        '[tenants.acme]\nisolation = "dedicated-deployment"\nstamp = "eu1"\n'
        'deployments = [{ name = "embed", capacity = 7 }, { name = "other", sku = "Standard" }]\n'
    )
    assert result.manifest is not None
    embed, other = result.manifest.resolved_deployments("acme")
    assert (embed.model, embed.sku, embed.capacity) == ("text-embedding-3-small", "Standard", 7)
    assert (other.model, other.sku, other.capacity) == ("gpt-4o", "Standard", 10)
    assert other.version_upgrade_option == "OnceCurrentVersionExpired"
    assert result.manifest.stamp_subscription("eu1") == "00000000-0000-0000-0000-000000000000"
    assert result.manifest.stamp_resource_group("eu1") == "rg-tenantctl"
    assert result.manifest.tenant_location("acme") == "swedencentral"


def test_a_tenant_deployment_nothing_can_complete_is_a_missing_key() -> None:
    without_defaults = BASE.split("[defaults]")[0]
    result = check(DEDICATED + 'deployments = [{ name = "chat", model = "gpt-4o" }]\n', base=without_defaults)
    assert ("missing-key", "tenants.acme.deployments[0].version") in codes(result)
    assert ("missing-key", "tenants.acme.deployments[0].capacity") in codes(result)


def test_tenant_provided_tenants_need_the_provider_app() -> None:
    assert not check(BYO.format(name="a")).diagnostics.has_errors
    no_app = BASE.split("[provider.app]")[0] + "[defaults]" + BASE.split("[defaults]")[1]
    result = check(BYO.format(name="a"), base=no_app)
    assert ("missing-key", "provider.app") in codes(result)


def test_warnings_leave_the_manifest_usable() -> None:
    result = check(DEDICATED + 'network = { public_access = false, allowed_ips = ["10.0.0.0/8"] }\n')
    assert result.manifest is not None
    assert {d.code for d in result.diagnostics.warnings} >= {"no-effect", "invalid-value"}


def test_a_default_datazone_deployment_is_refused_for_a_tenant_outside_the_data_zones() -> None:
    base = BASE.replace('sku = "Standard", capacity = 5', 'sku = "DataZoneStandard", capacity = 5')
    result = check('[tenants.ukco]\nisolation = "dedicated"\nlocation = "uksouth"\n', base=base)
    (diag,) = only(result, "unknown-sku")
    assert diag.path == "tenants.ukco"
    assert "embed" in diag.summary
