"""`cdclake reconcile`: source and lake compared row for row."""

from __future__ import annotations

import sys

import click

from cdc.cli.common import log
from cdc.settings import get_settings
from lakehouse_schemas import load_contracts


@click.command("reconcile")
@click.argument("tables", nargs=-1)
def reconcile(tables: tuple[str, ...]) -> None:
    """Compare source and lake row for row; exit 1 on any difference."""
    # Lazy: pyspark is the slow import; the CLI's other commands do not pay for it.
    from spark_jobs.reconcile import reconcile as compare
    from spark_jobs.reconcile import source_snapshot
    from spark_jobs.session import build_session

    settings = get_settings()
    contracts = [c for c in load_contracts(settings.source.name) if not tables or c.table in tables or c.target_table in tables]
    spark = build_session(settings, "cdclake-reconcile", log)
    snap = source_snapshot(settings, contracts)
    click.echo(f"source read at {snap.binlog_file}:{snap.binlog_pos} (gtid {snap.gtid}); lake rows changed after it are in flight")
    diffs = compare(spark, settings, contracts, snapshot=snap)
    for d in diffs:
        click.echo(("ok   " if d.equal else "DIFF ") + d.summary())
        for key in d.differing_keys[:20]:
            click.echo(f"     differing key {key}")
    if not all(d.equal for d in diffs):
        sys.exit(1)
