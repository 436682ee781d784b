"""`cdclake snapshot`: daily snapshot partitions built from the change history."""

from __future__ import annotations

import datetime as dt

import click

from cdc.cli.common import log, time_travel_contracts_of
from cdc.settings import get_settings


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-10-03") from exc


@click.command("snapshot")
@click.option("--date", "day", callback=_date, default=None, help="day to build (YYYY-MM-DD, in timetravel.day_zone)")
@click.option("--to", "to_day", callback=_date, default=None, help="last day of a range (inclusive)")
@click.option("--due", is_flag=True, help="build every ended day after each table's newest snapshot (what a day-boundary job runs)")
@click.option("--table", "tables", multiple=True, help="limit to these tables (repeatable)")
def snapshot(day: dt.date | None, to_day: dt.date | None, due: bool, tables: tuple[str, ...]) -> None:
    """Build or rebuild daily snapshot partitions from the change history (idempotent), then apply the retention."""
    # Lazy: pyspark is the slow import; the CLI's other commands do not pay for it.
    from spark_jobs import snapshot as snapshots
    from spark_jobs.session import build_session

    if not due and day is None:
        raise click.UsageError("give --date D [--to D2] or --due")
    settings = get_settings()
    contracts = time_travel_contracts_of(tables)
    spark = build_session(settings, "cdclake-snapshot", log)
    results = snapshots.build_due(spark, settings, contracts, log=log) if due else snapshots.build(spark, settings, contracts, day, to_day, log=log)
    for r in results:
        click.echo(f"{r.table} {r.day}: {r.action} ({r.rows} rows)")
