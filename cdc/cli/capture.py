"""`cdclake capture ...`: the Debezium connector (render, register, status, wait, reset) and recovery
after the fact (backfill, gap, resnapshot)."""

from __future__ import annotations

import json
import sys

import click

from cdc.capture.debezium import ConnectClient, connector_name, lag, register, render, reset, wait_caught_up
from cdc.capture.recovery import backfill, binlog_gap, resnapshot, wait_backfill
from cdc.cli.common import chosen_contracts, log
from cdc.settings import get_settings
from lakehouse_schemas import load_contracts


@click.group("capture")
def capture() -> None:
    """Debezium capture: render, register, status, lag."""


@capture.command("render")
@click.option("--target", type=click.Choice(["local", "msk"]), default="local", show_default=True)
@click.option("--secret-arn", default=None, help="Secrets Manager ARN of the source password (msk)")
def capture_render(target: str, secret_arn: str | None) -> None:
    """Print the connector config rendered from the contracts (the JSON MSK Connect gets)."""
    settings = get_settings()
    click.echo(json.dumps(render(settings, load_contracts(settings.source.name), target=target, secret_arn=secret_arn), indent=2))


@capture.command("register")
def capture_register() -> None:
    """Register (or update) the Debezium connector through the Kafka Connect REST API; starts the initial snapshot."""
    settings = get_settings()
    register(settings, load_contracts(settings.source.name), log=log)
    click.echo("connector running")


@capture.command("status")
def capture_status() -> None:
    """Connector state and replication lag (binlog position of the source vs the connector)."""
    settings = get_settings()
    st = ConnectClient(settings).status(connector_name(settings))
    if not st:
        click.echo(f"connector {connector_name(settings)} is not registered: run `cdclake capture register`")
        sys.exit(1)
    click.echo(f"connector {st['name']}: {st['connector']['state']}; tasks: {[t['state'] for t in st['tasks']]}")
    info = lag(settings)
    click.echo(
        f"source at {info['source'][0]}:{info['source'][1]}; connector at "
        f"{(info['connector'][0] + ':' + str(info['connector'][1])) if info['connector'] else 'no offset yet'}; "
        f"{'caught up' if info['caught_up'] else 'behind'}"
        + (f" ({info['bytes_behind']} bytes)" if info["bytes_behind"] else "")
        + (f" ({info['files_behind']} binlog files)" if info["files_behind"] else "")
    )


@capture.command("wait")
@click.option("--timeout", default=300.0, show_default=True)
def capture_wait(timeout: float) -> None:
    """Block until Debezium has published every change committed so far."""
    info = wait_caught_up(get_settings(), timeout_s=timeout, log=log)
    click.echo(f"caught up through transaction(s) {', '.join(info['transactions'])}")


@capture.command("reset")
@click.confirmation_option(prompt="Delete the connector, its offsets and all its topics?")
def capture_reset() -> None:
    """Forget the capture of this source (connector, offsets, topics): the next register re-snapshots."""
    reset(get_settings(), log=log)


@capture.command("backfill")
@click.argument("tables", nargs=-1, required=True)
@click.option("--wait/--no-wait", default=True, help="block until Debezium reports the incremental snapshot completed")
@click.option("--timeout", default=1800.0, show_default=True, help="seconds to wait for completion")
def capture_backfill(tables: tuple[str, ...], wait: bool, timeout: float) -> None:
    """Re-read TABLES from the source (Debezium incremental snapshot) while streaming goes on."""
    settings = get_settings()
    request = backfill(settings, chosen_contracts(tables), log=log)
    if wait:
        scanned = wait_backfill(settings, request, timeout_s=timeout, log=log)
        click.echo(" ".join(f"{t}={n}" for t, n in sorted(scanned.items())))


@capture.command("gap")
def capture_gap() -> None:
    """Exit 1 with an alarm if the source purged binlogs the connector still needs."""
    gap = binlog_gap(get_settings())
    if gap is None:
        click.echo("no binlog gap: the connector's position is still on the source")
        return
    click.secho(gap.message(), fg="red", err=True)
    sys.exit(1)


@capture.command("resnapshot")
@click.confirmation_option(prompt="Drop the connector's offsets and take a new initial snapshot into the existing topics?")
def capture_resnapshot() -> None:
    """Recover from a binlog gap: new initial snapshot; prints the key for `cdclake lake sweep`."""
    key = resnapshot(get_settings(), chosen_contracts(()), log=log)
    click.echo(key)
