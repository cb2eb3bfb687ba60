"""``keys rotate``: rotate a dedicated tenant's account keys through the provider's Key Vault.

Never prints a key: the output names the key regenerated, the one now active and the vault secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenantctl.cli.common import EmulatorOpt, Globals, ManifestOpt, Outcome, OutputOpt, VerboseOpt, run_command
from tenantctl.cli.completion import complete_tenant_id
from tenantctl.cli.runtime import open_manifest_session

__all__ = ["register"]

keys_app = typer.Typer(
    help="Account keys of dedicated tenants with local_auth = true, kept in [provider.key_vault].",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    keys_app.command("rotate")(rotate)


def rotate(
    tenant: Annotated[
        str, typer.Argument(help="The tenant id, as in [tenants.<id>].", autocompletion=complete_tenant_id)
    ],
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
    emulator: EmulatorOpt = False,
) -> None:
    """Regenerate the key not in use, store it in the vault, then make it the active key.

    The active secret ({tenant}-openai-key) always holds a working key: a rotation stopped half-way leaves
    the previous key active, and running it again finishes it. The first run only stores both keys.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose, emulator=emulator)

    def body() -> Outcome:
        from tenantctl.execution.keys import rotate_tenant_keys
        from tenantctl.reconcile import load_valid_manifest

        loaded, warnings = load_valid_manifest(manifest)
        with open_manifest_session(emulator, loaded) as session:
            done = rotate_tenant_keys(loaded, session.cloud, tenant)
        data = {
            "tenant": done.tenant,
            "account": done.account.id,
            "vault_url": done.vault_url,
            "active_secret": done.active_secret,
            "active_key": done.active_key,
            "regenerated": done.regenerated,
            "version": done.version,
        }

        def human() -> None:
            from tenantctl.render.console import out_console

            what = f"regenerated {done.regenerated}; " if done.regenerated else "stored both keys; "
            out_console().print(
                f"{done.tenant}: {what}{done.active_key} is now the active key "
                f"(secret {done.active_secret} in {done.vault_url})",
                markup=False,
            )

        return Outcome(data=data, human=human, diagnostics=warnings)

    run_command("keys rotate", g, body)
