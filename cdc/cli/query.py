"""`cdclake query`: SQL over the lake tables (Spark or Trino locally, or Athena), optionally as of a past instant."""

from __future__ import annotations

import datetime as dt

import click
import sqlglot
from botocore.exceptions import ClientError

from cdc.catalog.glue import glue_client, glue_partitions, table_definitions
from cdc.cli.common import log, time_travel_contracts_of
from cdc.query import asof as A
from cdc.query import athena
from cdc.query import trino as trino_engine
from cdc.query.table import format_table
from cdc.settings import get_settings


def snapshot_days_spark(spark, settings, contracts):
    from spark_jobs.snapshot import snapshot_days  # lazy: only when a Spark session exists anyway

    return {f"{c.glue_database}.{c.target_table}": set(snapshot_days(spark, settings, c)) for c in contracts}


def snapshot_days_glue(settings, contracts):
    client = glue_client(settings, None)
    out = {}
    for c in contracts:
        snap = table_definitions(c, settings.lake_root)[2]
        try:
            out[f"{c.glue_database}.{c.target_table}"] = {dt.date.fromisoformat(v[0]) for v in glue_partitions(client, settings, snap)}
        except ClientError:
            out[f"{c.glue_database}.{c.target_table}"] = set()
    return out


@click.command("query")
@click.argument("sql")
@click.option("--limit", default=50, show_default=True)
@click.option("--as-of", "as_of", default=None, help="a date (end of that day) or a timestamp ('2025-10-03 14:30:00', zone timetravel.day_zone unless given)")
@click.option("--print-sql", is_flag=True, help="print the rewritten SQL instead of running it")
@click.option("--dialect", type=click.Choice(["spark", "athena"]), default=None, help="dialect of the printed SQL (default: the engine's)")
@click.option("--engine", type=click.Choice(["spark", "athena", "trino"]), default="spark", show_default=True,
              help="trino: the local stack's Trino (Athena's engine and SQL) over the Glue API")
@click.option("--workgroup", default=None, help="Athena workgroup (default: catalog.athena_workgroup)")
@click.option("--base", type=click.Choice(["auto", "snapshot", "history"]), default="auto", show_default=True,
              help="as-of source: auto = the snapshot partition when it exists, else the history")
@click.option("--input-dialect", type=click.Choice(["spark", "athena"]), default=None, help="dialect SQL is written in (default: the engine's)")
def query(sql: str, limit: int, as_of: str | None, print_sql: bool, dialect: str | None, engine: str, workgroup: str | None,
          base: str, input_dialect: str | None) -> None:
    """Run SQL over the lake tables (Spark or Trino locally, or Athena), optionally as of a past instant."""
    settings = get_settings()
    contracts = time_travel_contracts_of()
    engine_dialect = "athena" if engine == "trino" else engine  # Athena engine v3 is Trino: one dialect
    read = input_dialect or engine_dialect
    write = dialect or engine_dialect
    spark = None

    def spark_session():
        nonlocal spark
        if spark is None:
            # Lazy: `--print-sql` and `--engine athena` must not start a JVM (seconds, and JVM warnings).
            from spark_jobs.lake import register_tables, register_time_travel_tables
            from spark_jobs.session import build_session

            spark = build_session(settings, "cdclake-query", log)
            register_tables(spark, settings, contracts)
            register_time_travel_tables(spark, settings, contracts)
        return spark

    if as_of:
        point = A.AsOf.parse(as_of, settings.timetravel.day_zone)
        tables = [A.LakeTable.from_contract(c) for c in contracts]
        days = None
        if base == "auto" and print_sql and engine != "athena":
            # Printing needs no JVM: without reading the lake the history answers (the same rows, maybe slower).
            log("--print-sql does not read the lake: the SQL reads the change history (--base snapshot uses the snapshot partitions)")
        elif base == "auto":
            days = snapshot_days_glue(settings, contracts) if engine != "spark" else snapshot_days_spark(spark_session(), settings, contracts)
        plan = (lambda t: A.plan_for(point, base, (days or {}).get(f"{t.glue_database}.{t.table}")))
        rw = A.rewrite(sql, tables, point, plan=plan, read=read, write=write if print_sql else engine_dialect, pretty=print_sql)
        log(f"as of {point.describe()}; {rw.describe()}")
        final = rw.sql
    else:
        out = write if print_sql else engine_dialect
        final = sql if read == out else sqlglot.transpile(sql, read=read, write=out)[0]
    if print_sql:
        if write == "athena":
            A.check_trino(final)
        click.echo(final)
        return
    if engine == "athena":
        res = athena.run(settings, final, workgroup=workgroup, client=None, log=log, max_rows=limit + 1)
        click.echo(format_table(list(res.columns), list(res.rows), limit))
        log(f"{res.bytes_scanned:,} bytes scanned in {res.elapsed_ms} ms; results in {res.output_location}")
        return
    if engine == "trino":
        res = trino_engine.run(settings, final, max_rows=limit + 1)
        click.echo(format_table(res.columns, res.rows, limit))
        return
    from spark_jobs.lake import format_rows

    click.echo(format_rows(spark_session().sql(final), limit))
