"""Account keys kept in Key Vault and ``keys rotate`` on the emulator (issue 14).

The invariant checked after every step, including the failed ones: the vault's active-key secret holds one
of the two keys the account accepts right now (``listKeys``), and it is marked with the right key name.
Faults come from the emulator: a dropped answer on ``regenerateKey`` (Azure regenerated, the client never
heard), and the vault refusing the writes once the provider lost its data role (the failure between
regenerate and store). A sentinel test checks that no key appears in any output, log, plan file or JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from typer.testing import CliRunner

from tenantctl.cloud.azure import AzureCloud, connect_emulator
from tenantctl.diagnostics import Diagnostics
from tenantctl.emulator import Emulator
from tenantctl.emulator.settings import FaultSettings
from tenantctl.errors import TenantctlError
from tenantctl.execution.keys import ACTIVE_KEY_TAG, rotate_tenant_keys
from tenantctl.manifest.model import Manifest
from tenantctl.planning import plan_to_json
from tenantctl.planning.key_age import check_key_age
from tenantctl.reconcile import plan_against
from tenantctl.resources import AccountRef, ResourceGroup
from tests.emulator.helpers import arm
from tests.planning.conftest import HEAD, LOC, SUB, manifest_from
from tests.planning.on_emulator import apply_manifest, register

VAULT_GROUP = "rg-keys"
VAULT = f"/subscriptions/{SUB}/resourceGroups/{VAULT_GROUP}/providers/Microsoft.KeyVault/vaults/kv-tenants"
ACCOUNT = AccountRef(SUB, "rg-tenants", "ctso-acme")

TEXT = (
    HEAD
    + f"""
[provider.key_vault]
id = "{VAULT}"

[tenants.acme]
isolation = "dedicated"
local_auth = true
max_key_age = "90d"
"""
)


@pytest.fixture
def keyed(emulator: Emulator) -> Iterator[tuple[Emulator, AzureCloud, Manifest, str]]:
    """``acme`` applied with local auth on: its keys stored in the provider's vault."""
    register(emulator, SUB)
    cloud = connect_emulator(emulator, polling_interval=0.02, max_attempts=2, backoff_cap=0.05)
    cloud.ensure_resource_group(ResourceGroup(SUB, VAULT_GROUP, LOC))
    vault_id, vault_url = emulator.add_key_vault(SUB, VAULT_GROUP, "kv-tenants", LOC)
    emulator.assign_role(vault_id, emulator.provider.object_id, "Key Vault Secrets Officer")
    manifest = manifest_from(TEXT)
    apply_manifest(manifest, cloud)
    try:
        yield emulator, cloud, manifest, vault_url
    finally:
        cloud.close()


def _active_is_valid(cloud: AzureCloud, vault_url: str) -> str:
    """The invariant: the active secret holds a key the account accepts, under its right name."""
    keys = cloud.list_account_keys(ACCOUNT)
    active = cloud.get_secret(vault_url, "acme-openai-key")
    assert active is not None
    assert active.value is not None
    marker = active.tags[ACTIVE_KEY_TAG]
    assert active.value == keys.key(marker), f"the active secret does not hold the account's {marker}"
    return marker


def test_apply_stores_both_keys_and_re_plans_as_a_no_op(keyed: Any) -> None:
    _, cloud, manifest, vault_url = keyed
    keys = cloud.list_account_keys(ACCOUNT)
    for name, key in (("acme-openai-key1", "key1"), ("acme-openai-key2", "key2"), ("acme-openai-key", "key1")):
        stored = cloud.get_secret(vault_url, name)
        assert stored is not None
        assert stored.value == keys.key(key)
        assert stored.tags["tenantctl-tenant"] == "acme"
    assert _active_is_valid(cloud, vault_url) == "key1"
    _, plan = plan_against(manifest, cloud)
    assert not plan.has_changes, [str(c.address) for c in plan.actionable]
    assert "tenant.acme.account-keys" in {str(c.address) for c in plan.changes}
    account = next(a for a in cloud.list_accounts(SUB, "rg-tenants") if a.ref.name == "ctso-acme")
    assert account.disable_local_auth is False


def test_rotation_regenerates_the_spare_key_then_switches(keyed: Any) -> None:
    _, cloud, manifest, vault_url = keyed
    before = cloud.list_account_keys(ACCOUNT)
    first = rotate_tenant_keys(manifest, cloud, "acme")
    assert (first.regenerated, first.active_key) == ("key2", "key2")
    after = cloud.list_account_keys(ACCOUNT)
    assert after.key1 == before.key1  # the key in use was never touched
    assert after.key2 != before.key2
    assert _active_is_valid(cloud, vault_url) == "key2"
    second = rotate_tenant_keys(manifest, cloud, "acme")
    assert (second.regenerated, second.active_key) == ("key1", "key1")
    assert _active_is_valid(cloud, vault_url) == "key1"
    assert cloud.list_account_keys(ACCOUNT).key2 == after.key2


def test_a_lost_regenerate_answer_leaves_the_active_key_valid(keyed: Any) -> None:
    emulator, cloud, manifest, vault_url = keyed
    emulator.set_faults(FaultSettings(drop_rate=1.0, methods=("POST",), seed=7))
    try:
        with pytest.raises(TenantctlError):
            rotate_tenant_keys(manifest, cloud, "acme")
    finally:
        emulator.set_faults(FaultSettings())
    assert _active_is_valid(cloud, vault_url) == "key1"
    done = rotate_tenant_keys(manifest, cloud, "acme")  # running it again finishes the job
    assert done.active_key == "key2"
    assert _active_is_valid(cloud, vault_url) == "key2"


def test_a_vault_refusing_the_store_after_regenerate_leaves_the_active_key_valid(keyed: Any) -> None:
    emulator, cloud, manifest, vault_url = keyed
    # The provider keeps read access but loses write access to secrets: regenerate works, the store fails.
    emulator.assign_role(VAULT, emulator.provider.object_id, "Key Vault Secrets User")
    found = arm(emulator, "GET", f"{VAULT}/providers/Microsoft.Authorization/roleAssignments").json()["value"]
    officer = [a for a in found if a["properties"]["roleDefinitionId"].endswith("b86a8fe4-44ce-4948-aee5-eccb2c155cd7")]
    assert officer
    for assignment in officer:
        assert arm(emulator, "DELETE", assignment["id"]).status_code in (200, 204)
    before = cloud.list_account_keys(ACCOUNT)
    with pytest.raises(TenantctlError):
        rotate_tenant_keys(manifest, cloud, "acme")
    assert cloud.list_account_keys(ACCOUNT).key2 != before.key2  # Azure did regenerate key2
    assert _active_is_valid(cloud, vault_url) == "key1"  # and the vault still hands out key1, which works
    emulator.assign_role(VAULT, emulator.provider.object_id, "Key Vault Secrets Officer")
    assert rotate_tenant_keys(manifest, cloud, "acme").active_key == "key2"
    assert _active_is_valid(cloud, vault_url) == "key2"


def test_max_key_age_is_reported_as_due(keyed: Any) -> None:
    _, cloud, manifest, _ = keyed
    observed, plan = plan_against(manifest, cloud)
    assert "keys-due" not in {d.code for d in plan.diagnostics}
    diags = Diagnostics()
    check_key_age(manifest, observed, diags, now=datetime.now(timezone.utc) + timedelta(days=91))
    (due,) = diags.warnings
    assert (due.code, due.tenant, due.path) == ("keys-due", "acme", "tenants.acme.max_key_age")
    assert "tenantctl keys rotate acme" in due.detail
    shorter = manifest_from(TEXT.replace('"90d"', '"1d"'))
    diags = Diagnostics()
    check_key_age(shorter, observed, diags, now=datetime.now(timezone.utc) + timedelta(days=2))
    assert [d.code for d in diags] == ["keys-due"]


def test_rotating_a_tenant_without_keys_is_a_usage_error(keyed: Any) -> None:
    _, cloud, manifest, _ = keyed
    entra_only = manifest_from(
        TEXT.replace("local_auth = true", "local_auth = false").replace('max_key_age = "90d"', "")
    )
    with pytest.raises(TenantctlError, match="local_auth = false"):
        rotate_tenant_keys(entra_only, cloud, "acme")
    with pytest.raises(TenantctlError, match="no tenant 'nope'"):
        rotate_tenant_keys(manifest, cloud, "nope")


def test_no_key_appears_in_any_output_log_plan_file_or_json(
    keyed: Any, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sentinel: every key value the account ever had is searched for in everything tenantctl shows."""
    caplog.set_level(logging.DEBUG)
    _, cloud, manifest, vault_url = keyed
    seen = [cloud.list_account_keys(ACCOUNT)]
    rotation = rotate_tenant_keys(manifest, cloud, "acme")
    seen.append(cloud.list_account_keys(ACCOUNT))
    observed, plan = plan_against(manifest, cloud)
    texts = [
        caplog.text,
        repr(rotation),
        json.dumps(plan_to_json(plan), default=str),
        json.dumps(observed.to_json(), default=str),
        repr(observed),
        repr(plan),
    ]
    texts.extend(capsys.readouterr())
    values = {k.reveal() for keys in seen for k in (keys.key1, keys.key2)}
    assert len(values) == 3
    assert all(len(v) >= 32 for v in values)
    for text in texts:
        for value in values:
            assert value not in text
    assert vault_url in rotation.vault_url


def test_keys_rotate_on_the_cli_prints_no_key(keyed: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tenantctl keys rotate`` through the CLI (its JSON envelope), on a tenant it has no keys for."""
    from tenantctl.cli.app import app

    path = tmp_path / "tenants.toml"
    path.write_text(TEXT.replace("local_auth = true", "local_auth = false").replace('max_key_age = "90d"\n', ""))
    result = CliRunner().invoke(app, ["keys", "rotate", "acme", "-f", str(path), "-o", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["command"] == "keys rotate"
    assert doc["diagnostics"][0]["code"] == "no-keys"
