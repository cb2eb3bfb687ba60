"""``tenant add|set|remove``: scripted onboarding and offboarding edits of ``tenants.toml``.

Every edit goes through :mod:`tenantctl.manifest.edit`, so comments and the layout of everything
outside the edited tenant survive byte for byte; the edited manifest is validated before it is
written, and it is written atomically (temp file + rename).  No prompts: these run in pipelines.

Grammar
-------
``tenant add ID --isolation MODEL [options]``
    ``--deployment NAME[=MODEL:VERSION:SKU:CAPACITY]`` (repeatable); empty parts are inherited from
    ``[defaults]``: ``--deployment chat=::DataZoneStandard:20``.  Adding the same tenant with the same
    fields again is a no-op (exit 0, ``changed: false``); different fields are a conflict (exit 1).
``tenant set ID KEY=VALUE ... [--unset KEY ...]``
    ``KEY`` is a dotted path into the tenant: ``tpm``, ``protected``, ``network.public_access``,
    ``content_filter.blocklist``; ``deployments.NAME.FIELD`` reaches the deployment called ``NAME``
    (``deployments.chat.capacity=40``).  ``VALUE`` is a TOML literal (``30000``, ``false``,
    ``["a", "b"]``, ``[{ name = "chat", capacity = 20 }]``) and falls back to a plain string
    (``stamp=eu1``).  Setting ``isolation`` also drops keys the new model does not use (``stamp``,
    ``tpm`` ...), unless they are set in the same command.
``tenant remove ID``
    Refuses a protected tenant: unprotect it in a separate change first (``set ID protected=false``,
    apply), then remove it and ``apply --prune``.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tenantctl.cli.common import Globals, ManifestOpt, Outcome, OutputOpt, VerboseOpt, run_command, writing
from tenantctl.cli.completion import complete_tenant_id
from tenantctl.errors import ExitCode, UsageError

__all__ = ["parse_deployment", "parse_value", "register"]

tenant_app = typer.Typer(
    name="tenant",
    help="Add, change or remove a tenant in the manifest (comments and layout are kept).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_DEPLOYMENT_FIELDS = ("model", "version", "sku", "capacity")


def register(app: typer.Typer) -> None:
    app.add_typer(tenant_app, name="tenant")


def parse_value(raw: str) -> Any:
    """A TOML literal (``30000``, ``false``, ``["a"]``, ``{ k = 1 }``), else the text as a string.

    Date-like values stay strings."""
    from tenantctl.manifest._toml import tomllib

    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    except RecursionError:  # `[[[[…` thousands deep: the parser recurses once per level
        raise UsageError(
            f"the value {raw[:20]!r}… is nested too deeply",
            code="too-deep",
            hint="Nothing in the manifest nests this deep.",
        ) from None
    # The manifest has no date fields, but model versions look like dates (version=2024-11-20).
    return raw if isinstance(value, (datetime.date, datetime.time)) else value


def parse_deployment(raw: str) -> dict[str, Any]:
    """``NAME[=MODEL:VERSION:SKU:CAPACITY]`` -> a deployment table; empty parts are left out."""
    name, _, rest = raw.partition("=")
    if not name:
        raise UsageError(
            f"--deployment {raw!r} has no name",
            code="bad-deployment",
            hint="Write NAME[=MODEL:VERSION:SKU:CAPACITY], e.g. chat=gpt-4o:2024-11-20:Standard:10.",
        )
    spec: dict[str, Any] = {"name": name}
    parts = rest.split(":") if rest else []
    if len(parts) > len(_DEPLOYMENT_FIELDS):
        raise UsageError(
            f"--deployment {raw!r} has more than {len(_DEPLOYMENT_FIELDS)} ':'-separated parts",
            code="bad-deployment",
            hint="Write NAME[=MODEL:VERSION:SKU:CAPACITY].",
        )
    for key, part in zip(_DEPLOYMENT_FIELDS, parts, strict=False):
        if not part:
            continue
        if key == "capacity":
            if not part.isdigit():
                raise UsageError(
                    f"--deployment {raw!r}: capacity {part!r} is not a whole number", code="bad-deployment"
                )
            spec[key] = int(part)
        else:
            spec[key] = part
    return spec


def _read(path: Path) -> str:
    from tenantctl.manifest.load import read_manifest_bytes

    try:
        return read_manifest_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"manifest {path} does not exist", code="file-not-found", hint="Create one with `tenantctl init`."
        ) from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"manifest {path} is not UTF-8 text (byte {exc.start + 1})",
            code="encoding",
            hint="TOML files must be UTF-8; re-save the file as UTF-8.",
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read manifest {path}: {exc.strerror or exc}", code="file-unreadable") from None
    except ValueError as exc:  # a directory, a named pipe, a device, too large
        raise UsageError(f"cannot read manifest {path}: {exc}", code="file-unreadable") from None


def _one_edit_at_a_time(manifest: Path, body: Callable[[], Outcome]) -> Callable[[], Outcome]:
    """Run ``body`` (read, edit, write) holding an exclusive lock on the manifest's directory, so two
    edits at once (an onboarding script run in parallel) never lose one another's change. The write is
    a rename, so the lock cannot be on the manifest file itself; locking the directory creates nothing."""

    def locked() -> Outcome:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; edits are still atomic
            return body()
        try:
            # The directory of the file the edit replaces: through a symlink, that is the target's.
            fd = os.open(os.path.dirname(os.path.realpath(manifest)), os.O_RDONLY)
        except OSError:
            return body()  # the read reports what is wrong with the path
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # edits take milliseconds: wait for the one in progress
            return body()
        finally:
            os.close(fd)

    return locked


def _current(text: str, tenant_id: str) -> dict[str, Any] | None:
    """The tenant as plain data (``None`` when absent or the file is not TOML)."""
    from tenantctl.manifest._toml import tomllib

    try:
        tenants = tomllib.loads(text).get("tenants")
    except tomllib.TOMLDecodeError:
        return None
    found = tenants.get(tenant_id) if isinstance(tenants, dict) else None
    return found if isinstance(found, dict) else None


def _finish(command: str, g: Globals, tenant_id: str, text: str, result: Any, verb: str) -> Outcome:
    """Write the edited manifest (only if it changed) and describe the tenant afterwards."""
    from tenantctl.manifest.edit import tenant_text, write_atomically

    diagnostics = _in_file(result.diagnostics, g.manifest)
    if result.text is None:
        return Outcome(
            data={"tenant": tenant_id, "changed": False, "toml": None},
            diagnostics=diagnostics,
            exit_code=ExitCode.ERROR,
        )
    if result.changed:
        with writing(g.manifest, "manifest"):
            write_atomically(g.manifest, result.text)
    table = tenant_text(result.text, tenant_id)

    def human() -> None:
        from rich.markup import escape

        from tenantctl.render.console import out_console

        console = out_console()
        if result.changed:
            console.print(f"[success]✓[/success] {verb} tenant {tenant_id} in {g.manifest}.")
        else:
            console.print(f"Tenant {tenant_id} is already as requested; {g.manifest} is unchanged.")
        if table:
            console.print(escape(table.rstrip("\n")))
        if result.changed:
            console.print(
                "Next: review with `tenantctl plan`"
                + (", then `tenantctl apply --prune`." if verb == "Removed" else ", then `tenantctl apply`.")
            )

    warnings = type(diagnostics)([d for d in diagnostics if not d.is_error])
    return Outcome(
        data={"tenant": tenant_id, "changed": result.changed, "toml": table}, human=human, diagnostics=warnings
    )


def _in_file(diagnostics: Any, manifest: Path) -> Any:
    """The edit checks the new text under a placeholder name; report the file the user named."""
    import dataclasses

    return type(diagnostics)([dataclasses.replace(d, file=str(manifest)) for d in diagnostics])


@tenant_app.command("add")
def add(
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="Tenant id (2–24: lower-case letters, digits, '-').")],
    isolation: Annotated[str, typer.Option(help="dedicated | dedicated-deployment | shared | tenant-provided.")],
    stamp: Annotated[str | None, typer.Option(help="dedicated-deployment, shared: the stamp.")] = None,
    location: Annotated[str | None, typer.Option(help="dedicated: the region.")] = None,
    deployment: Annotated[
        list[str] | None,
        typer.Option(
            "--deployment",
            "-d",
            metavar="NAME[=MODEL:VERSION:SKU:CAPACITY]",
            help="A deployment (repeatable); empty parts come from [defaults].",
        ),
    ] = None,
    tpm: Annotated[int | None, typer.Option(help="shared: tokens-per-minute budget.")] = None,
    shared_deployment: Annotated[
        list[str] | None,
        typer.Option("--shared-deployment", help="shared: stamp deployments the budget covers (repeatable)."),
    ] = None,
    stamp_account: Annotated[
        int | None,
        typer.Option(help="shared: the stamp account (from 1) it lives on; default: balanced by budget."),
    ] = None,
    directory: Annotated[str | None, typer.Option(help="tenant-provided: the tenant's Entra tenant id.")] = None,
    resource_id: Annotated[str | None, typer.Option(help="tenant-provided: ARM id of its account.")] = None,
    expect_deployment: Annotated[
        list[str] | None,
        typer.Option("--expect-deployment", help="tenant-provided: a deployment that must exist (repeatable)."),
    ] = None,
    protected: Annotated[bool, typer.Option("--protected", help="Never deleted, even with --prune.")] = False,
    residency: Annotated[str | None, typer.Option(help="Geography data must stay in (e.g. eu).")] = None,
    display_name: Annotated[str | None, typer.Option(help="Human-readable name.")] = None,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Add a tenant; the same add again is a no-op, a different one a conflict."""
    g = Globals(manifest=manifest, output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.manifest.edit import add_tenant

        # Key order is the order a person would write them in; the table is appended as written.
        candidates: list[tuple[str, Any]] = [
            ("isolation", isolation),
            ("display_name", display_name),
            ("location", location),
            ("stamp", stamp),
            ("residency", residency),
            ("protected", True if protected else None),
            ("tpm", tpm),
            ("shared_deployments", list(shared_deployment) if shared_deployment else None),
            ("directory", directory),
            ("resource_id", resource_id),
            ("expect_deployments", list(expect_deployment) if expect_deployment else None),
            ("deployments", [parse_deployment(d) for d in deployment] if deployment else None),
        ]
        fields = {key: value for key, value in candidates if value is not None}
        text = _read(manifest)
        fields.update(_shared_pin(text, tenant_id, fields, stamp_account))
        return _finish("tenant add", g, tenant_id, text, add_tenant(text, tenant_id, fields), "Added")

    run_command("tenant add", g, _one_edit_at_a_time(manifest, body))


def _shared_pin(text: str, tenant_id: str, fields: dict[str, Any], given: int | None) -> dict[str, Any]:
    """A shared tenant's ``stamp_account``: as given, else pinned now (balanced by budget) so it never moves."""
    from tenantctl.manifest.shared_accounts import pin_for_added_tenant

    if given is not None:
        return {"stamp_account": given}
    stamp, tpm = fields.get("stamp"), fields.get("tpm")
    if fields.get("isolation") != "shared" or not isinstance(stamp, str) or not isinstance(tpm, int) or tpm <= 0:
        return {}
    pin = pin_for_added_tenant(text, tenant_id, stamp, tpm, tuple(fields.get("shared_deployments") or ()))
    return {} if pin is None else {"stamp_account": pin}


def _assignments(pairs: list[str], unset: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` and ``--unset KEY`` as the dotted assignments edit.set_tenant_fields takes."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(
                f"{pair!r} is not KEY=VALUE",
                code="bad-assignment",
                hint="For example: tpm=30000, protected=false, deployments.chat.capacity=40.",
            )
        out[_checked_key(key.strip(), pair)] = parse_value(raw.strip())
    out.update({_checked_key(key.strip(), f"--unset {key}"): None for key in unset})
    return out


_KEY_PART = re.compile(r"[A-Za-z0-9_-]+")


def _checked_key(key: str, given: str) -> str:
    """A dotted key of bare TOML names (``network.public_access``); ``a..b``, ``.x`` or ``a b`` are typos."""
    if not all(_KEY_PART.fullmatch(part) for part in key.split(".")):
        raise UsageError(
            f"{given!r}: {key!r} is not a dotted key" if key else f"{given!r} has no key",
            code="bad-assignment",
            hint="Keys are names joined by single dots, e.g. tpm, network.public_access, deployments.chat.capacity.",
        )
    return key


@tenant_app.command("set")
def set_(
    tenant_id: Annotated[
        str, typer.Argument(metavar="ID", help="The tenant to change.", autocompletion=complete_tenant_id)
    ],
    assignments: Annotated[
        list[str] | None,
        typer.Argument(metavar="KEY=VALUE...", help="Dotted keys; values are TOML literals (strings need no quotes)."),
    ] = None,
    unset: Annotated[
        list[str] | None, typer.Option("--unset", metavar="KEY", help="Remove a key (repeatable).")
    ] = None,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Change fields of a tenant, e.g. tpm=30000 protected=false deployments.chat.capacity=40.

    KEY is a dotted path (network.public_access); deployments.NAME.FIELD reaches the deployment
    called NAME. VALUE is a TOML literal (30000, false, ["a"], { k = 1 }), else a plain string.
    Setting isolation drops the keys the new model does not use (stamp, tpm ...) unless they are
    set in the same command. The manifest is validated before it is written, atomically.
    """
    g = Globals(manifest=manifest, output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.manifest.edit import set_tenant_fields

        if not assignments and not unset:
            raise UsageError("nothing to set", code="bad-assignment", hint="Give KEY=VALUE pairs or --unset KEY.")
        wanted = _assignments(list(assignments or ()), list(unset or ()))
        text = _read(manifest)
        return _finish("tenant set", g, tenant_id, text, set_tenant_fields(text, tenant_id, wanted), "Changed")

    run_command("tenant set", g, _one_edit_at_a_time(manifest, body))


@tenant_app.command("remove")
def remove(
    tenant_id: Annotated[
        str, typer.Argument(metavar="ID", help="The tenant to remove.", autocompletion=complete_tenant_id)
    ],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A tenant already gone is not an error.")] = False,
    manifest: ManifestOpt = Path("tenants.toml"),
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Remove a tenant from the manifest; `apply --prune` then deletes its resources."""
    g = Globals(manifest=manifest, output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.manifest.edit import EditResult, remove_tenant

        text = _read(manifest)
        current = _current(text, tenant_id)
        if current is None and if_exists:
            return _finish("tenant remove", g, tenant_id, text, EditResult(text), "Removed")
        if current is not None and current.get("protected") is True:
            raise UsageError(
                f"tenant {tenant_id!r} is protected: unprotect it in a separate change first",
                code="protected",
                hint=f"`tenantctl tenant set {tenant_id} protected=false` and apply it; then remove the tenant "
                "and `tenantctl apply --prune`.",
            )
        return _finish("tenant remove", g, tenant_id, text, remove_tenant(text, tenant_id), "Removed")

    run_command("tenant remove", g, _one_edit_at_a_time(manifest, body))
