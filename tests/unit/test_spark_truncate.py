"""spark_jobs/truncate.py: truncate semantics on decoded batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse_schemas.contract import load_contracts

HERE = Path(__file__).resolve().parents[1] / "fixtures"
TRUNCME = next(c for c in load_contracts(directory=HERE / "contracts" / "torture") if c.table == "truncme")
RECORDS = [json.loads(line) for line in (HERE / "debezium" / "torture.jsonl").read_text().splitlines()]


# Also under ANSI mode (Spark 4's default): a value that does not fit must still become a dead letter.
pytestmark = pytest.mark.usefixtures("ansi")


def _decoded(spark, records):
    from spark_jobs.decode import ERROR_COLUMN, decode_debezium

    rows = [(r["topic"], 0, r["offset"], (r["key"] or "").encode() or None, r["value"].encode() if r["value"] else None) for r in records]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    out = decode_debezium(df, TRUNCME)
    assert out.where(out[ERROR_COLUMN].isNotNull()).count() == 0
    return out.drop(ERROR_COLUMN, "_kafka_key", "_kafka_value")


def test_truncate_removes_the_lake_and_the_batch_before_it(spark):
    from spark_jobs.truncate import resolve
    from spark_jobs.upsert import latest_per_key

    recs = [r for r in RECORDS if r["topic"].endswith(".truncme") and r["value"]]
    snapshot, streamed = recs[:2], recs[2:]  # r(1), r(2) | c(3), u(1), t, c(2), c(4)
    lake = latest_per_key(_decoded(spark, snapshot), TRUNCME)
    r = resolve(_decoded(spark, streamed), TRUNCME, lake)
    removed = {row["id"]: (row["_cdc_op"], row["note"], row["_hoodie_is_deleted"]) for row in r.removed.collect()}
    # 1 (updated in the batch), 2 (only in the lake) and 3 (inserted in the batch) were there at the truncate.
    assert removed == {1: ("t", "updated, then gone", True), 2: ("t", "before snapshot", True), 3: ("t", "gone by truncate", True)}
    t_pos = next(row["_cdc_pos"] for row in _decoded(spark, streamed).collect() if row["_cdc_op"] == "t")
    assert {row["_cdc_pos"] for row in r.removed.collect()} == {t_pos}
    assert sorted((row["id"], row["note"]) for row in r.after.collect()) == [(2, "after truncate"), (4, "after truncate")]
    assert r.changes.where("_cdc_op = 't'").count() == 0 and r.changes.count() == 4  # history: every row change


def test_replayed_truncate_never_removes_newer_rows(spark):
    from spark_jobs.truncate import resolve
    from spark_jobs.upsert import latest_per_key

    recs = [r for r in RECORDS if r["topic"].endswith(".truncme") and r["value"]]
    lake_now = latest_per_key(_decoded(spark, recs[5:]), TRUNCME)  # the lake after it all: 2 and 4, written after the truncate
    r = resolve(_decoded(spark, recs[4:5]), TRUNCME, lake_now)  # the truncate record alone, again
    assert r.removed.count() == 0


def test_batch_without_truncate_passes_through(spark):
    from spark_jobs.truncate import resolve

    recs = [r for r in RECORDS if r["topic"].endswith(".truncme") and r["value"]][:4]
    r = resolve(_decoded(spark, recs), TRUNCME, None)
    assert r.removed is None and r.after.count() == 4
