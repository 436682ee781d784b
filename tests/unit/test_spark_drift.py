"""Schema drift: events whose row image does not match the contract's columns get a reason, never a silent drop."""

from __future__ import annotations

import json

from lakehouse_schemas.contract import TableContract
from spark_jobs.drift import drift_reason

CONTRACT = TableContract.model_validate(
    {
        "source": "s",
        "database": "db",
        "table": "t",
        "target_database": "db",
        "target_table": "t",
        "key": ["id"],
        "columns": [{"name": "id", "type": "int"}, {"name": "name", "type": "varchar(10)"}],
    }
)


def _reasons(spark, contract, values):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(v,) for v in values], "value string")
    return [r[0] for r in df.select(drift_reason(F.col("value"), contract)).collect()]


def test_matching_images_have_no_drift(spark):
    msgs = [
        json.dumps({"op": "c", "before": None, "after": {"id": 1, "name": "a"}}),
        json.dumps({"op": "d", "before": {"id": 1, "name": "a"}, "after": None}),
        json.dumps({"schema": {}, "payload": {"op": "u", "before": {"id": 1, "name": "a"}, "after": {"id": 1, "name": "b"}}}),
        json.dumps({"op": "t", "before": None, "after": None}),
    ]
    assert _reasons(spark, CONTRACT, msgs) == [None, None, None, None]


def test_added_and_dropped_columns_are_named(spark):
    added = json.dumps({"op": "c", "after": {"id": 1, "name": "a", "email": "x"}})
    dropped = json.dumps({"op": "c", "after": {"id": 1}})
    r_added, r_dropped = _reasons(spark, CONTRACT, [added, dropped])
    assert r_added.startswith("schema drift: db.t has column(s) not in the contract: email")
    assert "no longer sends column(s) name" in r_dropped


def test_missing_column_policy_null_accepts_a_drop(spark):
    lenient = CONTRACT.model_copy(update={"on_missing_column": "null"})
    assert _reasons(spark, lenient, [json.dumps({"op": "c", "after": {"id": 1}})]) == [None]
