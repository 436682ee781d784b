"""Kafka records -> canonical lake columns, with native Spark functions only (no Python UDFs).

Input: the Kafka source's columns (key, value, topic, partition, offset, timestamp).
Output of ``decode_debezium``: the contract's columns in lake types, the _cdc_* meta
columns, ``_hoodie_is_deleted``, and ``_cdc_error`` (null for good rows; the reason
otherwise). Rows with an error go to the dead-letter table, never silently away.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cdc import events as ev
from cdc.decoders.wire import INT_RANGES, PLAIN_DECIMAL_RE, SNAPSHOT_FALSE_TEXT, TWO_POW_64
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN
from lakehouse_schemas.types import (
    CONNECTOR_MODES,
    SPARK_MAX_DECIMAL_PRECISION,
    WIRE_BASE64,
    WIRE_BITS,
    WIRE_DECIMAL_BASE64,
    WIRE_DECIMAL_DOUBLE,
    WIRE_DECIMAL_NUMBER,
    WIRE_DECIMAL_STRING,
    WIRE_EPOCH_DAYS,
    WIRE_EPOCH_MICROS,
    WIRE_EPOCH_MILLIS,
    WIRE_GEOMETRY,
    WIRE_MILLIS_TIME,
    WIRE_SRID,
    WIRE_UNSIGNED_LONG,
    WIRE_ZONED_STRING,
    YEAR_ZERO_ON_WIRE,
    ZERO_TIMESTAMP_EPOCH,
    DebeziumModes,
    wire_encoding,
)
from spark_jobs import recipe
from spark_jobs.ansi import try_cast
from spark_jobs.decode_dms import decode_dms
from spark_jobs.decode_guards import envelope_error, envelope_parts, envelope_tokens
from spark_jobs.decoded import ERROR_COLUMN, position_sort_key
from spark_jobs.drift import with_drift_reason
from spark_jobs.schema import debezium_document, lake_spark_type

__all__ = ["ERROR_COLUMN", "decode_checked", "decode_debezium", "decode_records", "position_sort_key", "to_lake_value"]

TRUNCATE = ev.Op.TRUNCATE.value
_IMAGE, _IMAGE_TEXT, _BARRIER = "_dz_image", "_dz_image_text", "_dz_barrier"


def _binary(raw: SparkColumn, modes: DebeziumModes) -> SparkColumn:
    """Bytes from their binary.handling.mode text form."""
    if modes.binary_handling == "hex":
        return F.unhex(raw)
    if modes.binary_handling == "base64-url-safe":
        return F.unbase64(F.translate(raw, "-_", "+/"))
    return F.unbase64(raw)


def _reverse_bytes(b: SparkColumn) -> SparkColumn:
    # Debezium's Bits are little-endian; MySQL (and SELECT) give BIT(n) big-endian: reverse the byte order.
    pairs = F.split(F.regexp_replace(F.hex(b), "(..)", "$1,"), ",")
    return F.unhex(F.array_join(F.reverse(pairs), ""))


def _twos_complement_decimal(b: SparkColumn, precision: int, scale: int) -> SparkColumn:
    """Connect Decimal bytes (big-endian two's complement unscaled value) -> decimal(p,s), natively."""
    octets = F.transform(F.split(F.regexp_replace(F.hex(b), "(..)", "$1,"), ","), lambda h: F.conv(h, 16, 10).cast("int"))
    octets = F.filter(octets, lambda o: o.isNotNull())
    wide = "decimal(38,0)"
    unsigned = F.aggregate(octets, F.lit(0).cast(wide), lambda acc, o: (acc * 256 + o).cast(wide))
    negative = F.element_at(octets, 1) >= 128
    signed = F.when(negative, unsigned - F.pow(F.lit(256), F.size(octets)).cast(wide)).otherwise(unsigned)
    return try_cast(signed.cast(wide) / F.pow(F.lit(10), F.lit(scale)).cast(wide), f"decimal({precision},{scale})")


def to_lake_value(raw: SparkColumn, c: Column, modes: DebeziumModes = CONNECTOR_MODES) -> SparkColumn:
    """One wire value (read with spark_jobs.schema.wire_spark_type) -> the column's lake type."""
    t = c.lake_type
    target = lake_spark_type(t)
    wire = wire_encoding(c.mysql_type, modes)
    if wire == WIRE_DECIMAL_STRING:
        if t.kind == "string":  # DECIMAL wider than 38 digits: the exact text, if it is a plain number
            return F.when(raw.rlike(PLAIN_DECIMAL_RE), raw)
        return try_cast(raw, target)
    if wire == WIRE_DECIMAL_NUMBER:
        return try_cast(raw, target) if t.kind == "decimal" else F.lit(None).cast("string")  # >38 digits: see _fit_errors
    if wire == WIRE_DECIMAL_BASE64:
        if t.kind != "decimal" or (t.precision or 0) > SPARK_MAX_DECIMAL_PRECISION:
            return F.lit(None).cast(target)
        return _twos_complement_decimal(_binary(raw, modes), t.precision or 10, t.scale or 0)
    if wire == WIRE_DECIMAL_DOUBLE:
        return try_cast(raw, target)  # decimal.handling.mode=double is lossy before it reaches us
    if wire == WIRE_UNSIGNED_LONG:
        # bigint.unsigned.handling.mode=long sends 2^63..2^64-1 as their two's complement: undo it.
        wide = try_cast(raw, target)
        return F.when(raw < 0, try_cast(wide + F.lit(str(TWO_POW_64)).cast("decimal(20,0)"), target)).otherwise(wide)
    if wire == WIRE_EPOCH_MILLIS:
        # DATETIME is a wall clock that Debezium encodes as if it were UTC; the session time zone is UTC.
        return F.timestamp_millis(raw).cast("timestamp_ntz")
    if wire == WIRE_EPOCH_MICROS:
        return F.timestamp_micros(raw).cast("timestamp_ntz")
    if wire == WIRE_ZONED_STRING:
        ts = F.try_to_timestamp(raw)
        return F.when(raw != F.lit(ZERO_TIMESTAMP_EPOCH), ts)  # the zero TIMESTAMP -> NULL (docs/types.md)
    if wire == WIRE_EPOCH_DAYS:
        return F.date_add(F.lit("1970-01-01").cast("date"), raw)
    if wire == WIRE_MILLIS_TIME:
        return F.try_multiply(raw, F.lit(1000))
    if wire == WIRE_BASE64:
        return _binary(raw, modes)
    if wire == WIRE_BITS:
        return _reverse_bytes(_binary(raw, modes))
    if wire == WIRE_GEOMETRY:
        return _binary(raw.getField("wkb"), modes)
    if wire == WIRE_SRID:  # ``raw`` is the geometry struct; Debezium leaves SRID 0 out (srid null)
        return F.when(raw.getField("wkb").isNotNull(), F.coalesce(raw.getField("srid"), F.lit(0)))
    if c.mysql_type.base == "year":
        # YEAR 0000 leaves the binlog reader as 1900 (1900 + the stored 0); 1900 is no valid YEAR.
        return try_cast(F.when(raw == F.lit(YEAR_ZERO_ON_WIRE), F.lit(0)).otherwise(raw), target)
    return try_cast(raw, target)


def decode_records(records: DataFrame, contract: TableContract) -> DataFrame:
    """Decode with the contract's capture format; every decoder returns the same columns."""
    if contract.capture_format == "dms":
        return recipe.cached(records, ("dms", contract), lambda r: decode_dms(r, contract))
    return decode_debezium(records, contract)


def decode_checked(records: DataFrame, contract: TableContract, *, added_later: frozenset[str] = frozenset()) -> DataFrame:
    """``decode_records`` plus the schema-drift check: what the stream and a replay both apply.

    A column the contract does not know (or no longer gets) parks the event: never a silent drop.
    ``added_later``: source columns an event may lack because they did not exist yet (see drift_reason).
    DMS rows are checked against the contract by the DMS decoder itself.
    """
    if contract.capture_format != "debezium":
        return decode_records(records, contract)
    return recipe.cached(
        records,
        ("checked", contract, added_later),
        lambda r: with_drift_reason(_decode_debezium(r, contract, CONNECTOR_MODES), "_kafka_value", ERROR_COLUMN, contract, added_later=added_later),
    )


def decode_debezium(records: DataFrame, contract: TableContract, modes: DebeziumModes = CONNECTOR_MODES) -> DataFrame:
    """Debezium JSON (JsonConverter, schemas on or off) -> lake columns + meta + ``_cdc_error``.

    Records that are not row changes (tombstones, transaction BEGIN/END, heartbeats, schema
    changes) are dropped here; a truncate (op ``t``) passes with null columns (stream applies it).
    The projections are built once per contract and modes (spark_jobs.recipe).
    """
    return recipe.cached(records, ("debezium", contract, modes), lambda r: _decode_debezium(r, contract, modes))


def _decode_debezium(records: DataFrame, contract: TableContract, modes: DebeziumModes) -> DataFrame:
    value = F.col("value").cast("string")
    typed = F.from_json(value, debezium_document(contract, modes))
    # The same document with every row column as raw JSON text: tells "absent/null" from "did not parse".
    text = F.from_json(value, debezium_document(contract, modes, text=True))
    schemas_on = typed.getField("payload").isNotNull()
    # Stacked projections, each costly value computed once and read by name after (see decode_guards).
    df = (
        records.where(F.col("value").isNotNull())
        .select(
            "topic",
            "partition",
            "offset",
            "key",
            "value",
            F.when(schemas_on, typed.getField("payload")).otherwise(typed.dropFields("schema", "payload")).alias("e"),
            F.when(schemas_on, text.getField("payload")).otherwise(text.dropFields("schema", "payload")).alias("t"),
            *envelope_parts(F.col("value")),
        )
        .select("*", *envelope_tokens())
        .select(
            "topic", "partition", "offset", "key", "value", "e", "t",
            envelope_error(F.col("value"), F.col("key")).alias("envelope_error"),
            # Non-deterministic, so the optimizer cannot push the filter below through this projection:
            # pushed down, the filter would parse every value again (from_json substituted for ``e``).
            F.spark_partition_id().alias(_BARRIER),
        )
    )
    op = F.col("e.op")
    not_a_change = op.isNull() & (
        F.coalesce(F.col("e.status").isin("BEGIN", "END"), F.lit(False))
        | F.col("e.ddl").isNotNull()
        | (F.col("e.ts_ms").isNotNull() & F.col("e.source").isNull() & F.col("e.after").isNull())  # a heartbeat
    )
    keep = ~F.coalesce(not_a_change, F.lit(False)) | F.col("envelope_error").isNotNull()
    df = df.where(keep & (F.col(_BARRIER) >= 0))
    is_delete = op == F.lit(ev.Op.DELETE.value)
    df = df.select(
        "*",
        F.when(is_delete, F.col("e.before")).otherwise(F.col("e.after")).alias(_IMAGE),
        F.when(is_delete, F.col("t.before")).otherwise(F.col("t.after")).alias(_IMAGE_TEXT),
    )
    image, image_text = F.col(_IMAGE), F.col(_IMAGE_TEXT)
    snapshot = F.coalesce(~F.col("e.source.snapshot").isin(SNAPSHOT_FALSE_TEXT), F.lit(False))
    # Columns under positional names until the last projection: a contract column may be called "key" or "e".
    staged = {c.name: f"_dz_c{i}" for i, c in enumerate(contract.lake_columns)}
    cols = [
        (F.lit(None).cast(lake_spark_type(c.lake_type)) if c.retired else to_lake_value(image.getField(c.wire_name), c, modes)).alias(staged[c.name])
        for c in contract.lake_columns
    ]
    meta = {
        ev.META_OP: op,
        ev.META_POS: position_sort_key(F.col("e.source.file"), F.col("e.source.pos"), snapshot, F.col("e.source.row")),
        # source.ts_ms 0 is "unknown" (not 1970): the envelope's ts_ms is the closest time known.
        ev.META_COMMIT_TS: F.timestamp_millis(F.when(F.col("e.source.ts_ms") == 0, F.col("e.ts_ms")).otherwise(F.col("e.source.ts_ms"))),
        ev.META_INGEST_TS: F.current_timestamp(),
        ev.META_SNAPSHOT: snapshot,
        ev.META_TOPIC: F.col("topic"),
        ev.META_PARTITION: F.col("partition"),
        ev.META_OFFSET: F.col("offset"),
    }
    df = df.select(
        *cols, *(v.alias(k) for k, v in meta.items()), is_delete.alias(DELETE_MARKER_COLUMN),
        F.col("e").isNull().alias("_dz_no_event"), "envelope_error", _IMAGE, _IMAGE_TEXT, "key", "value",
    )
    op = F.col(ev.META_OP)
    key_missing = F.lit(False)
    for k in contract.key:
        key_missing = key_missing | image.getField(contract.column(k).wire_name).isNull()
    error = (
        F.when(F.col("envelope_error").isNotNull(), F.col("envelope_error"))
        .when(F.col("_dz_no_event") | op.isNull(), F.lit("not a Debezium change event (malformed JSON or missing op)"))
        .when(~op.isin(*(o.value for o in ev.Op)), F.concat(F.lit("unknown op "), op))
        .when(op == F.lit(TRUNCATE), F.lit(None).cast("string"))
        .when(image.isNull(), F.lit("change event without a row image"))
        .when(key_missing, F.lit(f"record key {list(contract.key)} is null"))
    )
    converted = {c.name: F.col(staged[c.name]) for c in contract.lake_columns if not c.retired}
    error = _value_fit_errors(error, image, image_text, contract, modes, converted)
    return df.select(
        *(F.col(staged[c.name]).alias(c.name) for c in contract.lake_columns),
        *meta,
        DELETE_MARKER_COLUMN,
        error.alias(ERROR_COLUMN),
        F.col("key").cast("string").alias("_kafka_key"),
        F.col("value").cast("string").alias("_kafka_value"),
    )


def _value_fit_errors(
    error: SparkColumn, image: SparkColumn, image_text: SparkColumn, contract: TableContract, modes: DebeziumModes,
    converted: dict[str, SparkColumn],
) -> SparkColumn:
    """A value that is present but does not fit the contract is an error naming the column, never a NULL.

    Checked per column: a JSON value of the wrong type (from_json would give NULL), a value the
    conversion cannot represent (a decimal too wide, a bad timestamp), digits a decimal's scale
    would round away, and integers outside the MySQL type's range.
    """
    for c in contract.source_columns:
        raw, txt = image.getField(c.wire_name), image_text.getField(c.wire_name)
        t = c.lake_type
        mt = c.mysql_type
        wire = wire_encoding(mt, modes)
        value = converted[c.name]  # to_lake_value(raw), computed once in the projection before
        where = f"value of {c.name} does not fit {c.type}"
        error = error.when(
            txt.isNotNull() & raw.isNull(), F.concat(F.lit(f"{where}: "), F.substring(txt, 1, 80), F.lit(f" is not {wire}"))
        )
        if wire in (WIRE_DECIMAL_NUMBER, WIRE_DECIMAL_BASE64) and t.kind != "decimal":
            error = error.when(
                raw.isNotNull(),
                F.lit(f"{where}: a DECIMAL wider than 38 digits cannot be read exactly from a JSON number or bytes; "
                      "set decimal.handling.mode=string"),
            )
        if wire in (WIRE_DECIMAL_STRING, WIRE_DECIMAL_NUMBER) and t.kind == "decimal":
            # Debezium writes exactly `scale` fraction digits; more would be rounded away by the cast.
            frac = F.regexp_extract(txt, r"^\s*\"?-?[0-9]*\.([0-9]*)\"?\s*$", 1)
            lost = F.substring(frac, (t.scale or 0) + 1, 1000).rlike("[1-9]")
            error = error.when(raw.isNotNull() & lost, F.concat(F.lit(f"{where}: "), txt, F.lit(" has more fraction digits than the scale")))
        if (mt.base, mt.unsigned) in INT_RANGES and wire == "number":
            lo, hi = INT_RANGES[(mt.base, mt.unsigned)]
            error = error.when(raw.isNotNull() & ((raw < lo) | (raw > hi)), F.concat(F.lit(f"{where}: "), raw.cast("string"), F.lit(" is out of range")))
        if wire == WIRE_ZONED_STRING:
            error = error.when(raw.isNotNull() & (raw != F.lit(ZERO_TIMESTAMP_EPOCH)) & value.isNull(), F.concat(F.lit(f"{where}: "), raw))
        else:
            error = error.when(raw.isNotNull() & value.isNull(), F.concat(F.lit(f"{where}: "), F.substring(txt, 1, 80)))
    return error
