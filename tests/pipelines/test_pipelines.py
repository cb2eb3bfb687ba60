"""The example pipelines only run tenantctl commands and options that exist, and follow the safe flow.

Every ``tenantctl ...`` line in a ``run:`` / ``script:`` / ``inlineScript:`` of examples/pipelines/*.yml is
split like a shell would and checked against the real CLI (typer's click tree): the sub-command path
exists, every option is one of that command's options, and literal values of choice options are valid.
The walk is duck-typed (``commands``, ``params``, ``opts``): typer ≥ 0.2x ships its own copy of click.
"""

from __future__ import annotations

import enum
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tenantctl.cli.app import app

PIPELINES = Path(__file__).resolve().parents[2] / "examples" / "pipelines"
FILES = sorted(PIPELINES.glob("*.yml"))
SCRIPT_KEYS = {"run", "script", "inlineScript", "bash"}


def _scripts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS and isinstance(value, str):
                yield value
            else:
                yield from _scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _scripts(item)


def tenantctl_commands(document: Any) -> list[list[str]]:
    """Each tenantctl invocation as argv (after ``tenantctl``), shell redirections and pipes cut off."""
    commands = []
    for script in _scripts(document):
        for line in script.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[0] != "tenantctl":
                continue
            argv = []
            for word in words[1:]:
                if word in {">", ">>", "|", "||", "&&", ";", "2>&1"} or word.startswith((">", "2>")):
                    break
                argv.append(word)
            commands.append(argv)
    return commands


def _is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def resolve(argv: list[str]) -> tuple[Any, list[str], list[str]]:
    """(command, its path, remaining args) by walking the click tree of the real CLI."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    rest = list(argv)
    while _is_group(command) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"tenantctl {' '.join([*path, name])}: no such command"
        command, path = sub, [*path, name]
    assert not _is_group(command), f"tenantctl {' '.join(path)} needs a sub-command"
    return command, path, rest


def check_options(command: Any, path: list[str], rest: list[str]) -> None:
    options = {opt: p for p in command.params if p.param_type_name == "option" for opt in (*p.opts, *p.secondary_opts)}
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    positional = 0
    i = 0
    while i < len(rest):
        word = rest[i]
        i += 1
        if not word.startswith("-"):
            positional += 1
            continue
        name, eq, inline = word.partition("=")
        param = options.get(name)
        assert param is not None, f"tenantctl {' '.join(path)}: no option {name} (has {sorted(options)})"
        if param.is_flag:
            assert not eq, f"{name} is a flag and takes no value"
            continue
        value = inline if eq else (rest[i] if i < len(rest) else None)
        i += 0 if eq else 1
        assert value is not None, f"tenantctl {' '.join(path)}: {name} needs a value"
        choices = _choices(param)
        if choices is not None and "$" not in value:
            assert value in choices, f"{name} {value!r} not in {choices}"
    assert positional <= len(arguments), f"tenantctl {' '.join(path)}: unexpected arguments in {rest}"


def _choices(param: Any) -> list[str] | None:
    """The values an enum/choice option accepts (typer's own click keeps the enum on its descriptor)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    choices = getattr(getattr(param, "type", None), "choices", None)
    return [str(getattr(c, "value", c)) for c in choices] if choices is not None else None


@pytest.fixture(params=FILES, ids=[f.name for f in FILES])
def pipeline(request: pytest.FixtureRequest) -> tuple[Path, Any]:
    path: Path = request.param
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_both_pipelines_exist() -> None:
    assert {f.name for f in FILES} >= {"github-actions.yml", "azure-pipelines.yml"}
    assert (PIPELINES / "README.md").exists()


def test_every_tenantctl_command_in_a_pipeline_exists_with_those_options(pipeline: tuple[Path, Any]) -> None:
    path, document = pipeline
    commands = tenantctl_commands(document)
    assert commands, f"{path.name} runs no tenantctl command"
    for argv in commands:
        command, sub, rest = resolve(argv)
        check_options(command, sub, rest)


def test_pipelines_validate_plan_with_a_saved_json_plan_and_apply_exactly_it(pipeline: tuple[Path, Any]) -> None:
    path, document = pipeline
    commands = tenantctl_commands(document)
    names = [resolve(argv)[1] for argv in commands]
    assert ["validate"] in names
    plans = [argv for argv in commands if resolve(argv)[1] == ["plan"] and "--out" in argv]
    assert plans, f"{path.name}: no saved plan"
    assert all({"--detailed-exitcode", "-o", "json"} <= set(argv) for argv in plans)
    applies = [argv for argv in commands if resolve(argv)[1] == ["apply"]]
    assert applies, f"{path.name}: no apply"
    for argv in applies:
        assert {"--plan", "--auto-approve", "--lock-timeout"} <= set(argv), argv


def test_github_actions_uses_oidc_and_applies_only_on_main() -> None:
    document = yaml.safe_load((PIPELINES / "github-actions.yml").read_text(encoding="utf-8"))
    jobs = document["jobs"]
    for job in jobs.values():
        assert job["permissions"]["id-token"] == "write"
        logins = [s for s in job["steps"] if str(s.get("uses", "")).startswith("azure/login@")]
        assert logins
        assert all(
            "client-secret" not in (s.get("with") or {}) and "creds" not in (s.get("with") or {}) for s in logins
        )
    assert "refs/heads/main" in jobs["apply"]["if"]
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    triggers = document.get("on", document.get(True))
    assert "pull_request" in triggers


def test_azure_pipelines_uses_a_federated_service_connection_and_applies_only_on_main() -> None:
    text = (PIPELINES / "azure-pipelines.yml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    tasks = [s for s in _steps(document) if str(s.get("task", "")).startswith("AzureCLI@2")]
    assert tasks
    assert all(t["inputs"]["azureSubscription"] == "$(serviceConnection)" for t in tasks)
    assert "Workload identity federation" in text
    apply_stage = next(s for s in document["stages"] if s["stage"] == "Apply")
    assert "refs/heads/main" in apply_stage["condition"]


def _steps(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "steps" in node and isinstance(node["steps"], list):
            yield from (s for s in node["steps"] if isinstance(s, dict))
        for value in node.values():
            yield from _steps(value)
    elif isinstance(node, list):
        for item in node:
            yield from _steps(item)


def test_the_checker_rejects_an_unknown_option_and_command() -> None:
    command, path, rest = resolve(["plan", "--detailed-exit-code"])
    with pytest.raises(AssertionError, match="no option"):
        check_options(command, path, rest)
    with pytest.raises(AssertionError, match="no such command"):
        resolve(["deploy"])
    command, path, rest = resolve(["plan", "-o", "yaml"])
    with pytest.raises(AssertionError, match="not in"):
        check_options(command, path, rest)
