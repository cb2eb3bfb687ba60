"""Names tenantctl builds for Azure, and Azure's rules for them."""

from __future__ import annotations

import pytest

from tenantctl import naming


def test_names_are_built_from_prefix_ids_and_indexes() -> None:
    assert naming.dedicated_account_name("ctso", "acme") == "ctso-acme"
    assert naming.stamp_account_name("ctso", "eu1", 1) == "ctso-eu1--01"
    assert naming.stamp_account_name("ctso", "eu1", 12) == "ctso-eu1--12"
    # tenant ids never contain "--", so no tenant's account can take a stamp's name
    assert naming.dedicated_account_name("ctso", "eu1-01") != naming.stamp_account_name("ctso", "eu1", 1)
    assert naming.tenant_deployment_name("acme", "chat") == "acme--chat"
    assert naming.custom_subdomain("CTSO-Acme") == "ctso-acme"
    assert naming.rai_policy_name("acme") == "acme-filter"
    assert naming.blocklist_name("acme") == "acme-blocklist"


def test_the_ownership_tags_are_stable() -> None:
    assert (naming.TAG_MANAGED_BY, naming.MANAGED_BY_VALUE) == ("managed-by", "tenantctl")
    assert naming.TAG_TENANT == "tenantctl-tenant"
    assert naming.TAG_MANIFEST == "tenantctl-manifest"
    assert naming.TAG_STAMP == "tenantctl-stamp"
    assert naming.TAG_ISOLATION == "tenantctl-isolation"


@pytest.mark.parametrize(
    ("check", "name", "ok"),
    [
        (naming.check_account_name, "ctso-acme", True),
        (naming.check_account_name, "a", False),
        (naming.check_account_name, "-acme", False),
        (naming.check_account_name, "a" * 65, False),
        (naming.check_account_name, "Acme_1.x", True),
        (naming.check_subdomain, "ctso-acme", True),
        (naming.check_subdomain, "ctso-acme-", False),
        (naming.check_subdomain, "Ctso", False),
        (naming.check_subdomain, "ctso_acme", False),
        (naming.check_deployment_name, "gpt-4o.chat_1", True),
        (naming.check_deployment_name, "chat!", False),
        (naming.check_deployment_name, "x" * 65, False),
        (naming.check_resource_group, "rg-tenantctl(prod)", True),
        (naming.check_resource_group, "rg.", False),
        (naming.check_resource_group, "rg/x", False),
        (naming.check_resource_group, "r" * 91, False),
        (naming.check_rai_name, "acme-filter", True),
        (naming.check_rai_name, "acme filter", False),
    ],
)
def test_validators_return_a_message_only_for_names_azure_rejects(check: object, name: str, ok: bool) -> None:
    assert callable(check)
    problem = check(name)
    assert (problem is None) == ok, problem
