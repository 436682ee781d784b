"""The apply path's shortcuts keep the lake exact: the truncate flag from the batch's one aggregation.

Local Spark, Hudi tables under a temporary file:// root, no servers.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest

from tests.unit.test_spark_stream_evolution import KAFKA_SCHEMA, ORDERS, Feed, _lake_rows, _msg


@pytest.fixture(scope="module")
def spark_lake(spark, tmp_path_factory):
    from cdc.settings import LakeSettings, Settings

    root = tmp_path_factory.mktemp("fast") / uuid.uuid4().hex[:8]
    settings = Settings(lake=LakeSettings(root=root.resolve().as_uri()))
    yield spark, settings.lake_root
    shutil.rmtree(root, ignore_errors=True)


def _truncate(feed: Feed) -> tuple:
    feed.pos += 10
    topic = ORDERS.topic()
    offset = feed.offsets.get(topic, 0)
    feed.offsets[topic] = offset + 1
    return (None, _msg("t", None, feed.pos, ORDERS.table).encode(), topic, 0, offset, dt.datetime(2025, 1, 1))


def test_truncate_in_a_batch_is_found_by_the_flags_aggregation(spark_lake):
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn

    spark, lake_root = spark_lake
    feed = Feed()
    process = make_batch_fn([ORDERS], lake_root, BatchStats(), lambda m: None)

    def batch(records):
        return spark.createDataFrame(records, KAFKA_SCHEMA)

    process(batch([feed.event(ORDERS, "c", {"id": 1, "note": "a"}), feed.event(ORDERS, "c", {"id": 2, "note": "b"})]), 0)
    assert _lake_rows(spark, ORDERS, lake_root) == {1: (1, "a"), 2: (2, "b")}

    # The truncate removes the lake's rows and the batch's changes before it; the change after it stays.
    process(batch([
        feed.event(ORDERS, "u", {"id": 2, "note": "b2"}),
        feed.event(ORDERS, "c", {"id": 3, "note": "c"}),
        _truncate(feed),
        feed.event(ORDERS, "c", {"id": 4, "note": "d"}),
    ]), 1)
    assert _lake_rows(spark, ORDERS, lake_root) == {4: (4, "d")}
    # The history records each removed row once, as op t.
    removed = history.read_history(spark, ORDERS, lake_root).where("_cdc_op = 't'").select("id", "note").collect()
    assert sorted(tuple(r) for r in removed) == [(1, "a"), (2, "b2"), (3, "c")]

    # A batch without a truncate goes past the truncate machinery and applies as usual.
    process(batch([feed.event(ORDERS, "u", {"id": 4, "note": "d2"}), feed.event(ORDERS, "c", {"id": 5, "note": "e"})]), 2)
    assert _lake_rows(spark, ORDERS, lake_root) == {4: (4, "d2"), 5: (5, "e")}


def test_changes_republished_at_new_offsets_reach_the_history_once(spark_lake):
    """Debezium re-publishes recent changes after a connector restart: new offsets, old positions."""
    from pyspark.sql import functions as F

    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn
    from tests.unit.test_spark_stream_evolution import _contract

    spark, lake_root = spark_lake
    items = _contract("republished", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n")
    feed = Feed()
    process = make_batch_fn([items], lake_root, BatchStats(), lambda m: None)

    def batch(records):
        return spark.createDataFrame(records, KAFKA_SCHEMA)

    first = [feed.event(items, "c", {"id": 1, "note": "a"}), feed.event(items, "c", {"id": 2, "note": "b"}),
             feed.event(items, "u", {"id": 1, "note": "a2"})]
    process(batch(first), 0)
    # The last two again at the next offsets, then one new change: a forward batch by offsets only.
    n = len(first)
    again = [(k, v, t, p, n + i, ts) for i, (k, v, t, p, _, ts) in enumerate(first[1:])]
    feed.offsets[items.topic()] = n + len(again)
    process(batch([*again, feed.event(items, "c", {"id": 3, "note": "c"})]), 1)
    # And a plain forward batch after it.
    process(batch([feed.event(items, "u", {"id": 3, "note": "c2"})]), 2)

    rows = history.read_history(spark, items, lake_root).groupBy("id", "_cdc_pos").agg(F.count(F.lit(1)).alias("n")).collect()
    assert sorted((r["id"], r["n"]) for r in rows) == [(1, 1), (1, 1), (2, 1), (3, 1), (3, 1)]
    assert _lake_rows(spark, items, lake_root) == feed.expected(items) == {1: (1, "a2"), 2: (2, "b"), 3: (3, "c2")}
