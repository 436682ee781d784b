"""Debezium (MySQL / MariaDB connector, Kafka Connect JsonConverter) messages -> ``cdc.events.ChangeEvent``.

This is the pure-Python twin of ``spark_jobs.decode.decode_debezium``: the CLI, the
dead-letter tools and the tests decode with it, and the Spark job is held to it. Where
the two could differ, this module follows the Spark semantics:

* position: ``SourcePosition(file, pos or 0, row or 0, snapshot, gtid)`` with
  ``snapshot = source.snapshot not in (null, "false", false)`` (Spark reads the field as
  a string and treats everything but "false" as a snapshot read: "true", "last",
  "first_in_data_collection", "incremental", ...);
* ``commit_ts`` is ``source.ts_ms`` (UTC); when that is 0 ("unknown", not 1970) the envelope's
  ``ts_ms`` (when Debezium read the change); None when the source block has no ts_ms (old Debezium
  versions only sent ts_sec; Spark's ``timestamp_millis(null)`` is null too);
* with a contract, the row has exactly the contract's columns (a column the contract
  does not know is dropped, a missing one is None), converted like ``to_lake_value``:
  DECIMAL strings are cast with HALF_UP rounding to the declared scale and a value whose
  integer digits overflow the precision is an error (Spark's cast gives null and
  ``_value_fit_errors`` dead-letters it), DATETIME epoch millis/micros become naive wall
  clock datetimes (the Spark session is UTC), TIMESTAMP ZonedTimestamp strings aware UTC
  datetimes, DATE epoch days dates, binary base64 bytes, TIME micros ints.

Where Spark would silently produce a NULL from a value of the wrong JSON type (e.g. a
string in an int column), this decoder raises ``DecodeError`` instead: it is the
stricter of the two, and a silent NULL is never what the lake wants.

JSON is parsed with ``parse_float=Decimal`` so no value ever passes through a binary
float: ``value.converter.decimal.format=NUMERIC`` puts BIGINT UNSIGNED (precise mode)
on the wire as a bare JSON number that may exceed 2^63.

Schemas-enabled envelopes (``{"schema": ..., "payload": ...}``, as in the Debezium docs)
are accepted too: the payload is decoded, and Connect/Debezium logical types are turned
into Python values by the schema's ``name`` before the contract (if any) is applied.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cdc.decoders.limits import parse_limited
from cdc.decoders.location import Where as _Where
from cdc.decoders.wire import (
    BIGINT_RANGE,
    DECIMAL_CONTEXT,
    INT_RANGES,
    PLAIN_DECIMAL,
    SNAPSHOT_FALSE,
    TWO_POW_64,
    integer_digits_fit,
)
from cdc.events import MAX_FILE_INDEX, MAX_POS, MAX_ROW, ChangeEvent, KafkaOrigin, Op, SourcePosition, binlog_file_index
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.types import (
    CONNECTOR_MODES,
    SPARK_MAX_DECIMAL_PRECISION,
    WIRE_BASE64,
    WIRE_BITS,
    WIRE_BOOLEAN,
    WIRE_DECIMAL_BASE64,
    WIRE_DECIMAL_DOUBLE,
    WIRE_DECIMAL_NUMBER,
    WIRE_DECIMAL_STRING,
    WIRE_EPOCH_DAYS,
    WIRE_EPOCH_MICROS,
    WIRE_EPOCH_MILLIS,
    WIRE_GEOMETRY,
    WIRE_MICROS,
    WIRE_MILLIS_TIME,
    WIRE_NUMBER,
    WIRE_SRID,
    WIRE_STRING,
    WIRE_UNSIGNED_LONG,
    WIRE_ZONED_STRING,
    YEAR_ZERO_ON_WIRE,
    ZERO_TIMESTAMP_EPOCH,
    DebeziumModes,
    wire_encoding,
)

RawMessage = bytes | bytearray | str | Mapping[str, Any] | None

# Debezium's heartbeat topic is "__debezium-heartbeat.<topic.prefix>"; its value is {"ts_ms": ...}.
HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat"
TRANSACTION_STATUSES = ("BEGIN", "END")
# Top-level fields of schema-change events (<prefix> topic) and schema-history records; no row change has them.
SCHEMA_CHANGE_FIELDS = ("ddl", "historyRecord", "tableChanges")

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)

# Connect / Debezium logical type names (schema "name") for schemas-enabled envelopes.
CONNECT_DECIMAL = "org.apache.kafka.connect.data.Decimal"
CONNECT_DATE = "org.apache.kafka.connect.data.Date"
CONNECT_TIME = "org.apache.kafka.connect.data.Time"
CONNECT_TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"
DBZ_VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal"
DBZ_DATE = "io.debezium.time.Date"
DBZ_TIME = "io.debezium.time.Time"
DBZ_MICRO_TIME = "io.debezium.time.MicroTime"
DBZ_NANO_TIME = "io.debezium.time.NanoTime"
DBZ_TIMESTAMP = "io.debezium.time.Timestamp"
DBZ_MICRO_TIMESTAMP = "io.debezium.time.MicroTimestamp"
DBZ_NANO_TIMESTAMP = "io.debezium.time.NanoTimestamp"
DBZ_ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp"


# --------------------------------------------------------------------------- parsing


def _loads(text: str) -> Any:
    # parse_float=Decimal: decimals must never pass through a binary float.
    return json.loads(text, parse_float=Decimal)


def _parse_json(raw: RawMessage, what: str, where: _Where) -> Any:
    if raw is None or isinstance(raw, Mapping):
        return raw
    doc, reason = parse_limited(raw, _loads)
    if reason is not None:
        raise where.error(f"{what} is {reason}" if reason.startswith(("not ", "a ")) else f"{what}: {reason}")
    return doc


def _unwrap(doc: Any) -> tuple[Any, Mapping[str, Any] | None]:
    """Split a schemas-enabled JsonConverter document into (payload, schema); pass others through."""
    if (
        isinstance(doc, Mapping)
        and set(doc) == {"schema", "payload"}
        and (doc["schema"] is None or isinstance(doc["schema"], Mapping))
        and (doc["payload"] is None or isinstance(doc["payload"], Mapping))
    ):
        return doc["payload"], doc["schema"]
    return doc, None


def _field_schemas(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    if not schema:
        return {}
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return {}
    return {f["field"]: f for f in fields if isinstance(f, Mapping) and isinstance(f.get("field"), str)}


def _b64(value: str) -> bytes:
    # validate=False mirrors Spark's unbase64 (a MIME decoder that skips characters outside the alphabet).
    return base64.b64decode(value, validate=False)


# Connect schemas carry the scale as text; MySQL's largest is 30, anything beyond 1000 is not a scale.
MAX_SCALE = 1000
# Integers a logical type may hold before it is converted (epoch nanos of year 9999 have 20 digits).
MAX_LOGICAL_INT = 10**30


def _scale(raw: Any) -> int:
    n = _small_int(raw)
    if not 0 <= n <= MAX_SCALE:
        raise ValueError(f"scale {raw!r} is outside 0..{MAX_SCALE}")
    return n


def _small_int(value: Any) -> int:
    """An integer of a logical type or schema parameter; big or non-integral values raise ValueError, never run long."""
    if isinstance(value, str) and len(value) <= 40:
        value = Decimal(value.strip()) if PLAIN_DECIMAL.match(value.strip()) else value
    n = _int(value)
    if abs(n) > MAX_LOGICAL_INT:
        raise ValueError(f"{value!r} is too large")
    return n


def _unscaled_to_decimal(raw: Any, scale: int) -> Decimal:
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        return Decimal(raw)  # value.converter.decimal.format=NUMERIC: already a number
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} is not base64 text")
    unscaled = int.from_bytes(_b64(raw), "big", signed=True)  # Connect Decimal: big-endian two's complement
    return Decimal(unscaled).scaleb(-scale)


def _from_connect_checked(value: Any, schema: Mapping[str, Any] | None, what: str, where: _Where) -> Any:
    """``_from_connect``, with a value that does not match its schema reported as a DecodeError."""
    try:
        return _from_connect(value, schema)
    except (ValueError, TypeError, KeyError, OverflowError, ArithmeticError, binascii.Error) as exc:
        raise where.error(f"{what} does not match its Connect schema: {type(exc).__name__} {str(exc)[:120]}") from None


def _from_connect(value: Any, schema: Mapping[str, Any] | None) -> Any:
    """Decode one value by its Connect schema: logical types by ``name``, then structs/arrays/bytes by ``type``."""
    if value is None or not schema:
        return value
    name = schema.get("name")
    typ = schema.get("type")
    if name == CONNECT_DECIMAL:
        params = schema.get("parameters")
        return _unscaled_to_decimal(value, _scale((params if isinstance(params, Mapping) else {}).get("scale", 0)))
    if name == DBZ_VARIABLE_SCALE_DECIMAL and isinstance(value, Mapping):
        if "value" not in value or "scale" not in value:
            raise ValueError("VariableScaleDecimal needs both value and scale")
        return _unscaled_to_decimal(value["value"], _scale(value["scale"]))
    if name in (DBZ_DATE, CONNECT_DATE):
        return _EPOCH_DATE + timedelta(days=_small_int(value))
    if name in (DBZ_TIMESTAMP, CONNECT_TIMESTAMP):
        return _EPOCH + timedelta(milliseconds=_small_int(value))
    if name == DBZ_MICRO_TIMESTAMP:
        return _EPOCH + timedelta(microseconds=_small_int(value))
    if name == DBZ_NANO_TIMESTAMP:
        return _EPOCH + timedelta(microseconds=_small_int(value) // 1000)  # the lake keeps microseconds
    if name == DBZ_ZONED_TIMESTAMP:
        return _parse_zoned(value)
    # TIME is an int of microseconds in the lake (lake type "long", wire "micros").
    # A timedelta, so the contract conversion knows the unit is already resolved.
    if name == DBZ_MICRO_TIME:
        return timedelta(microseconds=_small_int(value))
    if name in (DBZ_TIME, CONNECT_TIME):
        return timedelta(milliseconds=_small_int(value))
    if name == DBZ_NANO_TIME:
        return timedelta(microseconds=_small_int(value) // 1000)
    if typ == "bytes" and isinstance(value, str):
        return _b64(value)
    if typ == "struct" and isinstance(value, Mapping):
        fields = _field_schemas(schema)
        return {k: _from_connect(v, fields.get(k)) for k, v in value.items()}
    if typ == "array" and isinstance(value, list):
        items = schema.get("items")
        return [_from_connect(v, items if isinstance(items, Mapping) else None) for v in value]
    return value


def _parse_zoned(value: Any) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        # Debezium writes ISO-8601 with "Z" (ZonedTimestamp, normalised to UTC); fromisoformat keeps microseconds.
        dt = datetime.fromisoformat(str(value).strip())
    # No offset: Spark's to_timestamp reads it in the session time zone, which is UTC.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


# --------------------------------------------------------------------------- contract conversion


def _json_text(value: Any) -> str:
    """A non-string value in a string column: Spark's from_json keeps the JSON text; so do we."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, default=str, separators=(",", ":"))


def _fit_decimal(value: Any, precision: int, scale: int) -> Decimal:
    """``value`` as decimal(p,s): padded to ``scale``; digits beyond the scale or the precision -> ValueError."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a decimal")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))  # only reachable with a pre-parsed dict; repr is the shortest exact text
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"a {type(value).__name__} is not a decimal")
    if not d.is_finite():
        raise ValueError(f"{value!r} is not finite")
    try:
        q = d.quantize(Decimal(1).scaleb(-scale), context=DECIMAL_CONTEXT)
    except InvalidOperation:
        raise ValueError(f"{value!r} is out of range") from None
    if q != d:
        raise ValueError(f"{value!r} has more fraction digits than the scale {scale} (the lake never rounds)")
    if not integer_digits_fit(q, precision, scale):
        raise ValueError(f"{value!r} has more than {precision - scale} integer digits")
    return q


# Far above any column's range, far below where int(Decimal) would take seconds (1e999999 is a valid JSON number).
_INT_DIGITS_LIMIT = Decimal(10) ** 80


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, Decimal):
        if not value.is_finite() or value.copy_abs() >= _INT_DIGITS_LIMIT:
            raise ValueError(f"{str(value)[:40]} is out of range")
        if value != value.to_integral_value():
            raise ValueError(f"{value!r} is not an integer")
    return int(value)




def _bytes(value: Any, modes: DebeziumModes) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not {modes.binary_handling} text")
    if modes.binary_handling == "hex":
        return bytes.fromhex(value)
    if modes.binary_handling == "base64-url-safe":
        return _b64(value.replace("-", "+").replace("_", "/"))
    return _b64(value)


def to_lake_value(value: Any, column: Column, modes: DebeziumModes = CONNECTOR_MODES) -> Any:
    """One wire value -> the Python value of the column's lake type (``spark_jobs.decode.to_lake_value``).

    Accepts the wire encoding of ``modes`` and also values already decoded from a
    schemas-enabled envelope (Decimal, datetime, date, bytes). Raises ValueError when the
    value does not fit; the caller turns it into a DecodeError naming the column.
    """
    if value is None:
        return None
    t = column.lake_type
    mt = column.mysql_type
    wire = wire_encoding(mt, modes)
    if wire in (WIRE_DECIMAL_STRING, WIRE_DECIMAL_NUMBER, WIRE_DECIMAL_BASE64, WIRE_DECIMAL_DOUBLE, WIRE_UNSIGNED_LONG):
        if wire == WIRE_DECIMAL_BASE64 and not isinstance(value, Decimal | int):
            if t.kind != "decimal" or (t.precision or 0) > SPARK_MAX_DECIMAL_PRECISION:
                raise ValueError("a DECIMAL wider than 38 digits cannot be read exactly from bytes; set decimal.handling.mode=string")
            value = Decimal(int.from_bytes(_bytes(value, modes), "big", signed=True)).scaleb(-(t.scale or 0))
        if wire == WIRE_DECIMAL_NUMBER and t.kind != "decimal" and not isinstance(value, str):
            # Spark reads a JSON number wider than a double's precision through a double: refuse, as it does.
            raise ValueError("a DECIMAL wider than 38 digits cannot be read exactly from a JSON number; set decimal.handling.mode=string")
        if wire == WIRE_UNSIGNED_LONG:
            n = _int(value)
            value = n + TWO_POW_64 if n < 0 else n
        if wire == WIRE_DECIMAL_DOUBLE and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            value = Decimal(repr(float(value)))  # the double Debezium sent (lossy by that mode's design)
        if t.kind == "decimal":
            assert t.precision is not None and t.scale is not None
            return _fit_decimal(value, t.precision, t.scale)
        # DECIMAL wider than Spark's 38 digits: the lake keeps the exact digits as text.
        text = _json_text(value)
        if not PLAIN_DECIMAL.match(text):
            raise ValueError(f"{text[:80]!r} is not a plain decimal number")
        return text
    if wire in (WIRE_EPOCH_MILLIS, WIRE_EPOCH_MICROS):
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        n = _int(value)
        # DATETIME is a wall clock: Debezium encodes it as if it were UTC; the lake type is TIMESTAMP_NTZ.
        return _EPOCH + (timedelta(milliseconds=n) if wire == WIRE_EPOCH_MILLIS else timedelta(microseconds=n))
    if wire == WIRE_ZONED_STRING:
        if not isinstance(value, str | datetime):
            raise ValueError(f"{value!r} is not an ISO-8601 timestamp")
        if value == ZERO_TIMESTAMP_EPOCH:
            return None  # the zero TIMESTAMP (docs/types.md)
        return _parse_zoned(value)
    if wire == WIRE_EPOCH_DAYS:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        return _EPOCH_DATE + timedelta(days=_int(value))
    if wire == WIRE_BASE64:
        return _bytes(value, modes)
    if wire == WIRE_BITS:
        return _bytes(value, modes)[::-1]  # Debezium's Bits are little-endian; MySQL's BIT bytes big-endian
    if wire == WIRE_GEOMETRY:
        wkb = value.get("wkb") if isinstance(value, Mapping) else None
        if wkb is None:
            raise ValueError(f"{value!r} is not a geometry struct with a wkb field")
        return _bytes(wkb, modes)
    if wire == WIRE_SRID:  # ``value`` is the geometry struct; its own column reports a malformed one
        if not isinstance(value, Mapping) or value.get("wkb") is None:
            return None
        srid = value.get("srid")
        if srid is None:
            return 0  # Debezium leaves SRID 0 out
        n = _int(srid)
        lo, hi = INT_RANGES[("int", False)]
        if not lo <= n <= hi:
            raise ValueError(f"SRID {n} is out of range")
        return n
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    if wire == WIRE_MICROS:
        return _int(value)
    if wire == WIRE_MILLIS_TIME:
        return _int(value) * 1000
    if wire == WIRE_BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not a boolean")
        return value
    if wire == WIRE_NUMBER:
        if t.kind in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise ValueError(f"{value!r} is not a number")
            if t.kind == "float":
                return struct.unpack("f", struct.pack("f", float(value)))[0]  # the 4-byte float the lake keeps
            return float(value)
        n = _int(value)
        if mt.base == "year" and n == YEAR_ZERO_ON_WIRE:
            n = 0  # YEAR 0000 leaves the binlog reader as 1900 (docs/types.md)
        lo, hi = INT_RANGES.get((mt.base, mt.unsigned), BIGINT_RANGE)
        if not lo <= n <= hi:
            raise ValueError(f"{n} is out of range for {mt}")
        return n
    if wire == WIRE_STRING:
        return _json_text(value)
    raise ValueError(f"no conversion for wire encoding {wire!r}")


def _convert_row(
    image: Mapping[str, Any] | None, contract: TableContract, where: _Where, modes: DebeziumModes = CONNECTOR_MODES
) -> dict[str, Any] | None:
    if image is None:
        return None
    if not isinstance(image, Mapping):
        raise where.error(f"row image is a {type(image).__name__}, not an object")
    row: dict[str, Any] = {}
    for c in contract.lake_columns:
        try:
            row[c.name] = to_lake_value(image.get(c.srid_of or c.name), c, modes)
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            # Same wording as spark_jobs.decode._value_fit_errors, plus the reason.
            raise where.error(f"value of {c.name} does not fit {c.type}: {exc}") from exc
    return row


# --------------------------------------------------------------------------- key


def decode_key(
    key: RawMessage,
    *,
    contract: TableContract | None = None,
    origin: KafkaOrigin | None = None,
    modes: DebeziumModes = CONNECTOR_MODES,
) -> dict[str, Any] | None:
    """The Kafka record key as a dict (schemas-enabled or not); None for a null key."""
    return _decode_key(key, contract, _Where(contract, origin), modes)


def _decode_key(
    key: RawMessage, contract: TableContract | None, where: _Where, modes: DebeziumModes = CONNECTOR_MODES
) -> dict[str, Any] | None:
    doc = _parse_json(key, "key", where)
    payload, schema = _unwrap(doc)
    if payload is None:
        return None
    if not isinstance(payload, Mapping):
        raise where.error(f"key is a {type(payload).__name__}, not an object: {payload!r}")
    decoded = _from_connect_checked(dict(payload), schema, "key", where) if schema else dict(payload)
    if contract is None:
        return decoded
    names = {c.name for c in contract.columns}
    out: dict[str, Any] = {}
    for k, v in decoded.items():
        if k not in names:
            out[k] = v
            continue
        try:
            out[k] = to_lake_value(v, contract.column(k), modes)
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            raise where.error(f"key value of {k} does not fit {contract.column(k).type}: {exc}") from exc
    return out


# --------------------------------------------------------------------------- envelope


def _is_ignored(payload: Mapping[str, Any], origin: KafkaOrigin | None) -> bool:
    """Records on Debezium topics that are not row changes; they carry nothing for the lake.

    * transaction BEGIN/END (provide.transaction.metadata): only markers for "caught up to
      transaction X"; the changes themselves arrive as their own records;
    * heartbeats: only move the connector's offsets while tables are idle;
    * schema changes (include.schema.changes) / schema history: the table contract, not the
      DDL stream, defines the lake schema, and a changed source is caught by the contract check.
    """
    if "op" not in payload and payload.get("status") in TRANSACTION_STATUSES:
        return True
    if set(payload) == {"ts_ms"} or (origin is not None and origin.topic.startswith(HEARTBEAT_TOPIC_PREFIX)):
        return True
    return any(f in payload for f in SCHEMA_CHANGE_FIELDS)


def _table_from_topic(origin: KafkaOrigin | None) -> tuple[str | None, str | None]:
    """Debezium's table topics are <topic.prefix>.<database>.<table>."""
    if origin is None:
        return None, None
    parts = origin.topic.rsplit(".", 2)
    return (parts[1], parts[2]) if len(parts) == 3 else (None, None)


# Binlog file names are short (MySQL caps basenames at FN_REFLEN); the limit keeps int() of the index cheap.
MAX_FILE_NAME = 255
# source.ts_ms must be a time Python and Spark can hold: years 1..9999.
TS_MS_RANGE = (-62135596800000, 253402300799999)


def _position_int(value: Any, name: str, where: _Where, bounds: tuple[int, int] = (0, MAX_POS)) -> int:
    """A position field within ``bounds`` (outside them the fixed-width sort key would break)."""
    if value is None:
        return 0  # Spark: coalesce(pos, 0) / coalesce(row, 0)
    try:
        if isinstance(value, str):
            if len(value) > 40:
                raise ValueError(value)
            n = int(value)
        else:
            n = _int(value)
    except ValueError:
        raise where.error(f"source.{name} is not an integer: {str(value)[:40]!r}") from None
    lo, hi = bounds
    if not lo <= n <= hi:
        raise where.error(f"source.{name} {n} is outside {lo}..{hi}")
    return n


def _optional_text(source: Mapping[str, Any], name: str, where: _Where, prefix: str = "source") -> str | None:
    value = source.get(name)
    if value is not None and not isinstance(value, str):
        raise where.error(f"{prefix}.{name} is a {type(value).__name__}, not text")
    return value


def decode_debezium(
    value: RawMessage,
    *,
    key: RawMessage = None,
    contract: TableContract | None = None,
    origin: KafkaOrigin | None = None,
    modes: DebeziumModes = CONNECTOR_MODES,
    allow_null_key: bool = False,
) -> ChangeEvent | None:
    """Decode one Kafka record from a Debezium MySQL/MariaDB topic.

    Returns None for records that are not row changes (tombstones, transaction BEGIN/END,
    heartbeats, schema changes). Raises DecodeError for anything that cannot be decoded.
    ``allow_null_key``: without a Kafka key and a contract the event gets an empty key instead
    of an error (for inspecting a message of a table not yet onboarded; the lake needs the key).
    """
    where = _Where(contract, origin)
    # A tombstone (null value) follows every delete so Kafka log compaction can drop the key;
    # the delete event before it already carried the change (the Spark job filters them too).
    if value is None:
        return None
    if origin is not None and origin.topic.startswith(HEARTBEAT_TOPIC_PREFIX):
        return None
    doc = _parse_json(value, "value", where)
    payload, schema = _unwrap(doc)
    if payload is None:
        return None  # a schemas-enabled tombstone: {"schema": null, "payload": null}
    if not isinstance(payload, Mapping):
        raise where.error(f"not a Debezium change event: the value is a {type(payload).__name__}")
    if _is_ignored(payload, origin):
        return None

    source = payload.get("source") or {}
    if not isinstance(source, Mapping):
        raise where.error("source block is not an object")
    topic_db, topic_table = _table_from_topic(origin)
    for name in ("db", "table", "file", "gtid"):
        _optional_text(source, name, where)
    database = source.get("db") or (contract.database if contract else None) or topic_db
    table = source.get("table") or (contract.table if contract else None) or topic_table
    if database and table:
        where.table = f"{database}.{table}"

    kafka_key = _decode_key(key, contract, where, modes)
    where.key = kafka_key

    op_raw = payload.get("op")
    if op_raw is None:
        raise where.error("not a Debezium change event (malformed JSON or missing op)")
    try:
        op = Op(op_raw)
    except ValueError:
        raise where.error(f"unknown op {op_raw!r}") from None
    if not database or not table:
        raise where.error("cannot tell the table: no source.db/source.table, no contract and no <prefix>.<db>.<table> topic")

    fields = _field_schemas(schema)
    before = _from_connect_checked(payload.get("before"), fields.get("before"), "before", where)
    after = _from_connect_checked(payload.get("after"), fields.get("after"), "after", where)
    if contract is not None:
        before = _convert_row(before, contract, where, modes)
        after = _convert_row(after, contract, where, modes)
    image = before if op is Op.DELETE else after
    if op is not Op.TRUNCATE and image is None:
        raise where.error(f"change event without a row image (op {op.value} needs {'before' if op is Op.DELETE else 'after'})")
    for name, img in (("before", before), ("after", after)):
        if img is not None and not isinstance(img, Mapping):
            raise where.error(f"row image {name} is a {type(img).__name__}, not an object")

    if op is Op.TRUNCATE:
        # Truncate records have a null Kafka key: the change is to the whole table.
        event_key: dict[str, Any] = kafka_key or {}
    else:
        assert image is not None
        if contract is not None:
            # The lake's record key is the contract's key columns of the row (as in the Spark job).
            image_key = {k: image.get(k) for k in contract.key}
            if any(v is None for v in image_key.values()):
                where.key = where.key or image_key
                raise where.error(f"record key {list(contract.key)} is null")
            event_key = kafka_key if kafka_key is not None else image_key
        elif kafka_key is not None:
            event_key = kafka_key
        elif allow_null_key:
            event_key = {}
        else:
            raise where.error("null key: the Kafka key is null and no contract names the key columns")
        if (not event_key and not allow_null_key) or any(v is None for v in event_key.values()):
            raise where.error(f"null key {event_key!r}")
    where.key = event_key

    snapshot = source.get("snapshot") not in SNAPSHOT_FALSE
    file = source.get("file")
    if file is not None and (len(file) > MAX_FILE_NAME or binlog_file_index(file) > MAX_FILE_INDEX):
        raise where.error(f"source.file {file[:MAX_FILE_NAME]!r} is longer than {MAX_FILE_NAME} or its index is outside 0..{MAX_FILE_INDEX}")
    position = SourcePosition(
        file=file,
        pos=_position_int(source.get("pos"), "pos", where),
        row=_position_int(source.get("row"), "row", where, (0, MAX_ROW)),
        snapshot=snapshot,
        gtid=source.get("gtid"),
    )
    ts_ms = source.get("ts_ms")
    if ts_ms == 0:  # some envelopes carry the commit time only at the top level
        ts_ms = payload.get("ts_ms")
    commit_ts = None if ts_ms is None else _EPOCH_UTC + timedelta(milliseconds=_position_int(ts_ms, "ts_ms", where, TS_MS_RANGE))
    txn = payload.get("transaction")
    transaction_id = _optional_text(txn, "id", where, "transaction") if isinstance(txn, Mapping) else None

    return ChangeEvent(
        op=op,
        database=database,
        table=table,
        key=event_key,
        before=before,
        after=after,
        position=position,
        commit_ts=commit_ts,
        snapshot=snapshot,
        transaction_id=transaction_id,
        origin=origin,
    )
