"""`cdclake events decode`: change messages as the pipeline sees them."""

from __future__ import annotations

import json
import sys

import click

from cdc.decoders import decode_all, get_decoder
from cdc.decoders.dms import message_table
from cdc.errors import DecodeError
from lakehouse_schemas import load_contracts


@click.group("events")
def events() -> None:
    """Inspect change messages as the pipeline sees them."""


@events.command("decode")
@click.option("--format", "fmt", type=click.Choice(["debezium", "dms"]), default="debezium", show_default=True)
@click.option("--table", default=None, help="source table (Database.Table) whose contract converts the values")
@click.argument("files", nargs=-1, type=click.File("r", encoding="utf-8"))
def events_decode(fmt: str, table: str | None, files) -> None:
    """Decode FILES (one message per file, or one per line; - for stdin) into one JSON object per line."""
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
