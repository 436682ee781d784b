"""`cdclake dlq list | show | replay`: inspect the dead-letter table and replay it after fixing a contract."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cdc.cli.common import log
from cdc.settings import get_settings
from lakehouse_schemas.contract import load_contracts


def _contracts(settings, directory: Path | None):
    return load_contracts(settings.source.name, directory=directory)


def _spark(settings, name: str):
    # Lazy (here and below): pyspark is the slow import; the CLI's other commands do not pay for it.
    from spark_jobs import dlq as d
    from spark_jobs.session import build_session

    session = build_session(settings, name, log)
    d.use_settings(settings)
    return session


@click.group("dlq")
def dlq() -> None:
    """The dead-letter table: records the stream could not decode or apply (docs/dead-letters.md)."""


@dlq.command("list")
@click.option("--table", "table", default=None, help="source table (db.table), or its topic")
@click.option("--all", "all_", is_flag=True, help="replayed dead letters too (default: pending only)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_cmd(table: str | None, all_: bool, as_json: bool) -> None:
    """Dead letters with their id (topic:partition:offset), table and reason; counts per table at the end."""
    from spark_jobs import dlq as d

    settings = get_settings()
    spark = _spark(settings, "cdclake-dlq")
    rows = d.list_dead_letters(spark, settings.lake_root, table=table, status=None if all_ else d.PENDING)
    for r in rows:
        if as_json:
            click.echo(json.dumps({k: r[k] for k in ("id", "table", "status", "reason")} | {"dead_lettered_at": str(r["dead_lettered_at"])}))
        else:
            click.echo(f"{r['id']}\t{r['table'] or '-'}\t{r['status']}\t{r['reason']}")
    totals = d.counts(spark, settings.lake_root)
    summary = ", ".join(f"{t} {s}={n}" for (t, s), n in sorted(totals.items())) or "empty"
    log(f"{len(rows)} dead letter(s) listed; by table and status: {summary}")


@dlq.command("show")
@click.argument("ident")
def show_cmd(ident: str) -> None:
    """One dead letter in full (IDENT = topic:partition:offset), its raw key and value."""
    from spark_jobs import dlq as d

    settings = get_settings()
    row = d.show(_spark(settings, "cdclake-dlq"), settings.lake_root, ident)
    if row is None:
        click.secho(f"no dead letter {ident}", fg="red", err=True)
        raise SystemExit(1)
    click.echo(json.dumps({k: (str(v) if v is not None and not isinstance(v, int | str) else v) for k, v in row.items()}, indent=2, ensure_ascii=False))


@dlq.command("replay")
@click.option("--table", "table", default=None, help="only this source table (db.table) or topic")
@click.option("--contracts", "contracts_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="contract folder (default: the packaged contracts of the source)")
def replay_cmd(table: str | None, contracts_dir: Path | None) -> None:
    """Decode pending dead letters again with the current contracts and apply the ones that now fit."""
    from spark_jobs import dlq as d
    from spark_jobs.pii import key_source

    settings = get_settings()
    spark = _spark(settings, "cdclake-dlq-replay")
    result = d.replay(spark, settings.lake_root, _contracts(settings, contracts_dir), table=table, log=log, pii_key=key_source(settings))
    for r in result.reasons:
        log(f"  still failing: {r}")
    click.echo(f"done: {result.replayed} replayed, {result.still_failing} still failing")
    if result.still_failing:
        raise SystemExit(1)
