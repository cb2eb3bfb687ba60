"""``tenantctl emulator serve`` (the local Azure emulator in the foreground) and ``emulator traffic``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tenantctl.cli.common import Globals, Outcome, OutputOpt, VerboseOpt, run_command

__all__ = ["register"]

emulator_app = typer.Typer(help="The local HTTPS emulator of the Azure endpoints tenantctl uses.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(emulator_app, name="emulator")


@emulator_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0 = any free port).")] = 8443,
    host: Annotated[str, typer.Option(help="Address to bind; keep it on loopback.")] = "127.0.0.1",
    state: Annotated[
        Path, typer.Option(help="State directory (SQLite database, CA, keys); reused across restarts.")
    ] = Path(".tenantctl/emulator"),
    latency_ms: Annotated[float, typer.Option(min=0, help="Latency added to every ARM request.")] = 0.0,
    lro_seconds: Annotated[
        float, typer.Option(min=0, help="How long account and deployment writes stay in progress.")
    ] = 1.0,
    fault_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            help="Share of write requests answered with an injected fault (429, 500, dropped).",
        ),
    ] = 0.0,
    throttle: Annotated[bool, typer.Option(help="ARM token-bucket throttling (429 + Retry-After).")] = False,
    subscriptions: Annotated[
        int,
        typer.Option(
            min=1, max=1000, help="Subscriptions in the provider's directory (a pool), each with its own limits."
        ),
    ] = 1,
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Serve the emulator until Ctrl-C; prints the endpoint, CA, subscription and a ready service principal."""
    g = Globals(output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.cli.runtime import EmulatorServe, serve_emulator

        serve_emulator(
            EmulatorServe(state, host, port, latency_ms, lro_seconds, fault_rate, throttle, subscriptions),
            on_ready=lambda info: _print_connection_info(info, g),
        )
        return Outcome(rendered=True)  # the connection info was printed when the server came up

    run_command("emulator serve", g, body)


def _print_connection_info(info: dict[str, Any], g: Globals) -> None:
    if g.json:
        from tenantctl.render.envelope import Status, envelope, print_envelope

        print_envelope(envelope("emulator serve", Status.SUCCESS, 0, info))
        return
    from tenantctl.render.emulator import print_connection_info

    print_connection_info(info)


@emulator_app.command("traffic")
def traffic(
    days: Annotated[int, typer.Option(min=1, max=93, help="Days of usage, ending at the current hour.")] = 30,
    seed: Annotated[int, typer.Option(help="Same seed, same usage: every value derives from it.")] = 1,
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", help="A tenant behind the gateway (repeatable).")
    ] = None,
    tenant_count: Annotated[
        int, typer.Option(min=0, help="Also add this many gateway tenants named tenant-00001, tenant-00002, ...")
    ] = 0,
    state: Annotated[
        Path, typer.Option(help="State directory of the emulator (a running one picks the traffic up).")
    ] = Path(".tenantctl/emulator"),
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", "-f", help="Also every shared tenant of this manifest (the gateway's tenants)."),
    ] = None,
    output: OutputOpt = Globals.output,
    verbose: VerboseOpt = False,
) -> None:
    """Generate deterministic usage for every emulated deployment and the gateway's tenants.

    The shape of each series (steady, bursty, idle, throttled) follows from the seed and its name;
    the emulator's metrics and Log Analytics APIs answer from it, GET /_emulator/traffic gives the totals.
    """
    g = Globals(output=output, verbose=verbose)

    def body() -> Outcome:
        from tenantctl.cli.runtime import generate_emulator_traffic

        names = list(tenant or []) + [f"tenant-{i:05d}" for i in range(1, tenant_count + 1)]
        if manifest is not None:
            from tenantctl.reconcile import load_valid_manifest

            loaded, _ = load_valid_manifest(manifest)
            shared = [t for t, spec in sorted(loaded.tenants.items()) if spec.isolation.value == "shared"]
            names += [t for t in shared if t not in names]
        summary = generate_emulator_traffic(state.resolve(), days=days, seed=seed, tenants=names)

        def human() -> None:
            from tenantctl.render.emulator import print_traffic_summary

            print_traffic_summary(summary)

        return Outcome(data=summary, human=human)

    run_command("emulator traffic", g, body)
