"""`cdclake source check|load-sample`: the source database's CDC prerequisites and the sample data."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cdc.cli.common import log
from cdc.devstack.sample import chinook_sql_path, load_sql_file
from cdc.settings import get_settings
from cdc.source import check_source
from lakehouse_schemas import load_contracts


@click.group("source")
def source() -> None:
    """The source database: prerequisite checks and sample data."""


@source.command("check")
def source_check() -> None:
    """Verify binlog settings, grants and primary keys; print what to fix."""
    settings = get_settings()
    findings = check_source(settings, load_contracts(settings.source.name))
    bad = 0
    for f in findings:
        mark = click.style("ok  ", fg="green") if f.ok else click.style("FAIL", fg="red")
        click.echo(f"{mark} {f.check}: {f.detail}")
        if not f.ok:
            bad += 1
            click.echo(f"     fix: {f.fix}")
    if bad:
        click.secho(f"{bad} prerequisite(s) not met", fg="red", err=True)
        sys.exit(1)
    click.echo("source meets all CDC prerequisites")


@source.command("load-sample")
@click.option("--sql", "sql_file", type=click.Path(exists=True, path_type=Path), default=None, help="default: shared Chinook dataset")
def source_load_sample(sql_file: Path | None) -> None:
    """Load the Chinook sample database into the source (drops and recreates it)."""
    path = sql_file or chinook_sql_path()
    load_sql_file(get_settings(), path, log=log)
    click.echo(f"loaded {path}")
