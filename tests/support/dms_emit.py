"""A DMS stand-in for the local proof: canonical ChangeEvents -> AWS DMS Kafka-target messages.

DMS is a managed AWS service and cannot run locally, so the end-to-end test simulates it: it
decodes the real Debezium topics with the Python Debezium decoder and renders every change as
the DMS Kafka target documents it (``data`` + ``metadata``, record type ``data``, operations
load/insert/update/delete, ``IncludeTransactionDetails`` fields, a MySQL ``stream-position``,
``before-image``) with the settings ``cdc.capture.dms`` renders. What is simulated, not observed:

* the stream-position's binlog file/position/row are Debezium's ``source.file/pos/row``;
  its next-event and BEGIN positions are not known to Debezium and repeat the event position;
* ``transaction-id`` packs the binlog file index and the transaction's first change position
  (the shape of the DMS guide's sample), ``transaction-record-id`` counts from 1;
* a primary-key change, which Debezium reports as delete + create at one position, becomes one
  ``update`` whose before image holds the old row, as DMS reports it;
* value text follows docs/dms.md (DECIMAL as exact strings, DATETIME as ``...Z`` wall clock,
  binary as hex without prefix: ``NoHexPrefix``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cdc.decoders.dms import (
    BEFORE_IMAGE_FIELD,
    DMS_BOOLEAN,
    DMS_DATE,
    DMS_DATETIME,
    DMS_DECIMAL,
    DMS_DECIMAL_TEXT,
    DMS_HEX,
    DMS_INSTANT,
    DMS_TIME,
    GEOMETRY_SRID_BYTES,
    dms_wire,
)
from cdc.events import ChangeEvent, Op, binlog_file_index
from lakehouse_schemas.contract import Column, TableContract

Log = Callable[[str], None]
OPERATION = {Op.READ: "load", Op.CREATE: "insert", Op.UPDATE: "update", Op.DELETE: "delete"}


def _ts(value: datetime, fraction: bool = True) -> str:
    v = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return v.strftime("%Y-%m-%dT%H:%M:%S") + (f".{v.microsecond:06d}" if fraction else "") + "Z"


def _time(micros: int) -> str:
    sign, m = ("-" if micros < 0 else ""), abs(micros)
    secs, frac = divmod(m, 1_000_000)
    return f"{sign}{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}" + (f".{frac:06d}" if frac else "")


def dms_value(value: Any, c: Column) -> Any:
    """A lake value as DMS writes it in Kafka JSON (docs/dms.md: the DMS type mapping)."""
    if value is None:
        return None
    wire = dms_wire(c)
    if wire in (DMS_DECIMAL, DMS_DECIMAL_TEXT):
        return str(value) if isinstance(value, Decimal) else value  # exact text, never a binary float
    if wire == DMS_HEX:
        return bytes(value).hex().upper()
    if wire == DMS_DATE:
        return value.isoformat() if isinstance(value, date) else value
    if wire in (DMS_DATETIME, DMS_INSTANT):
        fsp = c.mysql_type.precision or 0
        return _ts(value, fraction=fsp > 0 or value.microsecond != 0)
    if wire == DMS_TIME:
        return _time(int(value))
    if wire == DMS_BOOLEAN:
        return bool(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)  # BIGINT UNSIGNED
    return value


def _row(image: dict[str, Any] | None, contract: TableContract) -> dict[str, Any]:
    image = image or {}
    # IncludeNullAndEmpty: every column is present, NULLs included.
    out = {c.name: dms_value(image.get(c.name), c) for c in contract.columns}
    for c in contract.columns:
        if c.is_geometry and image.get(c.name) is not None:
            # MySQL's stored geometry (docs/dms.md): the SRID, 4 bytes little-endian, then the WKB.
            srid = image[c.srid_column().name].to_bytes(GEOMETRY_SRID_BYTES, "little")
            out[c.name] = (srid + bytes(image[c.name])).hex().upper()
    return out


class _Transactions:
    """DMS transaction ids and record numbers, from the order of the changes."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.records: dict[int, int] = {}
        self.prev: tuple[int, int] | None = None

    def next(self, event: ChangeEvent) -> tuple[int, int, tuple[int, int] | None]:
        key = event.transaction_id or f"{event.position.file}:{event.position.pos}"
        if key not in self.ids:
            self.ids[key] = (binlog_file_index(event.position.file) << 32) + event.position.pos
        tid = self.ids[key]
        self.records[tid] = self.records.get(tid, 0) + 1
        prev, self.prev = self.prev, (tid, self.records[tid])
        return tid, self.records[tid], prev


def pair_key_changes(events: Iterable[ChangeEvent]) -> list[tuple[ChangeEvent, ChangeEvent | None]]:
    """(event, None) per change; a Debezium delete + create at one position (a key change) becomes (create, delete)."""
    out: list[tuple[ChangeEvent, ChangeEvent | None]] = []
    pending: ChangeEvent | None = None
    for e in events:
        if pending is not None:
            same = (e.op is Op.CREATE and e.table == pending.table and e.position == pending.position)
            out.append((e, pending) if same else (pending, None))
            pending = None
            if same:
                continue
        if e.op is Op.DELETE and not e.snapshot:
            pending = e
            continue
        out.append((e, None))
    if pending is not None:
        out.append((pending, None))
    return out


def to_dms(
    event: ChangeEvent, contract: TableContract, txns: _Transactions, *, old: ChangeEvent | None = None
) -> tuple[str, str]:
    """One DMS Kafka record (key, value) for a change; ``old``: the delete half of a primary-key change."""
    if event.op is Op.TRUNCATE:
        raise ValueError("DMS sends no data record for a truncate")
    op = Op.UPDATE if old is not None else event.op
    image = event.before if op is Op.DELETE else event.after
    pk = ".".join(str(image[k]) for k in contract.key) if image else ""
    when = event.commit_ts or datetime.now(UTC)
    meta: dict[str, Any] = {
        "timestamp": _ts(when),
        "record-type": "data",
        "operation": OPERATION[op],
        "partition-key-type": "primary-key",
        "partition-key-value": f"{contract.database}.{contract.table}.{pk}",
        "schema-name": contract.database,
        "table-name": contract.table,
    }
    doc: dict[str, Any] = {"data": _row(image, contract)}
    if op is not Op.READ:  # full-load records carry no transaction details
        p = event.position
        tid, rec, prev = txns.next(event)
        start = tid & 0xFFFFFFFF
        meta.update({"transaction-id": tid, "transaction-record-id": rec})
        if prev:
            meta.update({"prev-transaction-id": prev[0], "prev-transaction-record-id": prev[1]})
        meta["commit-timestamp"] = _ts(when)
        meta["stream-position"] = f"{p.file}:{p.pos}:{p.row}:{p.pos}:{tid}:{p.file}:{start}"
    if op is Op.UPDATE:
        doc[BEFORE_IMAGE_FIELD] = _row(old.before if old is not None else event.before, contract)
    doc["metadata"] = meta
    return meta["partition-key-value"], json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def render_messages(events: list[ChangeEvent], contracts: list[TableContract]) -> list[tuple[str, str, str]]:
    """(topic, key, value) per DMS record, for events in source order; contracts are the DMS contracts."""
    by_table = {(c.database, c.table): c for c in contracts}
    txns = _Transactions()
    out = []
    for event, old in pair_key_changes(events):
        if event.op is Op.TRUNCATE:
            continue
        c = by_table[(event.database, event.table)]
        key, value = to_dms(event, c, txns, old=old)
        out.append((c.topic(), key, value))
    return out


def read_debezium_events(bootstrap: str, contracts: list[TableContract], log: Log = print, timeout_s: float = 120) -> list[ChangeEvent]:
    """Every change on the contracts' Debezium topics, decoded and in source order (position, then offset)."""
    import time

    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from cdc.decoders.debezium import decode_debezium
    from cdc.events import KafkaOrigin

    by_topic = {c.topic(): c for c in contracts}
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "cdclake-dms-emit", "enable.auto.commit": False, "log_level": 0}
    )
    try:
        meta = consumer.list_topics(timeout=10)
        parts = [TopicPartition(t, p, OFFSET_BEGINNING) for t in by_topic if t in meta.topics for p in meta.topics[t].partitions]
        ends = {(tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
        remaining = {k for k, hi in ends.items() if hi > 0}
        consumer.assign(parts)
        events: list[tuple[str, int, ChangeEvent]] = []
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            for msg in consumer.consume(1000, timeout=1.0):
                if msg.error():
                    continue
                tp = (msg.topic(), msg.partition())
                if msg.offset() >= ends[tp] - 1:
                    remaining.discard(tp)
                origin = KafkaOrigin(topic=msg.topic(), partition=msg.partition(), offset=msg.offset())
                ev = decode_debezium(msg.value(), key=msg.key(), contract=by_topic[msg.topic()], origin=origin)
                if ev is not None:
                    events.append((ev.position.sort_key, msg.offset(), ev))
        if remaining:
            raise TimeoutError(f"did not reach the end of {sorted(remaining)} within {timeout_s}s")
    finally:
        consumer.close()
    events.sort(key=lambda x: (x[0], x[1]))
    log(f"read {len(events)} Debezium change(s) from {len(parts)} partition(s)")
    return [e for _, _, e in events]


def produce(bootstrap: str, messages: list[tuple[str, str, str]], partitions: int = 2, log: Log = print) -> int:
    """Create the DMS topics (keyed by primary key over ``partitions``, as DMS partitions) and produce the records."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    topics = sorted({t for t, _, _ in messages})
    existing = admin.list_topics(timeout=10).topics
    new = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
    for f in (admin.create_topics(new).values() if new else []):
        f.result()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "log_level": 0})
    for i, (topic, key, value) in enumerate(messages):
        producer.produce(topic, key=key.encode(), value=value.encode())
        if i % 10000 == 0:
            producer.poll(0)
    left = producer.flush(60)
    if left:
        raise TimeoutError(f"{left} DMS record(s) not delivered")
    log(f"produced {len(messages)} DMS record(s) to {len(topics)} topic(s)")
    return len(messages)
