"""`cdclake snapshot`, `cdclake catalog` and `cdclake query` (with --as-of, --print-sql, --engine athena).

``query`` replaces the plain one in cdc/cli.py (same name, registered later): without the new
flags it behaves as before (Spark SQL over the lake tables).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from cdc.commands.common import _friendly, _log
from cdc.settings import get_settings


def _contracts(settings, tables: tuple[str, ...] = ()):
    from cdc.query.asof import time_travel_contracts
    from lakehouse_schemas import load_contracts

    cs = time_travel_contracts(load_contracts(settings.source.name))
    if tables:
        cs = [c for c in cs if c.table in tables or c.target_table in tables or c.qualified_target in tables]
        if not cs:
            raise click.BadParameter(f"no contract matches {list(tables)}", param_hint="--table")
    return cs


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-10-03") from exc


# -- snapshot ------------------------------------------------------------------------------------------
@click.command("snapshot")
@click.option("--date", "day", callback=_date, default=None, help="day to build (YYYY-MM-DD, in timetravel.day_zone)")
@click.option("--to", "to_day", callback=_date, default=None, help="last day of a range (inclusive)")
@click.option("--due", is_flag=True, help="build every ended day after each table's newest snapshot (what a day-boundary job runs)")
@click.option("--table", "tables", multiple=True, help="limit to these tables (repeatable)")
@_friendly
def snapshot_cmd(day: dt.date | None, to_day: dt.date | None, due: bool, tables: tuple[str, ...]) -> None:
    """Build or rebuild daily snapshot partitions from the change history (idempotent), then apply the retention."""
    from spark_jobs import snapshot
    from spark_jobs.session import build_session

    if not due and day is None:
        raise click.UsageError("give --date D [--to D2] or --due")
    settings = get_settings()
    contracts = _contracts(settings, tables)
    spark = build_session(settings, "cdclake-snapshot", _log)
    results = snapshot.build_due(spark, settings, contracts, log=_log) if due else snapshot.build(spark, settings, contracts, day, to_day, log=_log)
    for r in results:
        click.echo(f"{r.table} {r.day}: {r.action} ({r.rows} rows)")


# -- catalog -------------------------------------------------------------------------------------------
@click.group("catalog")
def catalog() -> None:
    """The AWS Glue Data Catalog entries Athena reads (current, history and snapshot tables)."""


@catalog.command("render")
@click.option("--out", type=click.Path(path_type=Path), default=Path("build/glue"), show_default=True)
@_friendly
def catalog_render(out: Path) -> None:
    """Write the Glue TableInput of every table to OUT/<database>/<table>.json."""
    from cdc.catalog.glue import table_definitions

    settings = get_settings()
    for c in _contracts(settings):
        for t in table_definitions(c, settings.lake_root):
            path = out / t.database / f"{t.name}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(t.table_input(), indent=2, sort_keys=True) + "\n")
            click.echo(str(path))


@catalog.command("sync")
@_friendly
def catalog_sync() -> None:
    """Create/update Glue databases and tables with boto3 and keep their partitions equal to the lake's."""
    from cdc.catalog.glue import sync
    from spark_jobs.lake import catalog_state
    from spark_jobs.session import build_session

    settings = get_settings()
    contracts = _contracts(settings)
    spark = build_session(settings, "cdclake-catalog", _log)
    existing, partitions = catalog_state(spark, settings, contracts)
    report = sync(settings, contracts, partitions, existing=existing, log=_log)
    click.echo(f"{len(report.tables)} table(s) in {len(report.databases)} Glue database(s); "
               f"partitions +{sum(report.partitions_added.values())} -{sum(report.partitions_removed.values())}")


# -- query ---------------------------------------------------------------------------------------------
def format_table(columns, rows, limit: int) -> str:
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows[:limit]]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |" for row in cells]
    out += [line, f"{min(len(rows), limit)} row(s)" + (f" (first {limit} shown)" if len(rows) > limit else "")]
    return "\n".join(out)


def _snapshot_days_spark(spark, settings, contracts):
    from spark_jobs.snapshot import snapshot_days

    return {f"{c.glue_database}.{c.target_table}": set(snapshot_days(spark, settings, c)) for c in contracts}


def _snapshot_days_glue(settings, contracts):
    from botocore.exceptions import ClientError

    from cdc.catalog.glue import _client, glue_partitions, table_definitions

    client = _client(settings, None)
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
@click.option("--engine", type=click.Choice(["spark", "athena"]), default="spark", show_default=True)
@click.option("--workgroup", default=None, help="Athena workgroup (default: catalog.athena_workgroup)")
@click.option("--base", type=click.Choice(["auto", "snapshot", "history"]), default="auto", show_default=True,
              help="as-of source: auto = the snapshot partition when it exists, else the history")
@click.option("--input-dialect", type=click.Choice(["spark", "athena"]), default=None, help="dialect SQL is written in (default: the engine's)")
@_friendly
def query(sql: str, limit: int, as_of: str | None, print_sql: bool, dialect: str | None, engine: str, workgroup: str | None,
          base: str, input_dialect: str | None) -> None:
    """Run SQL over the lake tables (Spark locally, or Athena), optionally as of a past instant."""
    from cdc.query import asof as A

    settings = get_settings()
    contracts = _contracts(settings)
    read = input_dialect or engine
    write = dialect or engine
    spark = None

    def spark_session():
        nonlocal spark
        if spark is None:
            from spark_jobs.lake import register_tables, register_time_travel_tables
            from spark_jobs.session import build_session

            spark = build_session(settings, "cdclake-query", _log)
            register_tables(spark, settings, contracts)
            register_time_travel_tables(spark, settings, contracts)
        return spark

    if as_of:
        point = A.AsOf.parse(as_of, settings.timetravel.day_zone)
        tables = [A.LakeTable.from_contract(c) for c in contracts]
        days = None
        if base == "auto" and print_sql and engine == "spark":
            # Printing needs no JVM: without reading the lake the history answers (the same rows, maybe slower).
            _log("--print-sql does not read the lake: the SQL reads the change history (--base snapshot uses the snapshot partitions)")
        elif base == "auto":
            days = _snapshot_days_glue(settings, contracts) if engine == "athena" else _snapshot_days_spark(spark_session(), settings, contracts)
        plan = (lambda t: A.plan_for(point, base, (days or {}).get(f"{t.glue_database}.{t.table}")))
        rw = A.rewrite(sql, tables, point, plan=plan, read=read, write=write if print_sql else engine, pretty=print_sql)
        _log(f"as of {point.describe()}; {rw.describe()}")
        final = rw.sql
    else:
        import sqlglot

        final = sql if read == (write if print_sql else engine) else sqlglot.transpile(sql, read=read, write=write if print_sql else engine)[0]
    if print_sql:
        if write == "athena":
            A.check_trino(final)
        click.echo(final)
        return
    if engine == "athena":
        from cdc.query import athena

        res = athena.run(settings, final, workgroup=workgroup, client=None, log=_log, max_rows=limit + 1)
        click.echo(format_table(list(res.columns), list(res.rows), limit))
        _log(f"{res.bytes_scanned:,} bytes scanned in {res.elapsed_ms} ms; results in {res.output_location}")
        return
    from spark_jobs.lake import format_rows

    click.echo(format_rows(spark_session().sql(final), limit))


commands: list[click.Command] = [snapshot_cmd, catalog, query]
