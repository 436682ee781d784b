"""The lake side of reconcile's canonical text (spark_jobs/reconcile.py), value by value.

The texts here are the ones MariaDB renders with ``sql_text`` for the same values; that both sides
agree byte for byte on a real server is proven per column of the type-torture table in
tests/e2e/test_types.py. Here: what each lake type's text is, and that each one changes when the
value does (one cell mutated).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse_schemas.contract import TableContract
from spark_jobs.reconcile import _spark_cell, _spark_chunk_id, spark_text
from spark_jobs.schema import lake_spark_type


def _contract(columns, key=("id",)):
    return TableContract.model_validate(
        {"source": "s", "database": "db", "table": "t", "target_database": "db", "target_table": "t", "key": list(key), "columns": columns}
    )


CASES = [
    # (MySQL type, lake value, canonical text, a one-cell mutation of the value)
    ("int", -2147483648, "-2147483648", -2147483647),
    ("bigint unsigned", Decimal(18446744073709551615), "18446744073709551615", Decimal(18446744073709551614)),
    ("decimal(10,2)", Decimal("0.00"), "0.00", Decimal("0.01")),
    ("decimal(38,10)", Decimal("-0.0000000001"), "-0.0000000001", Decimal("0.0000000001")),
    ("decimal(65,30)", "0.000000000000000000000000000001", "0.000000000000000000000000000001", "0.000000000000000000000000000002"),
    ("double", 0.1, "7205759403792794p-4", 0.1 + 2**-56),
    ("double", -2.0, "-4503599627370496p1", 2.0),
    ("double", 1.7976931348623157e308, "9007199254740991p1023", 1.7976931348623155e308),
    ("float", 3.4028234663852886e38, "9007198717870080p127", 3.4028232635611926e38),
    ("float", 0.0, "0", 1.401298464324817e-45 * 2**23),
    ("bit(1)", True, "1", False),
    ("bit(10)", b"\x00\x0a", "000A", b"\x00\x0b"),
    ("varbinary(4)", b"", "", b"\x00"),
    ("point", bytes.fromhex("0101000000000000000000f03f0000000000000040"), "0101000000000000000000F03F0000000000000040", bytes(21)),
    ("varchar(10)", "Grüße 😀", "Grüße 😀", "Grüsse 😀"),
    ("json", '{"a": 1}', '{"a": 1}', '{"a":1}'),
    ("set('x','y')", "x,y", "x,y", "y,x"),
    ("date", dt.date(1000, 1, 1), "1000-01-01", dt.date(1000, 1, 2)),
    ("datetime(6)", dt.datetime(9999, 12, 31, 23, 59, 59, 999999), "9999-12-31 23:59:59.999999", dt.datetime(9999, 12, 31, 23, 59, 59, 999998)),
    ("timestamp(6)", dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC), "1000000", dt.datetime(1970, 1, 1, 0, 0, 2, tzinfo=dt.UTC)),
    ("time(6)", -3020399000000, "-3020399000000", 3020399000000),
    ("year", 2155, "2155", 2154),
]


def _texts(spark: SparkSession, mysql_type: str, values: list):
    c = _contract([{"name": "id", "type": "int"}, {"name": "v", "type": mysql_type}]).columns[1]
    schema = T.StructType([T.StructField("v", lake_spark_type(c.lake_type))])
    df = spark.createDataFrame([(v,) for v in values], schema)
    return [r[0] for r in df.select(spark_text(c, df.columns)).collect()]


@pytest.mark.parametrize(("mysql_type", "value", "text", "mutated"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_canonical_text_per_lake_type(spark, mysql_type, value, text, mutated):
    got, other, null = _texts(spark, mysql_type, [value, mutated, None])
    assert got == text
    assert other != text  # the one-cell mutation changes the text
    assert null is None


def test_null_empty_and_the_text_null_are_three_cells(spark):
    df = spark.createDataFrame([(None,), ("",), ("NULL",), ("N",)], "v string")
    cells = [r[0] for r in df.select(_spark_cell(F.col("v"))).collect()]
    assert cells == ["N", "0:", "4:NULL", "1:N"]


def test_a_lake_row_falls_in_the_chunk_of_its_composite_key(spark):
    c = _contract([{"name": "a", "type": "int"}, {"name": "b", "type": "varchar(5)"}], key=("a", "b"))
    bounds = [(1, "m"), (2, "a"), (2, "é")]  # chunks: <=(1,m), <=(2,a), <=(2,é), the rest
    rows = [(0, "z"), (1, "m"), (1, "n"), (2, "a"), (2, "b"), (2, "é"), (2, "ê"), (3, "")]
    df = spark.createDataFrame(rows, "a int, b string")
    got = [r[0] for r in df.select(_spark_chunk_id(list(c.columns), bounds)).collect()]
    assert got == [0, 0, 1, 1, 2, 2, 3, 3]
