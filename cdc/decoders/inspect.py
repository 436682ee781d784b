"""What `cdclake events decode` prints: each message decoded to one JSON line, or one error line.

With a contract (``--table``, or the one the message's own source block names) values are
converted to lake types as the streaming job does. Without one, the envelope is decoded as it
is (op, database, table, before, after, position, commit time) and the key is null: only a
contract names the key columns of a table whose Kafka key is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping

from cdc.decoders import decode_all, get_decoder
from cdc.decoders.debezium import decode_debezium
from cdc.decoders.dms import message_table
from cdc.decoders.limits import parse_limited
from cdc.errors import DecodeError
from cdc.events import ChangeEvent
from lakehouse_schemas.contract import TableContract

EVENT_FIELDS = {"op", "database", "table", "key", "before", "after", "commit_ts", "snapshot", "transaction_id"}
NO_KEY_NOTE = "note: {table}: no contract and no Kafka key, so the key is null; `cdclake contracts init` drafts the contract that names it"


def split_messages(data: bytes) -> list[bytes]:
    """A whole-file JSON document (pretty-printed) is one message; otherwise one message per line."""
    stripped = data.strip()
    _, reason = parse_limited(stripped, json.loads)
    if reason is None and stripped:
        return [stripped]
    return [line for line in data.splitlines() if line.strip()]


def _source_table(message: bytes) -> str | None:
    doc, reason = parse_limited(message, json.loads)
    if reason is not None or not isinstance(doc, Mapping):
        return None
    payload = doc.get("payload", doc)
    src = payload.get("source") if isinstance(payload, Mapping) else None
    if not isinstance(src, Mapping):
        return None
    return f"{src.get('db')}.{src.get('table')}"


def event_json(ev: ChangeEvent, keyless: bool) -> str:
    out = ev.model_dump(mode="json", include=EVENT_FIELDS)
    if keyless:
        out["key"] = None
    out["position"] = {**ev.position.model_dump(mode="json"), "sort_key": ev.position.sort_key}
    return json.dumps(out, ensure_ascii=False, default=str)


def decode_messages(
    fmt: str,
    contracts: Iterable[TableContract],
    blobs: Iterable[tuple[str, bytes]],
    table: str | None = None,
    note: Callable[[str], None] = lambda m: None,
) -> Iterator[tuple[str, bool]]:
    """``(json line, ok)`` per decoded change or undecodable message of each ``(file name, bytes)``."""
    get_decoder(fmt)  # an unknown format fails before any file is read
    by_table = {c.qualified_source: c for c in contracts}

    def contract_for(message: bytes) -> TableContract | None:
        if table:
            return by_table[table]
        if fmt == "dms":  # DMS names the table in metadata.schema-name / table-name
            return by_table.get(message_table(message) or "")
        return by_table.get(_source_table(message) or "")

    for name, data in blobs:
        for m in split_messages(data):
            contract = contract_for(m)
            try:
                if fmt == "debezium" and contract is None:
                    ev = decode_debezium(m, allow_null_key=True)
                    decoded = [] if ev is None else [ev]
                else:
                    # A DMS primary-key change is two lake changes (delete old key, create new key): one line each.
                    decoded = decode_all(fmt, m, contract=contract)
            except DecodeError as exc:
                yield json.dumps({"error": "DecodeError", "reason": exc.reason, "file": name}, ensure_ascii=False), False
                continue
            for ev in decoded:
                keyless = contract is None and not ev.key
                if keyless:
                    note(NO_KEY_NOTE.format(table=f"{ev.database}.{ev.table}"))
                yield event_json(ev, keyless), True
