"""Spark types derived from the contracts and the canonical event model (cdc.events), never written by hand."""

from __future__ import annotations

from pyspark.sql import types as T

from cdc.events import META_COLUMNS
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.types import (
    WIRE_BASE64,
    WIRE_BOOLEAN,
    WIRE_DECIMAL_STRING,
    WIRE_EPOCH_DAYS,
    WIRE_EPOCH_MICROS,
    WIRE_EPOCH_MILLIS,
    WIRE_MICROS,
    WIRE_NUMBER,
    WIRE_STRING,
    WIRE_ZONED_STRING,
    LakeType,
)

LOGICAL = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "long": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "binary": T.BinaryType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "timestamp_ntz": T.TimestampNTZType(),
}


def lake_spark_type(t: LakeType) -> T.DataType:
    if t.kind == "decimal":
        return T.DecimalType(t.precision, t.scale)
    return LOGICAL[t.kind]


def wire_spark_type(c: Column) -> T.DataType:
    """How the JSON value arrives under the connector settings in cdc.capture.debezium."""
    t = c.lake_type
    if t.wire == WIRE_NUMBER:
        return T.DoubleType() if t.kind == "double" else T.LongType()
    if t.wire in (WIRE_STRING, WIRE_DECIMAL_STRING, WIRE_ZONED_STRING, WIRE_BASE64):
        return T.StringType()
    if t.wire in (WIRE_EPOCH_MILLIS, WIRE_EPOCH_MICROS, WIRE_MICROS):
        return T.LongType()
    if t.wire == WIRE_EPOCH_DAYS:
        return T.IntegerType()
    if t.wire == WIRE_BOOLEAN:
        return T.BooleanType()
    if t.wire == "geometry":
        return T.StructType([T.StructField("wkb", T.StringType()), T.StructField("srid", T.IntegerType())])
    raise ValueError(f"no wire type for {c.name}: {t}")


def row_wire_struct(contract: TableContract) -> T.StructType:
    return T.StructType([T.StructField(c.name, wire_spark_type(c), True) for c in contract.columns])


def debezium_envelope(contract: TableContract) -> T.StructType:
    row = row_wire_struct(contract)
    source = T.StructType(
        [
            T.StructField("file", T.StringType()),
            T.StructField("pos", T.LongType()),
            T.StructField("row", T.LongType()),
            T.StructField("snapshot", T.StringType()),
            T.StructField("ts_ms", T.LongType()),
            T.StructField("db", T.StringType()),
            T.StructField("table", T.StringType()),
            T.StructField("gtid", T.StringType()),
        ]
    )
    txn = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("total_order", T.LongType()),
            T.StructField("data_collection_order", T.LongType()),
        ]
    )
    return T.StructType(
        [
            T.StructField("before", row),
            T.StructField("after", row),
            T.StructField("source", source),
            T.StructField("op", T.StringType()),
            T.StructField("ts_ms", T.LongType()),
            T.StructField("transaction", txn),
        ]
    )


def meta_fields() -> list[T.StructField]:
    return [T.StructField(name, LOGICAL[kind]) for name, kind in META_COLUMNS.items()]


def lake_schema(contract: TableContract) -> T.StructType:
    """The current-state table's columns: the source columns, then the _cdc_* meta columns."""
    return T.StructType(
        [T.StructField(c.name, lake_spark_type(c.lake_type), c.nullable) for c in contract.columns] + meta_fields()
    )
