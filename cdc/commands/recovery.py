"""`cdclake capture backfill|gap|resnapshot` and `cdclake lake sweep`: operating the capture after the fact."""

from __future__ import annotations

import sys

import click

from cdc.commands.common import _friendly, _log
from cdc.settings import get_settings


def _contracts(tables: tuple[str, ...]):
    from lakehouse_schemas import load_contracts

    settings = get_settings()
    contracts = load_contracts(settings.source.name)
    if not tables:
        return contracts
    chosen = [c for c in contracts if c.table in tables or c.target_table in tables or c.qualified_source in tables]
    unknown = set(tables) - {n for c in chosen for n in (c.table, c.target_table, c.qualified_source)}
    if unknown:
        from cdc.errors import ConfigError

        raise ConfigError(f"no contract for table(s) {sorted(unknown)}", next_step="see `cdclake contracts list`")
    return chosen


@click.command("backfill")
@click.argument("tables", nargs=-1, required=True)
@click.option("--wait/--no-wait", default=True, help="block until Debezium reports the incremental snapshot completed")
@click.option("--timeout", default=1800.0, show_default=True, help="seconds to wait for completion")
@_friendly
def backfill_cmd(tables: tuple[str, ...], wait: bool, timeout: float) -> None:
    """Re-read TABLES from the source (Debezium incremental snapshot) while streaming goes on."""
    from cdc.capture.recovery import backfill, wait_backfill

    settings = get_settings()
    request = backfill(settings, _contracts(tables), log=_log)
    if wait:
        scanned = wait_backfill(settings, request, timeout_s=timeout, log=_log)
        click.echo(" ".join(f"{t}={n}" for t, n in sorted(scanned.items())))


@click.command("gap")
@_friendly
def gap_cmd() -> None:
    """Exit 1 with an alarm if the source purged binlogs the connector still needs."""
    from cdc.capture.recovery import binlog_gap

    gap = binlog_gap(get_settings())
    if gap is None:
        click.echo("no binlog gap: the connector's position is still on the source")
        return
    click.secho(gap.message(), fg="red", err=True)
    sys.exit(1)


@click.command("resnapshot")
@click.confirmation_option(prompt="Drop the connector's offsets and take a new initial snapshot into the existing topics?")
@_friendly
def resnapshot_cmd() -> None:
    """Recover from a binlog gap: new initial snapshot; prints the key for `cdclake lake sweep`."""
    from cdc.capture.recovery import resnapshot

    key = resnapshot(get_settings(), _contracts(()), log=_log)
    click.echo(key)


@click.group("lake")
def lake() -> None:
    """Maintenance of the lake tables."""


@lake.command("sweep")
@click.option("--before", required=True, help="sort key printed by `cdclake capture resnapshot`")
@click.argument("tables", nargs=-1)
@_friendly
def sweep_cmd(before: str, tables: tuple[str, ...]) -> None:
    """Delete rows the re-snapshot did not re-read (the source deleted them during the gap)."""
    from spark_jobs.session import build_session
    from spark_jobs.sweep import sweep

    settings = get_settings()
    spark = build_session(settings, "cdclake-sweep", _log)
    sweep(spark, _contracts(tables), settings.lake_root, before, log=_log)


def _attach_to_capture(main: click.Group) -> None:
    capture = main.commands["capture"]
    for cmd in (backfill_cmd, gap_cmd, resnapshot_cmd):
        capture.add_command(cmd)


commands = [lake]
attach = _attach_to_capture
