"""plan, status and inspect tell the same truth (issue 15), end to end on the emulator through the CLI.

Azure is changed behind tenantctl's back through the real adapter (the SDK over HTTPS), then the
three commands are run as users run them (``--emulator -o json``) and their drift compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inspect_tests.conftest import MANIFEST, TODAY, World
from tenantctl import naming
from tenantctl.cli.app import app
from tenantctl.resources import AccountRef, Blocklist, Deployment

Drift = set[tuple[str, str]]  # (address, field): field "" for a whole resource


def _runner(world: World, monkeypatch: pytest.MonkeyPatch, manifest: Path = MANIFEST) -> Any:
    monkeypatch.chdir(world.state_dir)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")

    def run(*args: str) -> Any:
        today = () if "--today" in args else ("--today", TODAY.isoformat())
        return CliRunner().invoke(app, [*args, "--emulator", "-f", str(manifest), *today])

    return run


def _json(result: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _plan_drift(doc: dict[str, Any], tenant: str, stamp: str | None = None) -> Drift:
    """What ``plan --prune`` would do for the tenant: each field of each change, each delete."""
    out: Drift = set()
    for c in doc["data"]["changes"]:
        mine = c["tenant"] == tenant or (stamp is not None and c["tenant"] is None and c["stamp"] == stamp)
        if not mine or c["action"] == "no-op":
            continue
        out |= {(c["address"], f["name"]) for f in c["changed_fields"]} or {(c["address"], "")}
    return out


def _views(entries: list[dict[str, Any]]) -> Drift:
    out: Drift = set()
    for d in entries:
        out |= {(d["address"], f["name"]) for f in d["fields"]} or {(d["address"], "")}
    return out


def _status_row(doc: dict[str, Any], tenant: str) -> dict[str, Any]:
    row: dict[str, Any] = next(r for r in doc["data"]["tenants"] if r["tenant"] == tenant)
    return row


def _acme() -> AccountRef:
    return AccountRef("0a0a0a0a-0000-4000-8000-00000000000a", "rg-inspect", "tc-acme")


def test_a_blocklist_term_added_in_azure_is_drift_in_plan_status_and_inspect_alike(
    private_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _acme()
    found = next(b for b in private_world.cloud.list_blocklists(account) if b.name == "acme-blocklist")
    private_world.cloud.put_blocklist(Blocklist(account, found.name, (*found.terms, "added-by-hand"), found.tags))
    run = _runner(private_world, monkeypatch)

    plan = _plan_drift(_json(run("plan", "--prune", "-o", "json")), "acme")
    status = _status_row(_json(run("status", "-o", "json")), "acme")
    inspected = _json(run("inspect", "acme", "-o", "json"))["data"]

    assert plan == {("tenant.acme.blocklist", "terms")}
    assert _views(status["drift"]) == plan
    assert _views(inspected["drift"]) == plan
    assert (status["state"], inspected["state"]) == ("drift", "drift")
    [blocklist] = inspected["content_filter"]["blocklists"]
    assert "added-by-hand" in blocklist["terms"]  # what Azure has, read like plan reads it
    screen = run("inspect", "acme").stdout
    assert "Drift 1 change `tenantctl apply` would make" in screen
    assert "terms: manifest" in screen


def test_a_tenant_removed_from_the_manifest_but_alive_in_azure_shows_in_status_and_inspect_with_its_fate(
    private_world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    # acme (protected) and globex (on the stamp) leave the manifest; Azure still holds their resources.
    start, end = text.index("[tenants.acme]"), text.index("[tenants.initech]")
    removed = tmp_path / "removed.toml"
    removed.write_text(text[:start] + text[end:], encoding="utf-8")
    run = _runner(private_world, monkeypatch, removed)

    status = _json(run("status", "-o", "json"))["data"]
    rows = {r["tenant"]: r for r in status["tenants"] if r["state"] == "not in manifest"}
    assert set(rows) == {"acme", "globex"}
    assert rows["acme"]["fate"] == "kept-protected"
    assert rows["globex"]["fate"] == "kept-pruning-disabled"
    assert rows["globex"]["isolation"] == "dedicated-deployment"
    assert status["counts"]["not in manifest"] == 2
    human = run("status").stdout
    assert "not in manifest" in human
    assert "kept: protected" in " ".join(human.split())

    globex = _json(run("inspect", "globex", "-o", "json"))
    assert globex["status"] == "success"
    data = globex["data"]
    assert (data["in_manifest"], data["state"], data["isolation"]) == (False, "not in manifest", "dedicated-deployment")
    assert [(d["azure_name"], d["fate"]) for d in data["deployments"]] == [("globex--chat", "kept-pruning-disabled")]
    assert _views(data["drift"]) == _views(rows["globex"]["drift"])
    pruned = _plan_drift(_json(run("plan", "--prune", "-o", "json")), "globex")
    assert _views(data["drift"]) == pruned == {("tenant.globex.deployment.chat", "")}
    acme = _json(run("inspect", "acme", "-o", "json"))["data"]
    assert (acme["protected"], acme["placement"]["account"]) == (True, "tc-acme")
    assert {d["fate"] for d in acme["drift"]} == {"kept-protected"}
    screen = " ".join(run("inspect", "acme").stdout.split())
    assert "removed from the manifest" in screen
    assert "kept, protected" in screen

    unknown = run("inspect", "globexx", "-o", "json")
    assert unknown.exit_code == 1
    [refused] = _json(unknown)["diagnostics"]
    assert refused["code"] == "unknown-tenant"
    assert "globex" in refused["detail"]  # a removed tenant Azure still holds is a close match too


def test_inspect_tells_a_hand_made_deployment_from_a_tenantctl_orphan(
    private_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _acme()
    ours = {
        naming.TAG_MANAGED_BY: naming.MANAGED_BY_VALUE,
        naming.TAG_MANIFEST: "inspect-tests",
        naming.TAG_TENANT: "acme",
    }
    cloud = private_world.cloud
    cloud.put_deployment(Deployment(account, "hand-made", "gpt-4o", "2024-11-20", "DataZoneStandard", 1))
    cloud.put_deployment(Deployment(account, "leftover", "gpt-4o", "2024-11-20", "DataZoneStandard", 1, tags=ours))
    run = _runner(private_world, monkeypatch)

    data = _json(run("inspect", "acme", "-o", "json"))["data"]
    rows = {d["name"]: d for d in data["deployments"]}
    assert (rows["hand-made"]["managed"], rows["hand-made"]["fate"]) == (False, "never-deleted-not-ours")
    assert (rows["leftover"]["managed"], rows["leftover"]["fate"]) == (True, "kept-pruning-disabled")
    assert (rows["chat"]["managed"], rows["chat"]["fate"]) == (True, None)
    # Only the orphan of ours is drift (apply --prune deletes it); the hand-made one is never touched.
    assert _views(data["drift"]) == {("tenant.acme.deployment.leftover", "")}
    status = _status_row(_json(run("status", "-o", "json")), "acme")
    assert status["state"] == "drift"
    assert _views(status["drift"]) == _views(data["drift"])
    assert _plan_drift(_json(run("plan", "--prune", "-o", "json")), "acme") == _views(data["drift"])
    screen = " ".join(run("inspect", "acme").stdout.split())
    assert "hand-made: not tenantctl's (untagged or hand-made): never deleted" in screen
    assert "leftover: tenantctl's, not in the manifest: deleted by apply --prune" in screen


def test_plan_warns_before_creating_a_version_retiring_within_ninety_days_and_status_warns_of_running_ones(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    legacy = '{ name = "legacy", model = "gpt-35-turbo", version = "0125", sku = "Standard", capacity = 5 }'
    newco = text.index('display_name = "Newco (not applied yet)"')
    edited = tmp_path / "tenants.toml"
    edited.write_text(text[:newco] + f"deployments = [{legacy}]\n" + text[newco:], encoding="utf-8")
    run = _runner(world, monkeypatch, edited)

    planned = _json(run("plan", "-o", "json"))
    soon = [d for d in planned["data"]["diagnostics"] if d["code"] == "model-retiring-soon"]
    assert [(d["tenant"], d["severity"]) for d in soon] == [("newco", "warning")]
    summary = soon[0]["summary"]
    for part in ("newco", "legacy", "gpt-35-turbo@0125", "swedencentral", "2027-01-10", "49 days"):
        assert part in summary, summary
    assert "model-retiring" not in {d["code"] for d in planned["data"]["diagnostics"]}  # plan judges what it makes

    status = _json(run("status", "-o", "json"))
    codes = {(d["code"], d["tenant"]) for d in status["diagnostics"]}
    assert ("model-retiring", "acme") in codes  # acme's legacy runs 0125 already
    assert ("model-retiring-soon", "newco") in codes
    later = _json(run("status", "-o", "json", "--today", "2026-06-01"))
    assert not any(d["code"].startswith("model-retiring") for d in later["diagnostics"])


def test_no_warning_is_printed_twice_by_plan_status_or_inspect(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Warnings of every source at once: the manifest's, the plan's (retiring version created, a
    # stamp's), status's retirement checks and inspect's.
    text = MANIFEST.read_text(encoding="utf-8")
    legacy = '{ name = "legacy", model = "gpt-35-turbo", version = "0125", sku = "Standard", capacity = 5 }'
    newco = text.index('display_name = "Newco (not applied yet)"')
    edited = tmp_path / "tenants.toml"
    edited.write_text(text[:newco] + f"deployments = [{legacy}]\n" + text[newco:], encoding="utf-8")
    run = _runner(world, monkeypatch, edited)
    for args in (("plan",), ("status",), ("inspect", "acme"), ("inspect", "newco")):
        doc = _json(run(*args, "-o", "json"))
        seen = [(d["code"], d["summary"]) for d in doc["diagnostics"]]
        if args[0] == "plan":
            seen += [(d["code"], d["summary"]) for d in doc["data"]["diagnostics"] if d not in doc["diagnostics"]]
        assert seen, args
        assert len(seen) == len(set(seen)), (args, seen)
        result = run(*args)
        lines = [
            line for line in (result.stdout + result.stderr).splitlines() if line.startswith(("warning", "  warning"))
        ]
        assert len(lines) == len(set(lines)), (args, lines)
