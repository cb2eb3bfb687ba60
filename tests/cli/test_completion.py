"""Shell completion through the real protocol: the script a shell sources, and the environment
variables it calls tenantctl back with (``_TENANTCTL_COMPLETE=complete_<shell>``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, REPO

BIN = Path(sys.executable).parent  # the venv's bin: `tenantctl` as a shell finds it

MANIFEST = """schema = 1
[provider]
subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg"
location = "swedencentral"
name_prefix = "ctso"
[tenants.acme]
isolation = "dedicated"
[tenants.adatum]
isolation = "dedicated"
[tenants.globex]
isolation = "dedicated"
"""


def _complete(shell: str, words: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """What the sourced script runs on TAB for ``words`` (the command line up to the cursor)."""
    protocol = {
        "bash": {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)},
        "zsh": {"_TYPER_COMPLETE_ARGS": words},
        "fish": {"_TYPER_COMPLETE_ARGS": words, "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
    }[shell]
    environment = {**os.environ, **protocol, **env, "_TENANTCTL_COMPLETE": f"complete_{shell}"}
    environment.pop("TENANTCTL_MANIFEST", None) if "TENANTCTL_MANIFEST" not in env else None
    return subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [str(BIN / "tenantctl")], capture_output=True, text=True, env=environment, cwd=cwd, timeout=30
    )


@pytest.fixture
def manifest_dir(tmp_path: Path) -> Path:
    (tmp_path / "tenants.toml").write_text(MANIFEST)
    return tmp_path


@pytest.mark.parametrize(
    "words",
    ["tenantctl inspect a", "tenantctl tenant set a", "tenantctl tenant remove a", "tenantctl plan --tenant a"],
)
def test_bash_completes_tenant_ids_of_the_manifest_for_every_command_taking_a_tenant(
    manifest_dir: Path, words: str
) -> None:
    result = _complete("bash", words, manifest_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["acme", "adatum"]
    assert result.stderr == ""


def test_zsh_and_fish_complete_tenant_ids_too(manifest_dir: Path) -> None:
    zsh = _complete("zsh", "tenantctl apply -t g", manifest_dir)
    assert "globex" in zsh.stdout
    assert "acme" not in zsh.stdout
    fish = _complete("fish", "tenantctl inspect ", manifest_dir)
    assert fish.stdout.split() == ["acme", "adatum", "globex"]


def test_the_manifest_named_by_f_or_the_environment_is_the_one_completed_from(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "fleet.toml").write_text(MANIFEST.replace("acme", "acmecorp"))
    given = _complete("bash", "tenantctl inspect -f team/fleet.toml ac", tmp_path)
    assert given.stdout.split() == ["acmecorp"]
    from_env = _complete("bash", "tenantctl inspect ac", tmp_path, TENANTCTL_MANIFEST="team/fleet.toml")
    assert from_env.stdout.split() == ["acmecorp"]


@pytest.mark.parametrize(
    "content",
    [b"[tenants.acme\nbroken = ", b"\xff\xfe not utf-8", b"tenants = 5", b"x = " + b"[" * 5000, b""],
)
def test_a_broken_or_missing_manifest_completes_nothing_and_says_nothing(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "tenants.toml").write_bytes(content)
    result = _complete("bash", "tenantctl inspect ", tmp_path)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", "")
    (tmp_path / "tenants.toml").unlink()
    os.mkfifo(tmp_path / "tenants.toml")  # a FIFO nobody writes to would hang a reader: not read at all
    hung = _complete("bash", "tenantctl inspect ", tmp_path)
    assert (hung.returncode, hung.stdout.strip(), hung.stderr) == (0, "", "")


def test_completing_loads_no_azure_sdk_nor_the_manifest_model(manifest_dir: Path) -> None:
    code = (
        "import sys\n"
        "from tenantctl.cli.app import run\n"
        "try:\n    run([])\nexcept SystemExit:\n    pass\n"
        "heavy = ('azure', 'msal', 'tenantctl.manifest.model', 'tenantctl.cloud.azure')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    env = {**os.environ, "_TENANTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "tenantctl inspect a", "COMP_CWORD": "2"}
    result = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=manifest_dir, timeout=30
    )
    assert result.stdout.split() == ["acme", "adatum"]
    assert "LOADED []" in result.stderr


def test_commands_and_options_complete_as_well(manifest_dir: Path) -> None:
    assert "inspect" in _complete("bash", "tenantctl ins", manifest_dir).stdout.split()
    assert "--lock-timeout" in _complete("bash", "tenantctl apply --lock", manifest_dir).stdout.split()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_that_calls_tenantctl_back(shell: str) -> None:
    result = subprocess.run(
        [str(BIN / "tenantctl"), "completion", shell], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "_TENANTCTL_COMPLETE=complete_" + shell in result.stdout
    assert result.stderr == ""


def test_the_bash_script_sourced_in_bash_offers_the_tenant_ids(manifest_dir: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    script = (
        "source <(tenantctl completion bash)\n"
        "COMP_WORDS=(tenantctl inspect a); COMP_CWORD=2\n"
        "_tenantctl_completion tenantctl\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        ["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, cwd=manifest_dir, timeout=30
    )
    assert result.stdout.split() == ["acme", "adatum"], result.stderr


def test_an_unknown_shell_is_a_clear_usage_error(manifest_dir: Path) -> None:
    result = subprocess.run([str(BIN / "tenantctl"), "completion", "tcsh"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "bash" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_example_manifest_completes_its_tenants(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "tenants.toml", tmp_path / "tenants.toml")
    ids = _complete("bash", "tenantctl inspect ", tmp_path).stdout.split()
    assert len(ids) > 5
    assert ids == sorted(ids)
