"""AWS DMS Kafka-target JSON -> the same lake columns as ``spark_jobs.decode.decode_debezium``, natively.

The twin of ``cdc.decoders.dms`` (read its docstring for the semantics); a contract test holds
the two to the same rows and the same error reasons. Every data column is read as JSON text
(Spark's ``from_json`` keeps a number's token text in a string field, exactly as the Python
decoder does), checked by the same regular expressions and cast to the lake type, so a value
that does not fit is an error and never a silent NULL. Control records without meaning for the
lake (create-table) are dropped; table-alter control records and bad messages carry
``_cdc_error`` and go to the dead-letter table. A primary-key change (update whose before image
holds another key) explodes into delete(old key) + create(new key) at the same position.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cdc import events as ev
from cdc.decoders import dms as d
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN
from spark_jobs.ansi import try_cast
from spark_jobs.decoded import ERROR_COLUMN, position_sort_key
from spark_jobs.schema import lake_spark_type


def dms_envelope(contract: TableContract, *, text: bool = True) -> T.StructType:
    """The DMS message schema derived from the contract (with the BI_ before-image columns in data).

    ``text``: every column as JSON text. Otherwise DECIMAL columns are read as ``DECIMAL(p,s)``:
    Spark's JSON reader turns a number token into text through a double, but parses it into a
    decimal exactly, so money that DMS sends as a bare JSON number stays exact.
    """

    def field(name: str, c: Column) -> T.StructField:
        exact = not text and d.dms_wire(c) == d.DMS_DECIMAL
        return T.StructField(name, lake_spark_type(c.lake_type) if exact else T.StringType())

    cols = [field(c.name, c) for c in contract.columns]
    taken = {c.name for c in contract.columns}
    bi_cols = [field(d.BEFORE_IMAGE_PREFIX + c.name, c) for c in contract.columns if d.BEFORE_IMAGE_PREFIX + c.name not in taken]
    metadata = T.StructType([T.StructField(n, T.StringType()) for n in d.METADATA_FIELDS])
    return T.StructType(
        [
            T.StructField("data", T.StructType(cols + bi_cols)),
            T.StructField(d.BEFORE_IMAGE_FIELD, T.StructType(cols)),
            T.StructField("metadata", metadata),
        ]
    )


def _frac6(frac: SparkColumn) -> SparkColumn:
    """Fractional seconds as 6 digits: the lake keeps microseconds, extra digits are cut (as in Python)."""
    return F.rpad(F.substring(F.coalesce(frac, F.lit("")), 1, 6), 6, "0")


def _datetime(raw: SparkColumn, target: str) -> SparkColumn:
    """DATETIME_RE text -> timestamp_ntz / timestamp (session time zone UTC), microseconds cut like Python."""
    day = F.regexp_extract(raw, d.DATETIME_RE, 1)
    clock = F.regexp_extract(raw, d.DATETIME_RE, 2)
    return try_cast(F.concat(day, F.lit(" "), clock, F.lit("."), _frac6(F.regexp_extract(raw, d.DATETIME_RE, 4))), target)


def to_lake_value(raw: SparkColumn, c: Column, exact: SparkColumn | None = None) -> SparkColumn:
    """JSON text of one DMS value -> the lake type; null when it does not fit (``_fit_errors`` reports it).

    ``exact``: the value as read by the typed schema (DECIMAL columns parsed exactly by the JSON reader).
    """
    wire = d.dms_wire(c)
    target = lake_spark_type(c.lake_type)
    if wire == d.DMS_DECIMAL and exact is not None:
        return exact
    if wire == d.DMS_INTEGER:
        return F.when(raw.rlike(d.INTEGER_RE), try_cast(raw, target))
    if wire in (d.DMS_DOUBLE, d.DMS_FLOAT):
        return F.when(raw.rlike(d.NUMBER_RE), try_cast(raw, target))
    if wire == d.DMS_BOOLEAN:
        return F.when(raw.isin(*d.BOOLEAN_TRUE), F.lit(True)).when(raw.isin(*d.BOOLEAN_FALSE), F.lit(False))
    if wire == d.DMS_HEX:
        return F.when(raw.rlike(d.HEX_RE), F.unhex(F.regexp_replace(raw, "^0[xX]", "")))
    if wire in (d.DMS_GEOMETRY, d.DMS_SRID):
        hexed = F.regexp_replace(raw, "^0[xX]", "")
        n = 2 * d.GEOMETRY_SRID_BYTES
        ok = raw.rlike(d.HEX_RE) & (F.length(hexed) > n)
        if wire == d.DMS_GEOMETRY:
            return F.when(ok, F.unhex(F.substring(hexed, n + 1, 1 << 30)))
        little_endian = F.concat(*[F.substring(hexed, i, 2) for i in range(n - 1, 0, -2)])
        srid = F.conv(little_endian, 16, 10).cast("long")
        return F.when(ok & (srid <= F.lit(2**31 - 1)), srid.cast("int"))
    if wire == d.DMS_DATE:
        return F.when(raw.rlike(d.DATE_RE), try_cast(raw, "date"))
    if wire == d.DMS_DATETIME:
        return F.when(raw.rlike(d.DATETIME_RE), _datetime(raw, "timestamp_ntz"))
    if wire == d.DMS_INSTANT:
        return F.when(raw.rlike(d.DATETIME_RE), _datetime(raw, "timestamp"))
    if wire == d.DMS_TIME:
        g = [F.regexp_extract(raw, d.TIME_RE, i) for i in range(7)]
        secs = g[2].cast("long") * 3600 + g[3].cast("long") * 60 + g[4].cast("long")
        value = secs * 1_000_000 + _frac6(g[6]).cast("long")
        return F.when(raw.rlike(d.TIME_RE), F.when(g[1] == "-", -value).otherwise(value))
    return try_cast(raw, target)  # decimal (HALF_UP, null when too wide), decimal text, string


def _fit_errors(
    error: SparkColumn, raw_row: SparkColumn, row: SparkColumn, contract: TableContract, only: SparkColumn | None = None
) -> SparkColumn:
    """A value that is present but does not convert is an error naming the column and the text DMS sent."""
    for c in contract.lake_columns:
        raw = raw_row.getField(c.srid_of or c.name)
        reason = F.lit(d.reason_does_not_fit(c))
        bad = raw.isNotNull() & row.getField(c.name).isNull()
        error = error.when(bad if only is None else only & bad, reason)
    return error


def decode_dms(records: DataFrame, contract: TableContract) -> DataFrame:
    value = F.col("value").cast("string")
    df = records.where(F.col("value").isNotNull()).select(
        "topic",
        "partition",
        "offset",
        "key",
        "value",
        F.from_json(value, dms_envelope(contract)).alias("m"),
        F.from_json(value, dms_envelope(contract, text=False)).alias("x"),
    )
    meta = F.col("m.metadata")
    record_type, operation = meta.getField("record-type"), meta.getField("operation")
    is_control = record_type == F.lit(d.RECORD_CONTROL)
    is_alter = F.coalesce(operation.isin(*d.TABLE_ALTER_OPERATIONS), F.lit(False))
    # create-table announces a table before its full load; nothing for the lake.
    df = df.where(~F.coalesce(is_control & ~is_alter, F.lit(False)))

    # Stage the converted images as columns: each conversion is then planned once, not once per use.
    data_raw = F.col("m.data")
    before_field = F.col("m").getField(d.BEFORE_IMAGE_FIELD)
    before_raw = F.struct(
        *[
            F.coalesce(before_field.getField(c.name), data_raw.getField(d.BEFORE_IMAGE_PREFIX + c.name)).alias(c.name)
            for c in contract.columns
        ]
    )
    raw_cols = F.struct(*[data_raw.getField(c.name).alias(c.name) for c in contract.columns])
    x_data, x_before = F.col("x.data"), F.col("x").getField(d.BEFORE_IMAGE_FIELD)
    exact_data = F.struct(*[x_data.getField(c.name).alias(c.name) for c in contract.columns])
    exact_before = F.struct(
        *[F.coalesce(x_before.getField(c.name), x_data.getField(d.BEFORE_IMAGE_PREFIX + c.name)).alias(c.name) for c in contract.columns]
    )
    df = df.select("*", raw_cols.alias("_draw"), before_raw.alias("_braw"), exact_data.alias("_dx"), exact_before.alias("_bx"))

    def convert(raw: str, exact: str) -> SparkColumn:
        return F.struct(
            *[
                to_lake_value(F.col(raw).getField(c.srid_of or c.name), c, F.col(exact).getField(c.srid_of or c.name)).alias(c.name)
                for c in contract.lake_columns
            ]
        )

    df = df.select("*", convert("_draw", "_dx").alias("_d"), convert("_braw", "_bx").alias("_b"))
    data, before = F.col("_d"), F.col("_b")

    position = meta.getField("stream-position")
    has_position = F.coalesce(position.rlike(d.STREAM_POSITION_RE), F.lit(False))
    is_load = operation == F.lit("load")
    op = F.coalesce(*(F.when(operation == F.lit(k), F.lit(v.value)) for k, v in d.OPERATIONS.items()))
    is_update = F.coalesce(op == F.lit(ev.Op.UPDATE.value), F.lit(False))

    key_missing = F.lit(False)
    for k in contract.key:
        key_missing = key_missing | data.getField(k).isNull()
    error = (
        F.when(record_type.isNull(), F.lit(d.REASON_MALFORMED))
        .when(is_control, F.concat(F.lit(d.TABLE_ALTER_REASON[0]), operation, F.lit(d.TABLE_ALTER_REASON[1])))
        .when(record_type != F.lit(d.RECORD_DATA), F.concat(F.lit(d.reason_unknown_record_type("")), record_type))
        .when(op.isNull(), F.concat(F.lit(d.reason_unknown_operation("")), F.coalesce(operation, F.lit(""))))
        .when(data_raw.isNull(), F.lit(d.REASON_NO_DATA))
    )
    error = _fit_errors(error, F.col("_draw"), data, contract)
    error = error.when(~is_load & ~has_position, F.lit(d.REASON_NO_POSITION)).when(key_missing, F.lit(d.reason_null_key(contract)))
    # The before image is only read for updates, after everything else checked out (as in Python).
    error = _fit_errors(error, F.col("_braw"), before, contract, only=is_update)

    old_key_complete = F.lit(True)
    key_differs = F.lit(False)
    for k in contract.key:
        old_key_complete = old_key_complete & before.getField(k).isNotNull()
        key_differs = key_differs | (before.getField(k) != data.getField(k))
    df = df.select(
        "*",
        error.alias("_err"),
        op.alias("_op"),
        F.coalesce(is_load, F.lit(False)).alias("_load"),
        F.coalesce(is_update & old_key_complete & key_differs, F.lit(False)).alias("_key_change"),
        position_sort_key(
            F.regexp_extract(position, d.STREAM_POSITION_RE, 1),
            F.regexp_extract(position, d.STREAM_POSITION_RE, 2).cast("long"),
            is_load,
            F.greatest(F.regexp_extract(position, d.STREAM_POSITION_RE, 3).cast("long"), F.lit(0)),
        ).alias("_pos"),
    )
    changes = F.when(
        F.col("_key_change") & F.col("_err").isNull(),
        F.array(
            F.struct(F.lit(ev.Op.DELETE.value).alias("op"), before.alias("row")),
            F.struct(F.lit(ev.Op.CREATE.value).alias("op"), data.alias("row")),
        ),
    ).otherwise(F.array(F.struct(F.col("_op").alias("op"), data.alias("row"))))
    df = df.select("*", F.explode(changes).alias("_ch"))

    row, change_op = F.col("_ch.row"), F.col("_ch.op")
    commit = F.coalesce(meta.getField("commit-timestamp"), meta.getField("timestamp"))
    meta_cols = {
        ev.META_OP: change_op,
        ev.META_POS: F.col("_pos"),
        ev.META_COMMIT_TS: F.when(commit.rlike(d.DATETIME_RE), _datetime(commit, "timestamp")),
        ev.META_INGEST_TS: F.current_timestamp(),
        ev.META_SNAPSHOT: F.col("_load"),
        ev.META_TOPIC: F.col("topic"),
        ev.META_PARTITION: F.col("partition"),
        ev.META_OFFSET: F.col("offset"),
    }
    return df.select(
        *(row.getField(c.name).alias(c.name) for c in contract.lake_columns),
        *(v.alias(k) for k, v in meta_cols.items()),
        F.coalesce(change_op == F.lit(ev.Op.DELETE.value), F.lit(False)).alias(DELETE_MARKER_COLUMN),
        F.col("_err").alias(ERROR_COLUMN),
        F.col("key").cast("string").alias("_kafka_key"),
        F.col("value").cast("string").alias("_kafka_value"),
    )
