"""Spark types derived from the contracts and the canonical event model (cdc.events), never written by hand."""

from __future__ import annotations

from pyspark.sql import types as T

from cdc.events import META_COLUMNS
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.types import (
    CONNECTOR_MODES,
    LAKE_KINDS,
    WIRE_BITS,
    WIRE_BOOLEAN,
    WIRE_DECIMAL_DOUBLE,
    WIRE_DECIMAL_NUMBER,
    WIRE_EPOCH_DAYS,
    WIRE_GEOMETRY,
    WIRE_NUMBER,
    WIRE_UNSIGNED_LONG,
    DebeziumModes,
    LakeType,
    wire_encoding,
)

# Spark's atomic types by typeName(); which lake kind is which Spark type is LAKE_KINDS' fact.
_SPARK_TYPES = {
    cls.typeName(): cls
    for cls in (T.StringType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.BooleanType, T.BinaryType, T.DateType,
                T.TimestampType, T.TimestampNTZType)
}
LOGICAL = {k.name: _SPARK_TYPES[k.spark]() for k in LAKE_KINDS.values() if k.name != "decimal"}

GEOMETRY_STRUCT = T.StructType([T.StructField("wkb", T.StringType()), T.StructField("srid", T.IntegerType())])


def lake_spark_type(t: LakeType) -> T.DataType:
    if t.kind == "decimal":
        return T.DecimalType(t.precision, t.scale)
    return LOGICAL[t.kind]


def wire_spark_type(c: Column, modes: DebeziumModes = CONNECTOR_MODES) -> T.DataType:
    """How from_json should read the column's JSON value under the connector modes.

    Whatever is not read as its exact JSON type is read as text; decode checks every value
    against a second, all-text parse, so a value of the wrong JSON type is an error, not a NULL.
    """
    t = c.lake_type
    wire = wire_encoding(c.mysql_type, modes)
    if wire == WIRE_NUMBER:
        return {"double": T.DoubleType(), "float": T.FloatType()}.get(t.kind, T.LongType())
    if wire == WIRE_DECIMAL_NUMBER and t.kind == "decimal":
        # A JSON number read as text goes through a double in Spark (1E35): read it as the decimal itself.
        return T.DecimalType(t.precision, t.scale)
    if wire == WIRE_DECIMAL_DOUBLE:
        return T.DoubleType()
    if wire == WIRE_UNSIGNED_LONG:
        return T.LongType()
    if wire == WIRE_EPOCH_DAYS:
        return T.IntegerType()
    if wire == WIRE_BOOLEAN:
        return T.BooleanType()
    if wire == WIRE_GEOMETRY:
        return GEOMETRY_STRUCT
    if wire in ("epoch_millis", "epoch_micros", "micros", "millis_time"):
        return T.LongType()
    if wire == WIRE_BITS:
        return T.StringType()
    return T.StringType()


def row_wire_struct(contract: TableContract, modes: DebeziumModes = CONNECTOR_MODES, *, text: bool = False) -> T.StructType:
    """The row image as it is on the wire; ``text=True``: every column as its raw JSON text."""
    return T.StructType(
        [T.StructField(c.wire_name, T.StringType() if text else wire_spark_type(c, modes), True) for c in contract.source_columns]
    )


def debezium_envelope(contract: TableContract, modes: DebeziumModes = CONNECTOR_MODES, *, text: bool = False) -> T.StructType:
    """The change-event envelope; with JsonConverter schemas on, the same envelope sits under ``payload``."""
    row = row_wire_struct(contract, modes, text=text)
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
            # Not row changes: transaction BEGIN/END ("status"), schema changes ("ddl").
            T.StructField("status", T.StringType()),
            T.StructField("ddl", T.StringType()),
        ]
    )


def debezium_document(contract: TableContract, modes: DebeziumModes = CONNECTOR_MODES, *, text: bool = False) -> T.StructType:
    """A Kafka value: the envelope itself (schemas off) or {"schema": ..., "payload": envelope} (schemas on)."""
    env = debezium_envelope(contract, modes, text=text)
    return T.StructType(
        list(env.fields) + [T.StructField("schema", T.StringType()), T.StructField("payload", env)]
    )


def meta_fields() -> list[T.StructField]:
    return [T.StructField(name, LOGICAL[kind]) for name, kind in META_COLUMNS.items()]


def lake_schema(contract: TableContract) -> T.StructType:
    """The current-state table's columns: the source columns, then the _cdc_* meta columns."""
    return T.StructType(
        [T.StructField(c.name, lake_spark_type(c.lake_type), c.nullable) for c in contract.lake_columns] + meta_fields()
    )
