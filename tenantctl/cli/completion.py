"""Shell completion for bash, zsh and fish: ``tenantctl completion SHELL`` prints the script.

The script calls tenantctl back with ``_TENANTCTL_COMPLETE=complete_<shell>`` (typer's protocol), and
:func:`complete_tenant_id` offers the tenant ids of the manifest for every argument or option that
names a tenant. It runs on every TAB press, so it reads only the TOML's ``[tenants]`` keys (stdlib
tomllib, no validation, no Azure SDK) and offers nothing, silently, when the manifest is missing,
unreadable or broken: a completion must never print an error into the user's command line.

Typer's own ``--install-completion`` stays off: it guesses the shell and edits the user's shell rc
files. Printing the script lets people and packagers put it where their shell looks for it.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["COMPLETE_VAR", "complete_tenant_id", "prepare_completion", "register", "tenant_ids"]

COMPLETE_VAR = "_TENANTCTL_COMPLETE"
_MAX_BYTES = 16 * 1024 * 1024  # a manifest of 10,000 tenants is a few MB; more is not a manifest


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command("completion")(completion)


def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script (commands, options, and tenant ids from the manifest).

    bash:  tenantctl completion bash > ~/.local/share/bash-completion/completions/tenantctl
    zsh:   tenantctl completion zsh > "${fpath[1]}/_tenantctl"
    fish:  tenantctl completion fish > ~/.config/fish/completions/tenantctl.fish
    Or, for the current shell only: eval "$(tenantctl completion bash)" (fish: ... | source).
    """
    from typer.completion import shell_complete

    prepare_completion()
    root = ctx.find_root()
    code = shell_complete(root.command, {}, root.info_name or "tenantctl", COMPLETE_VAR, f"source_{shell.value}")
    raise typer.Exit(code)


def prepare_completion() -> None:
    """Use typer's completion classes (its scripts and its ``complete_<shell>`` protocol) for every shell."""
    # Where typer defines it (typer.completion only re-imports it); typer calls it itself only when
    # add_completion is on, which would also add --install-completion.
    from typer._completion_classes import completion_init

    completion_init()


def complete_tenant_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """The manifest's tenant ids that start with what is typed (the manifest is -f, else the default)."""
    manifest = ctx.params.get("manifest") or os.environ.get("TENANTCTL_MANIFEST") or "tenants.toml"
    return [tenant for tenant in tenant_ids(Path(manifest)) if tenant.startswith(incomplete)]


def tenant_ids(manifest: Path) -> list[str]:
    """The keys of ``[tenants]``, sorted; [] for anything that is not a readable TOML manifest."""
    from tenantctl.manifest._toml import tomllib

    try:
        # A regular file only: a FIFO or a device would block or never end while the user waits on TAB.
        if not manifest.is_file() or manifest.stat().st_size > _MAX_BYTES:
            return []
        document = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except Exception:  # broken TOML, bad UTF-8, too deep, unreadable: offer nothing, say nothing
        return []
    tenants = document.get("tenants")
    return sorted(tenants) if isinstance(tenants, dict) else []
