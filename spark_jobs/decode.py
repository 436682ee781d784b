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
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN
from lakehouse_schemas.types import (
    WIRE_BASE64,
    WIRE_DECIMAL_STRING,
    WIRE_EPOCH_DAYS,
    WIRE_EPOCH_MICROS,
    WIRE_EPOCH_MILLIS,
    WIRE_ZONED_STRING,
)
from spark_jobs.schema import debezium_envelope, lake_spark_type

ERROR_COLUMN = "_cdc_error"
SNAPSHOT_FALSE = ("false",)


def position_sort_key(file: SparkColumn, pos: SparkColumn, snapshot: SparkColumn, row: SparkColumn) -> SparkColumn:
    """The same fixed-width key as cdc.events.SourcePosition.sort_key, built natively."""
    file_index = F.coalesce(F.regexp_extract(file, ev.BINLOG_INDEX_RE, 1).cast("long"), F.lit(0))
    phase = F.when(snapshot, F.lit(ev.PHASE_SNAPSHOT)).otherwise(F.lit(ev.PHASE_STREAM))
    fmt = f"%0{ev.FILE_INDEX_WIDTH}d:%0{ev.POS_WIDTH}d:%d:%0{ev.ROW_WIDTH}d"
    return F.format_string(fmt, file_index, F.coalesce(pos, F.lit(0)), phase, F.coalesce(row, F.lit(0)))


def to_lake_value(raw: SparkColumn, c: Column) -> SparkColumn:
    t = c.lake_type
    target = lake_spark_type(t)
    if t.wire == WIRE_DECIMAL_STRING:
        return raw.cast(target)
    if t.wire == WIRE_EPOCH_MILLIS:
        return F.timestamp_millis(raw).cast("timestamp_ntz")
    if t.wire == WIRE_EPOCH_MICROS:
        return F.timestamp_micros(raw).cast("timestamp_ntz")
    if t.wire == WIRE_ZONED_STRING:
        return F.to_timestamp(raw)
    if t.wire == WIRE_EPOCH_DAYS:
        return F.date_add(F.lit("1970-01-01").cast("date"), raw)
    if t.wire == WIRE_BASE64:
        return F.unbase64(raw)
    if t.wire == "geometry":
        return F.unbase64(raw.getField("wkb"))
    return raw.cast(target)


def decode_records(records: DataFrame, contract: TableContract) -> DataFrame:
    """Decode with the contract's capture format; every decoder returns the same columns."""
    if contract.capture_format == "dms":
        from spark_jobs.decode_dms import decode_dms

        return decode_dms(records, contract)
    return decode_debezium(records, contract)


def decode_debezium(records: DataFrame, contract: TableContract) -> DataFrame:
    env = F.from_json(F.col("value").cast("string"), debezium_envelope(contract)).alias("e")
    df = records.select("topic", "partition", "offset", "key", "value", env)
    op = F.col("e.op")
    is_delete = op == F.lit(ev.Op.DELETE.value)
    image = F.when(is_delete, F.col("e.before")).otherwise(F.col("e.after"))
    snapshot = F.coalesce(~F.col("e.source.snapshot").isin(*SNAPSHOT_FALSE), F.lit(False))
    cols = [to_lake_value(image.getField(c.name), c).alias(c.name) for c in contract.columns]
    meta = {
        ev.META_OP: op,
        ev.META_POS: position_sort_key(F.col("e.source.file"), F.col("e.source.pos"), snapshot, F.col("e.source.row")),
        ev.META_COMMIT_TS: F.timestamp_millis(F.col("e.source.ts_ms")),
        ev.META_INGEST_TS: F.current_timestamp(),
        ev.META_SNAPSHOT: snapshot,
        ev.META_TOPIC: F.col("topic"),
        ev.META_PARTITION: F.col("partition"),
        ev.META_OFFSET: F.col("offset"),
    }
    key_missing = F.lit(False)
    for k in contract.key:
        key_missing = key_missing | image.getField(k).isNull()
    error = (
        F.when(F.col("e").isNull() | op.isNull(), F.lit("not a Debezium change event (malformed JSON or missing op)"))
        .when(~op.isin(*(o.value for o in ev.Op)), F.concat(F.lit("unknown op "), op))
        .when(op == F.lit(ev.Op.TRUNCATE.value), F.lit("truncate is not applied to the current-state table"))
        .when(image.isNull(), F.lit("change event without a row image"))
        .when(key_missing, F.lit(f"record key {list(contract.key)} is null"))
    )
    error = _value_fit_errors(error, image, contract)
    return df.select(
        *cols,
        *(v.alias(k) for k, v in meta.items()),
        is_delete.alias(DELETE_MARKER_COLUMN),
        error.alias(ERROR_COLUMN),
        F.col("key").cast("string").alias("_kafka_key"),
        F.col("value").cast("string").alias("_kafka_value"),
    )


def _value_fit_errors(error: SparkColumn, image: SparkColumn, contract: TableContract) -> SparkColumn:
    """A wire value that is present but does not convert (e.g. a decimal too wide) is an error, not a NULL."""
    for c in contract.columns:
        raw = image.getField(c.name)
        if c.lake_type.wire in (WIRE_DECIMAL_STRING, WIRE_ZONED_STRING):
            converted = to_lake_value(raw, c)
            error = error.when(raw.isNotNull() & converted.isNull(), F.lit(f"value of {c.name} does not fit {c.type}"))
    return error
