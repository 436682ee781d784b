"""`cdclake events decode`: change messages as the pipeline sees them."""

from __future__ import annotations

import sys

import click

from cdc.cli.common import log
from cdc.decoders.inspect import decode_messages
from lakehouse_schemas import load_contracts


@click.group("events")
def events() -> None:
    """Inspect change messages as the pipeline sees them."""


@events.command("decode")
@click.option("--format", "fmt", type=click.Choice(["debezium", "dms"]), default="debezium", show_default=True)
@click.option("--table", default=None, help="source table (Database.Table) whose contract converts the values")
@click.argument("files", nargs=-1, type=click.File("rb"))
def events_decode(fmt: str, table: str | None, files) -> None:
    """Decode FILES (one message per file, or one per line; - for stdin) into one JSON object per line.

    Without a contract the envelope is shown as it is and the key is null (a note on stderr says why).
    Exit 1 when any message cannot be decoded (its line says why).
    """
    contracts = load_contracts()
    if table and table not in {c.qualified_source for c in contracts}:
        raise click.BadParameter(f"no contract for {table}", param_hint="--table")
    blobs = ((getattr(fh, "name", "-"), fh.read()) for fh in files or (click.get_binary_stream("stdin"),))
    failed = 0
    for line, ok in decode_messages(fmt, contracts, blobs, table, note=log):
        failed += not ok
        click.echo(line)
    if failed:
        sys.exit(1)
