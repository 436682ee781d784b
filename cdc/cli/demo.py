"""`cdclake demo`: Chinook end to end on the local stack."""

from __future__ import annotations

import sys

import click

from cdc.settings import get_settings


@click.command("demo")
@click.option("--changes", default=300, show_default=True, help="random statements after the tricky cases")
def demo(changes: int) -> None:
    """Replicate Chinook end to end into a local lake and show a time-travel query."""
    # Lazy: the demo imports pyspark, which the CLI's other commands do not need.
    from cdc.devstack.demo import run_demo

    if not run_demo(get_settings(), random_changes=changes, log=click.echo):
        sys.exit(1)
