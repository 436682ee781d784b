"""`cdclake lake sweep`: maintenance of the lake tables."""

from __future__ import annotations

import click

from cdc.cli.common import chosen_contracts, log
from cdc.settings import get_settings


@click.group("lake")
def lake() -> None:
    """Maintenance of the lake tables."""


@lake.command("sweep")
@click.option("--before", required=True, help="sort key printed by `cdclake capture resnapshot`")
@click.argument("tables", nargs=-1)
def lake_sweep(before: str, tables: tuple[str, ...]) -> None:
    """Delete rows the re-snapshot did not re-read (the source deleted them during the gap)."""
    # Lazy: pyspark is the slow import; the CLI's other commands do not pay for it.
    from spark_jobs.session import build_session
    from spark_jobs.sweep import sweep

    settings = get_settings()
    spark = build_session(settings, "cdclake-sweep", log)
    sweep(spark, chosen_contracts(tables), settings.lake_root, before, log=log)
