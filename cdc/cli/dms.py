"""`cdclake dms render|apply`: the AWS DMS task for the source's DMS contracts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cdc.capture.dms import apply, render
from cdc.cli.common import log
from cdc.settings import get_settings
from lakehouse_schemas import load_contracts


@click.group("dms")
def dms() -> None:
    """AWS DMS capture: task settings, table mappings and the Kafka endpoint, from the contracts."""


@dms.command("render")
@click.option("--source", default=None, help="source name (default: CDCLAKE_SOURCE__NAME)")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None, help="write one JSON file each here")
def dms_render(source: str | None, out: Path | None) -> None:
    """Print (or write to --out) task-settings.json, table-mappings.json and kafka-settings.json."""
    settings = get_settings()
    name = source or settings.source.name
    config = render(load_contracts(name), settings.dms, source=name)
    files = {
        "task-settings.json": config.task_settings,
        "table-mappings.json": config.table_mappings,
        "kafka-settings.json": config.kafka_settings,
    }
    if out is None:
        click.echo(json.dumps(files, indent=2, sort_keys=False))
        return
    out.mkdir(parents=True, exist_ok=True)
    for fname, doc in files.items():
        (out / fname).write_text(json.dumps(doc, indent=2) + "\n")
        log(f"wrote {out / fname}")


@dms.command("apply")
@click.option("--source", default=None, help="source name (default: CDCLAKE_SOURCE__NAME)")
def dms_apply(source: str | None) -> None:
    """Create or update the DMS endpoints and replication task with boto3 (settings: CDCLAKE_DMS__*)."""
    settings = get_settings()
    name = source or settings.source.name
    click.echo(json.dumps(apply(load_contracts(name), settings.dms, source=name, log=log), indent=2))
