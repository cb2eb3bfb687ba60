"""reconcile.apply_run: the apply orchestration the CLI calls, with its confirmation and progress passed in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest

from tenantctl.cloud.azure import AzureCloud
from tenantctl.cloud.session import CloudSession
from tenantctl.emulator import Emulator
from tenantctl.errors import UsageError
from tenantctl.execution import NullHooks
from tenantctl.execution.hooks import ApplyHooks
from tenantctl.manifest.model import Manifest
from tenantctl.planning.model import Action, Plan
from tenantctl.reconcile import ApplyOptions, ApplyRun, apply_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUB = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "tenants.toml"
    shutil.copy(EXAMPLES / "minimal.toml", path)
    return path


@contextmanager
def _no_progress(plan: Plan) -> Iterator[ApplyHooks]:
    yield NullHooks()


def test_no_way_to_confirm_is_refused_before_the_lock_or_the_cloud(manifest_path: Path) -> None:
    opened: list[Manifest] = []

    def open_session(manifest: Manifest) -> AbstractContextManager[CloudSession]:
        opened.append(manifest)
        raise AssertionError("the cloud must not be touched")

    refusal = UsageError("no terminal", code="needs-approval")
    with pytest.raises(UsageError) as caught:
        apply_run(
            manifest_path,
            ApplyOptions(),
            open_session=open_session,
            confirm=lambda plan: True,
            hooks=_no_progress,
            cannot_confirm=refusal,
        )
    assert caught.value is refusal
    assert opened == []
    assert not (manifest_path.parent / ".tenantctl").exists()  # no lock file either


def test_a_no_writes_nothing_a_yes_applies_and_a_second_run_has_nothing_to_ask(
    manifest_path: Path, cloud: AzureCloud, emu: Emulator
) -> None:
    emu.add_subscription(SUB, emu.home_directory)  # as --emulator does for the manifest's subscriptions
    emu.assign_role(f"/subscriptions/{SUB}", emu.provider.object_id, "Owner")
    session = CloudSession(cloud)
    asked: list[Plan] = []
    progressed: list[Plan] = []

    def run(answer: bool) -> ApplyRun:
        def confirm(plan: Plan) -> bool:
            asked.append(plan)
            return answer

        @contextmanager
        def progress(plan: Plan) -> Iterator[ApplyHooks]:
            progressed.append(plan)
            yield NullHooks()

        return apply_run(
            manifest_path, ApplyOptions(), open_session=lambda m: nullcontext(session), confirm=confirm, hooks=progress
        )

    with pytest.raises(UsageError) as cancelled:
        run(False)
    assert cancelled.value.code == "cancelled"
    assert {c.action for c in asked[0].actionable} == {Action.CREATE}  # the resource group, account, deployment
    assert progressed == []
    assert cloud.list_accounts(SUB, "rg-tenantctl") == []

    applied = run(True)  # the lock of the cancelled run was released
    assert applied.result is not None
    assert applied.result.exit_code == 0
    assert progressed == [asked[1]] == [applied.plan]
    assert [a.ref.name for a in cloud.list_accounts(SUB, "rg-tenantctl")] == ["ctso-acme"]

    again = run(True)
    assert again.result is None
    assert not again.plan.has_changes
    assert len(asked) == 2  # nothing to confirm
