"""lakehouse_schemas/types.py: the one lake-type model and the engine mappings derived from it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cdc.catalog.glue import glue_type
from cdc.query.athena import convert
from lakehouse_schemas.types import LAKE_KINDS, LakeType, hive_type, lake_type, parse_mysql_type

MYSQL_TYPES = ["tinyint", "int", "int unsigned", "bigint", "bigint unsigned", "decimal(10,2)", "decimal(65,30)", "float", "double",
               "bit(1)", "bit(9)", "varchar(20)", "blob", "date", "datetime(6)", "timestamp", "time", "point"]


@pytest.mark.parametrize("mysql", MYSQL_TYPES)
def test_every_lake_kind_a_contract_can_have_is_in_the_model(mysql):
    assert lake_type(parse_mysql_type(mysql)).kind in LAKE_KINDS


def test_spark_types_come_from_the_model():
    from pyspark.sql import types as T  # the Python side of pyspark only: no JVM starts

    from spark_jobs.schema import LOGICAL, lake_spark_type

    assert set(LOGICAL) == set(LAKE_KINDS) - {"decimal"}
    assert lake_spark_type(LakeType("int")) == T.IntegerType()
    assert lake_spark_type(LakeType("long")) == T.LongType()
    assert lake_spark_type(LakeType("timestamp_ntz")) == T.TimestampNTZType()
    assert lake_spark_type(LakeType("decimal", 20, 0)) == T.DecimalType(20, 0)
    assert lake_spark_type(LakeType("int")) != T.LongType()  # the mutation check


@pytest.mark.parametrize(
    ("t", "hive"),
    [(LakeType("int"), "int"), (LakeType("long"), "bigint"), (LakeType("timestamp_ntz"), "timestamp"), (LakeType("timestamp"), "timestamp"),
     (LakeType("decimal", 12, 3), "decimal(12,3)"), (LakeType("binary"), "binary"), (LakeType("string"), "string")],
)
def test_glue_types_are_the_models_hive_names(t, hive):
    assert glue_type(t) == hive_type(t) == hive


@pytest.mark.parametrize(
    ("trino", "text", "value"),
    [("integer", "7", 7), ("bigint", "-9223372036854775808", -(2**63)), ("decimal", "1.10", Decimal("1.10")), ("real", "1.5", 1.5),
     ("boolean", "true", True), ("varbinary", "0a ff", b"\n\xff"), ("date", "1000-01-01", dt.date(1000, 1, 1)),
     ("timestamp", "2025-10-03 14:30:00.123000", dt.datetime(2025, 10, 3, 14, 30, 0, 123000)), ("varchar", "x", "x")],
)
def test_athena_results_convert_to_each_kinds_python_type(trino, text, value):
    got = convert(text, trino)
    assert got == value and type(got) is type(value)
    assert convert(None, trino) is None
