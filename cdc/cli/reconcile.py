"""`cdclake reconcile`: source and lake compared in checksummed key-range chunks."""

from __future__ import annotations

import sys

import click

from cdc.settings import get_settings


@click.command("reconcile")
@click.argument("tables", nargs=-1)
@click.option("--sample", default=None, help="check a deterministic sample of each table's chunks, e.g. 1% (default: all, an audit)")
@click.option("--chunk-rows", default=50_000, show_default=True, help="rows per key-range chunk (bounds the memory of a row-by-row check)")
def reconcile(tables: tuple[str, ...], sample: str | None, chunk_rows: int) -> None:
    """Compare source and lake in checksummed key-range chunks; exit 1 on any difference."""
    # Lazy: pyspark is the slow import; the CLI's other commands do not pay for it.
    from spark_jobs.reconcile_cli import run_reconcile

    if not run_reconcile(get_settings(), tables, sample=sample, chunk_rows=chunk_rows, log=click.echo):
        sys.exit(1)
