"""The `cdclake` command: a thin layer over the packages. Every error goes through one decorator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cdc.commands.common import _friendly, _log
from cdc.settings import get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Replicate MySQL-family sources into Apache Hudi tables and query them."""


# -- stack ---------------------------------------------------------------------------
@main.group()
def stack() -> None:
    """The native local stack: MariaDB, Kafka (KRaft), Kafka Connect + Debezium, MinIO."""


@stack.command("up")
@click.argument("servers", nargs=-1)
@_friendly
def stack_up(servers: tuple[str, ...]) -> None:
    """Install (first run) and start SERVERS (default: all); returns when all are healthy."""
    from cdc import stack as st

    st.up(get_settings(), list(servers) or None, log=_log)
    click.echo("stack is up")


@stack.command("down")
@click.argument("servers", nargs=-1)
@_friendly
def stack_down(servers: tuple[str, ...]) -> None:
    """Stop SERVERS (default: all) that `up` started."""
    from cdc import stack as st

    st.down(get_settings(), list(servers) or None, log=_log)


@stack.command("status")
@_friendly
def stack_status() -> None:
    """Show pid, health and log file of each server."""
    from cdc import stack as st

    for name, info in st.status(get_settings()).items():
        state = "healthy" if info["healthy"] else ("running, not healthy" if info["pid"] else "stopped")
        click.echo(f"{name:8} {state:22} pid={info['pid'] or '-':<8} log={info['log']}")


# -- contracts -----------------------------------------------------------------------
@main.group()
def contracts() -> None:
    """Table contracts (lakehouse_schemas/tables/<source>/<table>.yaml)."""


@contracts.command("init")
@click.option("--database", required=True, help="source database to reflect")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="directory (default: the packaged tables/<source>)")
@click.option("--domain", default="general", show_default=True)
@click.option("--force", is_flag=True, help="overwrite existing files")
@_friendly
def contracts_init(database: str, out: Path | None, domain: str, force: bool) -> None:
    """Write draft contracts for every table of a live source database (review, then check them in)."""
    from cdc.source import reflect_contracts
    from lakehouse_schemas.contract import contracts_dir

    settings = get_settings()
    target = out or contracts_dir(settings.source.name)
    target.mkdir(parents=True, exist_ok=True)
    for c in reflect_contracts(settings, database, domain=domain):
        path = target / f"{c.target_table}.yaml"
        if path.exists() and not force:
            click.echo(f"kept    {path} (exists; --force to overwrite)")
            continue
        path.write_text(c.to_yaml())
        click.echo(f"wrote   {path}")


@contracts.command("list")
@_friendly
def contracts_list() -> None:
    """List the contracts of the configured source."""
    from lakehouse_schemas import load_contracts

    for c in load_contracts(get_settings().source.name):
        click.echo(f"{c.qualified_source:30} -> {c.domain}/{c.qualified_target:30} key={','.join(c.key)} {c.table_type}")


# -- source --------------------------------------------------------------------------
@main.group()
def source() -> None:
    """The source database: prerequisite checks and sample data."""


@source.command("check")
@_friendly
def source_check() -> None:
    """Verify binlog settings, grants and primary keys; print what to fix."""
    from cdc.source import check_source
    from lakehouse_schemas import load_contracts

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
@_friendly
def source_load_sample(sql_file: Path | None) -> None:
    """Load the Chinook sample database into the source (drops and recreates it)."""
    from cdc.sample import chinook_sql_path, load_sql_file

    path = sql_file or chinook_sql_path()
    load_sql_file(get_settings(), path, log=_log)
    click.echo(f"loaded {path}")


# -- capture -------------------------------------------------------------------------
@main.group()
def capture() -> None:
    """Debezium capture: render, register, status, lag."""


@capture.command("render")
@click.option("--target", type=click.Choice(["local", "msk"]), default="local", show_default=True)
@click.option("--secret-arn", default=None, help="Secrets Manager ARN of the source password (msk)")
@_friendly
def capture_render(target: str, secret_arn: str | None) -> None:
    """Print the connector config rendered from the contracts (the JSON MSK Connect gets)."""
    from cdc.capture.debezium import render
    from lakehouse_schemas import load_contracts

    settings = get_settings()
    click.echo(json.dumps(render(settings, load_contracts(settings.source.name), target=target, secret_arn=secret_arn), indent=2))


@capture.command("register")
@_friendly
def capture_register() -> None:
    """Register (or update) the Debezium connector through the Kafka Connect REST API; starts the initial snapshot."""
    from cdc.capture.debezium import register
    from lakehouse_schemas import load_contracts

    settings = get_settings()
    register(settings, load_contracts(settings.source.name), log=_log)
    click.echo("connector running")


@capture.command("status")
@_friendly
def capture_status() -> None:
    """Connector state and replication lag (binlog position of the source vs the connector)."""
    from cdc.capture.debezium import ConnectClient, connector_name, lag

    settings = get_settings()
    st = ConnectClient(settings).status(connector_name(settings))
    if not st:
        click.echo(f"connector {connector_name(settings)} is not registered: run `cdclake capture register`")
        sys.exit(1)
    click.echo(f"connector {st['name']}: {st['connector']['state']}; tasks: {[t['state'] for t in st['tasks']]}")
    info = lag(settings)
    click.echo(
        f"source at {info['source'][0]}:{info['source'][1]}; connector at "
        f"{(info['connector'][0] + ':' + str(info['connector'][1])) if info['connector'] else 'no offset yet'}; "
        f"{'caught up' if info['caught_up'] else 'behind'}"
        + (f" ({info['bytes_behind']} bytes)" if info["bytes_behind"] else "")
        + (f" ({info['files_behind']} binlog files)" if info["files_behind"] else "")
    )


@capture.command("wait")
@click.option("--timeout", default=300.0, show_default=True)
@_friendly
def capture_wait(timeout: float) -> None:
    """Block until Debezium has published every change committed so far."""
    from cdc.capture.debezium import wait_caught_up

    info = wait_caught_up(get_settings(), timeout_s=timeout, log=_log)
    click.echo(f"caught up through transaction(s) {', '.join(info['transactions'])}")


@capture.command("reset")
@click.confirmation_option(prompt="Delete the connector, its offsets and all its topics?")
@_friendly
def capture_reset() -> None:
    """Forget the capture of this source (connector, offsets, topics): the next register re-snapshots."""
    from cdc.capture.debezium import reset

    reset(get_settings(), log=_log)


# -- events ----------------------------------------------------------------------------
@main.group()
def events() -> None:
    """Inspect change messages as the pipeline sees them."""


@events.command("decode")
@click.option("--format", "fmt", type=click.Choice(["debezium", "dms"]), default="debezium", show_default=True)
@click.option("--table", default=None, help="source table (Database.Table) whose contract converts the values")
@click.argument("files", nargs=-1, type=click.File("r", encoding="utf-8"))
@_friendly
def events_decode(fmt: str, table: str | None, files) -> None:
    """Decode FILES (one message per file, or one per line; - for stdin) into one JSON object per line."""
    from cdc.decoders import decode_all, get_decoder
    from cdc.decoders.dms import message_table
    from cdc.errors import DecodeError
    from lakehouse_schemas import load_contracts

    get_decoder(fmt)  # an unknown format fails before any file is read
    by_table = {c.qualified_source: c for c in load_contracts()}
    if table and table not in by_table:
        raise click.BadParameter(f"no contract for {table}", param_hint="--table")

    def contract_for(message: str):
        if table:
            return by_table[table]
        if fmt == "dms":  # DMS names the table in metadata.schema-name / table-name
            return by_table.get(message_table(message) or "")
        try:  # the contract named by the message's own source block, if there is one
            doc = json.loads(message)
            payload = doc.get("payload", doc) if isinstance(doc, dict) else {}
            src = (payload or {}).get("source") or {}
            return by_table.get(f"{src.get('db')}.{src.get('table')}")
        except (ValueError, AttributeError):
            return None
    failed = 0
    for fh in files or (click.get_text_stream("stdin"),):
        text = fh.read()
        stripped = text.strip()
        # A whole-file JSON document (pretty-printed) is one message; otherwise one message per line.
        try:
            json.loads(stripped)
            messages = [stripped]
        except ValueError:
            messages = [line for line in text.splitlines() if line.strip()]
        for m in messages:
            try:
                # A DMS primary-key change is two lake changes (delete old key, create new key): one line each.
                decoded = decode_all(fmt, m, contract=contract_for(m))
            except DecodeError as exc:
                failed += 1
                click.echo(json.dumps({"error": "DecodeError", "reason": exc.reason, "file": fh.name}))
                continue
            for ev in decoded:
                out = ev.model_dump(mode="json", include={"op", "database", "table", "key", "before", "after", "commit_ts", "snapshot", "transaction_id"})
                out["position"] = {**ev.position.model_dump(mode="json"), "sort_key": ev.position.sort_key}
                click.echo(json.dumps(out, ensure_ascii=False, default=str))
    if failed:
        sys.exit(1)


# -- the Spark side ---------------------------------------------------------------------
@main.command("run")
@click.option("--trigger", type=click.Choice(["available-now", "continuous"]), default="available-now", show_default=True)
@click.option("--interval", default=None, help="processing-time interval (continuous); default: spark_jobs.stream.DEFAULT_INTERVAL")
@click.option("--max-offsets-per-trigger", type=int, default=None, help="records per batch (default: a bounded batch; 0: unbounded)")
@_friendly
def run_job(trigger: str, interval: str | None, max_offsets_per_trigger: int | None) -> None:
    """Run the streaming job: Kafka topics -> Hudi tables (available-now drains and stops)."""
    from spark_jobs.stream import DEFAULT_INTERVAL, run

    stats = run(
        get_settings(), trigger=trigger, interval=interval or DEFAULT_INTERVAL, max_offsets_per_trigger=max_offsets_per_trigger, log=_log
    )
    click.echo(f"done: {stats.batches} batch(es), {stats.records} change(s), {stats.dead_letters} dead letter(s)")


@main.command("query")
@click.argument("sql")
@click.option("--limit", default=50, show_default=True)
@_friendly
def query(sql: str, limit: int) -> None:
    """Run SQL on local Spark against the lake tables, registered as <database>.<table>."""
    from lakehouse_schemas import load_contracts
    from spark_jobs.lake import format_rows, register_tables
    from spark_jobs.session import build_session

    settings = get_settings()
    spark = build_session(settings, "cdclake-query", _log)
    register_tables(spark, settings, load_contracts(settings.source.name))
    click.echo(format_rows(spark.sql(sql), limit))


@main.command("reconcile")
@click.argument("tables", nargs=-1)
@_friendly
def reconcile_cmd(tables: tuple[str, ...]) -> None:
    """Compare source and lake row for row; exit 1 on any difference."""
    from lakehouse_schemas import load_contracts
    from spark_jobs.reconcile import reconcile
    from spark_jobs.session import build_session

    settings = get_settings()
    contracts = [c for c in load_contracts(settings.source.name) if not tables or c.table in tables or c.target_table in tables]
    spark = build_session(settings, "cdclake-reconcile", _log)
    from spark_jobs.reconcile import source_snapshot

    snap = source_snapshot(settings, contracts)
    click.echo(f"source read at {snap.binlog_file}:{snap.binlog_pos} (gtid {snap.gtid}); lake rows changed after it are in flight")
    diffs = reconcile(spark, settings, contracts, snapshot=snap)
    for d in diffs:
        click.echo(("ok   " if d.equal else "DIFF ") + d.summary())
        for key in d.differing_keys[:20]:
            click.echo(f"     differing key {key}")
    if not all(d.equal for d in diffs):
        sys.exit(1)


@main.command("demo")
@click.option("--changes", default=300, show_default=True, help="random statements after the tricky cases")
@_friendly
def demo(changes: int) -> None:
    """Replicate Chinook end to end into a local lake and show a time-travel query."""
    from spark_jobs.demo import run_demo

    if not run_demo(get_settings(), random_changes=changes, log=click.echo):
        sys.exit(1)


def _register_command_modules() -> None:
    from cdc.commands import register

    register(main)


_register_command_modules()


if __name__ == "__main__":
    main()
