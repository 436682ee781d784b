"""AWS DMS Kafka-target JSON (``data`` + ``metadata``) -> ``cdc.events.ChangeEvent``.

The pure-Python twin of ``spark_jobs.decode_dms.decode_dms``: the CLI, the dead-letter tools
and the tests decode with it, and a contract test holds the Spark decoder to it (same rows,
same error reasons). What DMS sends and what we do with it (docs/dms.md has the full story):

* ``metadata.record-type`` ``data``: ``operation`` load (full load -> snapshot read ``r``),
  insert (``c``), update (``u``), delete (``d``; ``data`` is the deleted row as MySQL logged it).
* ``record-type`` ``control``: never a row. ``create-table`` (sent before a table's load) is
  skipped; a table-alter operation (``IncludeTableAlterOperations``: add-column, drop-column,
  rename-*, drop-table, column-type-change, change-columns) is an error naming the operation,
  so the stream dead-letters it and an operator reviews the contract.
* Ordering: ``metadata.stream-position`` (``IncludeTransactionDetails``) begins with the binlog
  coordinates of the row, ``<binlog file>:<event position>:<row in event>:...``, so a change
  sorts exactly like the Debezium change of the same row (``SourcePosition.sort_key``). A CDC
  record without it cannot be ordered and is an error. Full-load rows carry no position:
  they sort before every CDC change (phase snapshot at position 0); see docs/dms.md for why
  that is correct when capture starts before the load, as DMS does.
* A primary-key change is an ``update`` whose before image (``BeforeImageSettings``, field
  ``before-image``, or ``add-before-image-columns`` with prefix ``BI_``) holds the old key:
  it becomes delete(old key) + create(new key), as Debezium reports it.
* DMS JSON carries no schema, so the contract is required: it names the key and the types.
  Every scalar is taken as its JSON text (Spark's ``from_json`` does the same for a string
  field) and converted by ``dms_wire`` kind; a value that does not convert is an error.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cdc.decoders.limits import parse_limited
from cdc.decoders.location import Where as _Where
from cdc.decoders.wire import DECIMAL_CONTEXT, LAKE_INT_RANGES, integer_digits_fit
from cdc.errors import DecodeError
from cdc.events import MAX_FILE_INDEX, ChangeEvent, KafkaOrigin, Op, SourcePosition, binlog_file_index
from lakehouse_schemas.contract import Column, TableContract

RawMessage = bytes | bytearray | str | Mapping[str, Any] | None

# What cdc.capture.dms renders: BeforeImageSettings.FieldName, and the transformation rule's default prefix.
BEFORE_IMAGE_FIELD = "before-image"
BEFORE_IMAGE_PREFIX = "BI_"

RECORD_DATA = "data"
RECORD_CONTROL = "control"
OPERATIONS: dict[str, Op] = {"load": Op.READ, "insert": Op.CREATE, "update": Op.UPDATE, "delete": Op.DELETE}
CREATE_TABLE = "create-table"
# IncludeTableAlterOperations; the DMS guide lists these control operations besides create-table.
TABLE_ALTER_OPERATIONS = (
    "rename-table",
    "drop-table",
    "change-columns",
    "add-column",
    "drop-column",
    "rename-column",
    "column-type-change",
)
METADATA_FIELDS = (
    "timestamp",
    "record-type",
    "operation",
    "partition-key-type",
    "partition-key-value",
    "schema-name",
    "table-name",
    "transaction-id",
    "transaction-record-id",
    "prev-transaction-id",
    "prev-transaction-record-id",
    "commit-timestamp",
    "stream-position",
)

# MySQL stream-position: <file>:<event pos>:<row in event>:<next pos>:<transaction id>:<file>:<BEGIN pos>.
# Digit counts bounded so a position always fits the sort key's fixed width and Spark's long cast
# (cdc.events.MAX_POS / MAX_ROW); a longer number is no position at all, never a silently broken key.
STREAM_POSITION_RE = r"^([^:]{1,255}):([0-9]{1,18}):(-?[0-9]{1,9}):"

# Value guards: the same regular expressions run in Spark (rlike), so both decoders reject the same text.
INTEGER_RE = r"^-?[0-9]+$"
NUMBER_RE = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
HEX_RE = r"^(0[xX])?([0-9a-fA-F]{2})*$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_RE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})([.]([0-9]{1,9}))?Z?$"
TIME_RE = r"^(-?)([0-9]{1,3}):([0-9]{2}):([0-9]{2})([.]([0-9]{1,6}))?$"
BOOLEAN_TRUE = ("true", "1")
BOOLEAN_FALSE = ("false", "0")

# DMS wire kinds (how DMS renders each MySQL type in Kafka JSON): see dms_wire and docs/dms.md.
DMS_INTEGER = "integer"
DMS_DECIMAL = "decimal"
DMS_DECIMAL_TEXT = "decimal_text"
DMS_DOUBLE = "double"
DMS_FLOAT = "float"
DMS_BOOLEAN = "boolean"
DMS_STRING = "string"
DMS_HEX = "hex"
DMS_DATE = "date"
DMS_DATETIME = "datetime"
DMS_INSTANT = "instant"
DMS_TIME = "time"
# GEOMETRY is a BLOB to DMS: the hex of the column's stored value, MySQL's internal geometry form
# (the SRID as 4 bytes little-endian, then the WKB). The lake splits it into WKB and SRID, like the
# Debezium path (docs/dms.md; not observed on a real DMS task).
DMS_GEOMETRY = "geometry"
DMS_SRID = "srid"  # the SRID column of a geometry column: read from the geometry's value
GEOMETRY_SRID_BYTES = 4
INTEGER_BASES = ("tinyint", "smallint", "mediumint", "int", "bigint", "year", "boolean")

# Error reasons, shared word for word with spark_jobs.decode_dms.
REASON_MALFORMED = "not a DMS message (malformed JSON or no metadata.record-type)"
REASON_NO_DATA = "data record without data"
REASON_NO_POSITION = "no MySQL stream-position in metadata: set IncludeTransactionDetails=true on the DMS Kafka endpoint"


def reason_unknown_record_type(value: str) -> str:
    return f"unknown record-type {value}"


def reason_unknown_operation(value: str) -> str:
    return f"unknown operation {value}"


TABLE_ALTER_REASON = ("DMS control record ", ": the source table changed; review the table contract")


def reason_table_alter(operation: str) -> str:
    return f"{TABLE_ALTER_REASON[0]}{operation}{TABLE_ALTER_REASON[1]}"


def reason_null_key(contract: TableContract) -> str:
    return f"record key {list(contract.key)} is null"


def reason_does_not_fit(c: Column) -> str:
    # Without the value: Spark's JSON reader re-renders number tokens, so the text could not match (the dead letter keeps the message).
    return f"value of {c.name} does not fit {c.type}"


def dms_wire(c: Column) -> str:
    """How DMS renders the column's MySQL type in Kafka JSON (its DMS type in brackets, per the DMS guide)."""
    t, lt = c.mysql_type, c.lake_type
    if t.base in INTEGER_BASES:
        return DMS_INTEGER  # INT1..INT8, UINT1..UINT8: JSON numbers
    if t.base == "decimal":
        return DMS_DECIMAL if lt.kind == "decimal" else DMS_DECIMAL_TEXT  # NUMERIC(p,s)
    if lt.kind in ("double", "float"):
        return DMS_DOUBLE if lt.kind == "double" else DMS_FLOAT  # REAL8 / REAL(DOUBLE)
    if lt.kind == "boolean":
        return DMS_BOOLEAN  # BIT -> BOOLEAN
    if c.is_geometry:
        return DMS_GEOMETRY
    if c.srid_of:
        return DMS_SRID
    if lt.kind == "binary":
        return DMS_HEX  # BYTES / BLOB: hex text, "0x" prefix unless NoHexPrefix
    if lt.kind == "date":
        return DMS_DATE
    if lt.kind == "timestamp_ntz":
        return DMS_DATETIME  # DATETIME: wall clock, not converted
    if lt.kind == "timestamp":
        return DMS_INSTANT  # TIMESTAMP: converted to UTC by DMS
    if t.base == "time":
        return DMS_TIME  # TIME -> STRING 'HH:MM:SS[.ffffff]'
    if lt.kind == "string":
        return DMS_STRING
    raise ValueError(f"no DMS wire kind for {c.name} {c.type}")


# --------------------------------------------------------------------------- JSON as text


class RawNumber(str):
    """A JSON number kept as its exact text: DMS values never pass through a binary float here."""


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=RawNumber, parse_float=RawNumber)


def _compact(value: Any) -> str:
    """A nested JSON value as compact JSON text (what Spark's from_json gives a string field)."""
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    return str(value)


def json_text(value: Any) -> str | None:
    """A JSON value as Spark reads it into a string field: strings as they are, everything else as JSON text."""
    if value is None:
        return None
    if isinstance(value, str) and not isinstance(value, RawNumber):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)  # only from a pre-parsed dict; our own parser keeps RawNumber text
    return _compact(value)


# --------------------------------------------------------------------------- values


def _fit_decimal(text: str, precision: int, scale: int) -> Decimal:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not d.is_finite():
        raise ValueError(text)
    try:
        q = d.quantize(Decimal(1).scaleb(-scale), context=DECIMAL_CONTEXT)
    except InvalidOperation:
        raise ValueError(text) from None
    if not integer_digits_fit(q, precision, scale):
        raise ValueError(text)
    return q


def _datetime_parts(text: str) -> datetime:
    m = re.match(DATETIME_RE, text)
    if not m:
        raise ValueError(text)
    frac = (m.group(4) or "")[:6].ljust(6, "0")  # the lake keeps microseconds; extra digits are cut
    return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}").replace(microsecond=int(frac))


def to_lake_value(value: Any, c: Column) -> Any:
    """One DMS JSON value -> the Python value of the column's lake type; ValueError when it does not fit."""
    text = json_text(value)
    if text is None:
        return None
    wire = dms_wire(c)
    lt = c.lake_type
    if wire == DMS_INTEGER:
        if not re.match(INTEGER_RE, text):
            raise ValueError(text)  # e.g. DMS's scientific notation for BIGINT beyond 16 digits: digits are lost
        n = int(text)
        if lt.kind == "decimal":
            assert lt.precision is not None
            if abs(n) >= 10**lt.precision:
                raise ValueError(text)
            return Decimal(n)
        lo, hi = LAKE_INT_RANGES[lt.kind]
        if not lo <= n <= hi:
            raise ValueError(text)
        return n
    if wire == DMS_DECIMAL:
        assert lt.precision is not None and lt.scale is not None
        return _fit_decimal(text, lt.precision, lt.scale)
    if wire == DMS_DECIMAL_TEXT:
        return text
    if wire in (DMS_DOUBLE, DMS_FLOAT):
        if not re.match(NUMBER_RE, text):
            raise ValueError(text)
        f = float(text)
        # FLOAT columns are 4-byte floats in the lake (Spark FloatType): round the same way Spark does.
        return struct.unpack("f", struct.pack("f", f))[0] if wire == DMS_FLOAT else f
    if wire == DMS_BOOLEAN:
        if text in BOOLEAN_TRUE:
            return True
        if text in BOOLEAN_FALSE:
            return False
        raise ValueError(text)
    if wire in (DMS_HEX, DMS_GEOMETRY, DMS_SRID):
        if not re.match(HEX_RE, text):
            raise ValueError(text)
        b = bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
        if wire == DMS_HEX:
            return b
        if len(b) <= GEOMETRY_SRID_BYTES:
            raise ValueError(f"{text[:80]} is not an SRID followed by WKB")
        if wire == DMS_GEOMETRY:
            return b[GEOMETRY_SRID_BYTES:]
        srid = int.from_bytes(b[:GEOMETRY_SRID_BYTES], "little")
        if srid > LAKE_INT_RANGES["int"][1]:
            raise ValueError(f"SRID {srid} is out of range")
        return srid
    if wire == DMS_DATE:
        if not re.match(DATE_RE, text):
            raise ValueError(text)
        return date.fromisoformat(text)
    if wire == DMS_DATETIME:
        return _datetime_parts(text)  # a wall clock: DMS's trailing Z is formatting, not a zone
    if wire == DMS_INSTANT:
        return _datetime_parts(text).replace(tzinfo=UTC)  # DMS converts TIMESTAMP to UTC
    if wire == DMS_TIME:
        m = re.match(TIME_RE, text)
        if not m:
            raise ValueError(text)
        sign = -1 if m.group(1) else 1
        secs = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
        return sign * (secs * 1_000_000 + int((m.group(6) or "").ljust(6, "0")))
    return text  # DMS_STRING


# --------------------------------------------------------------------------- envelope


def parse_message(value: RawMessage, where: _Where | None = None) -> Any:
    """The message as parsed JSON with numbers kept as text (RawNumber)."""
    where = where or _Where(None, None)
    if isinstance(value, Mapping):
        return value
    doc, reason = parse_limited(value, _loads)  # type: ignore[arg-type]
    if reason is None:
        return doc
    # Invalid JSON keeps the reason the Spark decoder gives word for word; a broken limit says which.
    raise where.error(REASON_MALFORMED if reason.startswith("not valid JSON") else f"{REASON_MALFORMED}: {reason}")


def _text(meta: Mapping[str, Any], name: str) -> str | None:
    return json_text(meta.get(name))


def parse_stream_position(text: str | None) -> tuple[str, int, int] | None:
    """(binlog file, event position, row in event) from a MySQL stream-position, or None."""
    if not text:
        return None
    m = re.match(STREAM_POSITION_RE, text)
    if not m or binlog_file_index(m.group(1)) > MAX_FILE_INDEX:
        return None
    return m.group(1), int(m.group(2)), max(int(m.group(3)), 0)


def _parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _datetime_parts(text).replace(tzinfo=UTC)
    except ValueError:
        return None  # Spark's cast gives null for an unparseable timestamp: commit_ts is informational


def _row(image: Any, contract: TableContract, where: _Where, prefix: str = "") -> dict[str, Any] | None:
    if image is None:
        return None
    if not isinstance(image, Mapping):
        raise where.error(REASON_NO_DATA)
    out: dict[str, Any] = {}
    for c in contract.lake_columns:
        raw = image.get(prefix + (c.srid_of or c.name))
        try:
            out[c.name] = to_lake_value(raw, c)
        except (ValueError, OverflowError):
            raise where.error(reason_does_not_fit(c)) from None
    return out


def _before_image(doc: Mapping[str, Any], contract: TableContract, where: _Where) -> dict[str, Any] | None:
    """The before image from BeforeImageSettings (a field) or add-before-image-columns (BI_ columns in data)."""
    field = doc.get(BEFORE_IMAGE_FIELD)
    raw_data = doc.get("data")
    data = raw_data if isinstance(raw_data, Mapping) else {}
    if not isinstance(field, Mapping):
        field = {}
    merged = {
        c.name: field.get(c.name) if field.get(c.name) is not None else data.get(BEFORE_IMAGE_PREFIX + c.name)
        for c in contract.columns
    }
    if all(v is None for v in merged.values()):
        return None
    return _row(merged, contract, where)


def decode_dms_events(
    value: RawMessage,
    *,
    key: RawMessage = None,
    contract: TableContract | None = None,
    origin: KafkaOrigin | None = None,
) -> list[ChangeEvent]:
    """Every lake change one DMS message stands for: [] (control, tombstone), one, or two (a key change)."""
    where = _Where(contract, origin)
    if value is None:
        return []
    doc = parse_message(value, where)
    meta = doc.get("metadata") if isinstance(doc, Mapping) else None
    record_type = _text(meta, "record-type") if isinstance(meta, Mapping) else None
    if record_type is None:
        raise where.error(REASON_MALFORMED)
    assert isinstance(meta, Mapping)
    database, table = _text(meta, "schema-name"), _text(meta, "table-name")
    if database and table:
        where.table = f"{database}.{table}"
    operation = _text(meta, "operation") or ""
    if record_type == RECORD_CONTROL:
        if operation in TABLE_ALTER_OPERATIONS:
            raise where.error(reason_table_alter(operation))
        return []  # create-table (and other control records): table announcements, no row
    if record_type != RECORD_DATA:
        raise where.error(reason_unknown_record_type(record_type))
    if operation not in OPERATIONS:
        raise where.error(reason_unknown_operation(operation))
    op = OPERATIONS[operation]
    if contract is None:
        raise where.error("no table contract: DMS JSON carries no schema, the contract names the key and the types")
    image = _row(doc.get("data"), contract, where)
    if image is None:
        raise where.error(REASON_NO_DATA)
    position = parse_stream_position(_text(meta, "stream-position"))
    if op is not Op.READ and position is None:
        raise where.error(REASON_NO_POSITION)
    row_key = {k: image[k] for k in contract.key}
    where.key = row_key
    if any(v is None for v in row_key.values()):
        raise where.error(reason_null_key(contract))
    before = _before_image(doc, contract, where) if op is Op.UPDATE else None

    snapshot = op is Op.READ
    file, pos, row = position if position else (None, 0, 0)
    common: dict[str, Any] = {
        "database": database or contract.database,
        "table": table or contract.table,
        "position": SourcePosition(file=file, pos=pos, row=row, snapshot=snapshot),
        "commit_ts": _parse_ts(_text(meta, "commit-timestamp") or _text(meta, "timestamp")),
        "snapshot": snapshot,
        "transaction_id": _text(meta, "transaction-id"),
        "origin": origin,
    }
    if op is Op.DELETE:
        return [ChangeEvent(op=op, key=row_key, before=image, after=None, **common)]
    old_key = {k: before.get(k) for k in contract.key} if before else None
    if old_key and all(v is not None for v in old_key.values()) and old_key != row_key:
        # A primary-key change: the lake deletes the old key and creates the new one (as Debezium reports it).
        assert before is not None
        return [
            ChangeEvent(op=Op.DELETE, key=old_key, before=before, after=None, **common),
            ChangeEvent(op=Op.CREATE, key=row_key, before=None, after=image, **common),
        ]
    return [ChangeEvent(op=op, key=row_key, before=before, after=image, **common)]


def decode_dms(
    value: RawMessage,
    *,
    key: RawMessage = None,
    contract: TableContract | None = None,
    origin: KafkaOrigin | None = None,
) -> ChangeEvent | None:
    """The ``Decoder`` protocol: the row change of one message (None for control records).

    For a primary-key change this is the update with ``before`` holding the old key's image;
    ``decode_dms_events`` splits it into delete(old key) + create(new key), which the lake applies.
    """
    events = decode_dms_events(value, key=key, contract=contract, origin=origin)
    if not events:
        return None
    if len(events) == 2:
        d, c = events
        return ChangeEvent(**{**c.model_dump(), "op": Op.UPDATE, "before": d.before, "origin": origin})
    return events[0]


def message_table(value: RawMessage) -> str | None:
    """``schema.table`` named by a DMS message's metadata, for picking its contract."""
    try:
        doc = parse_message(value)
    except DecodeError:
        return None
    meta = doc.get("metadata") if isinstance(doc, Mapping) else None
    if not isinstance(meta, Mapping):
        return None
    s, t = _text(meta, "schema-name"), _text(meta, "table-name")
    return f"{s}.{t}" if s and t else None
