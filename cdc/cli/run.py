"""`cdclake run`: the streaming job."""

from __future__ import annotations

import click

from cdc.cli.common import log
from cdc.settings import get_settings


@click.command("run")
@click.option("--trigger", type=click.Choice(["available-now", "continuous"]), default="available-now", show_default=True)
@click.option("--interval", default=None, help="processing-time interval (continuous); default: spark_jobs.stream.DEFAULT_INTERVAL")
@click.option("--max-offsets-per-trigger", type=int, default=None, help="records per batch (default: a bounded batch; 0: unbounded)")
def run(trigger: str, interval: str | None, max_offsets_per_trigger: int | None) -> None:
    """Run the streaming job: Kafka topics -> Hudi tables (available-now drains and stops)."""
    # Lazy: pyspark loads in seconds; every other command (and `--help`) starts without it.
    from spark_jobs.stream import DEFAULT_INTERVAL
    from spark_jobs.stream import run as run_stream

    stats = run_stream(
        get_settings(), trigger=trigger, interval=interval or DEFAULT_INTERVAL, max_offsets_per_trigger=max_offsets_per_trigger, log=log
    )
    click.echo(f"done: {stats.batches} batch(es), {stats.records} change(s), {stats.dead_letters} dead letter(s)")
