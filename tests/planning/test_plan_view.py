"""The plan's typed lines: each line says what it is, and the renderer styles it by that, not by its text."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tenantctl.diagnostics import Diagnostics
from tenantctl.planning.model import Action
from tenantctl.planning.text import LineKind, plan_lines, plan_view
from tenantctl.render.plan import print_plan

from .test_scenarios import NAMES, SCENARIOS, _plan

_CHANGE_KINDS = {LineKind(a.value) for a in Action}


@pytest.mark.parametrize("name", NAMES)
def test_every_line_of_a_scenario_plan_has_the_kind_its_text_shows(name: str) -> None:
    plan = _plan(SCENARIOS / name)
    view = plan_view(plan)
    assert [line.text for line in view] == plan_lines(plan)
    assert view[0].kind is LineKind.SUMMARY
    change_lines = [line for line in view if line.kind in _CHANGE_KINDS]
    shown = [c for c in plan.changes if c.action.is_change or c.phase == 3]
    assert len(change_lines) == len(shown)
    for line in view:
        if line.kind in _CHANGE_KINDS:
            assert f"  {line.kind.value}: " in line.text
        elif line.kind is LineKind.BLANK:
            assert line.text == ""
        elif line.kind is LineKind.HEADING:
            assert re.fullmatch(r"(tenant|stamp) \S+|provider|Quota|Diagnostics", line.text)
        elif line.kind in (LineKind.QUOTA, LineKind.QUOTA_SHORT):
            assert line.text.endswith("SHORT") is (line.kind is LineKind.QUOTA_SHORT)
        elif line.kind in (LineKind.ERROR, LineKind.WARNING):
            assert line.text.startswith(f"  {line.kind.value}[")
    assert (view[-1].kind is LineKind.BLOCKED) is plan.is_blocked


def _styled_lines(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    plan = _plan(SCENARIOS / name)
    words = Diagnostics(list(plan.diagnostics))
    # A warning that quotes the words the old text-sniffing renderer keyed on.
    words.warning("custom", "stamp eu1 reports SHORT error[quota] in its tags")
    print_plan(dataclasses.replace(plan, diagnostics=words))
    return capsys.readouterr().out.splitlines()


def test_the_renderer_styles_lines_by_kind_not_by_the_words_in_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _styled_lines(capsys, monkeypatch, "quota-short")
    yellow, bold_red = "\x1b[33m", "\x1b[1;31m"
    (warning,) = [line for line in lines if "warning[custom]" in line]
    assert warning.startswith(yellow)
    (short,) = [line for line in lines if "gpt-4o: need 50" in line]
    assert short.startswith(bold_red)
    (creates,) = [line for line in lines if "tenant.stark.account  create" in line]
    assert creates.startswith("\x1b[32m")
    (detail,) = [line for line in lines if "need 50, limit 100" in line]
    assert not detail.startswith("\x1b[")  # a diagnostic's detail stays plain
