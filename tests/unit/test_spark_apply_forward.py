"""The apply path's shortcuts keep the lake exact: the truncate flag from the batch's one aggregation.

Local Spark, Hudi tables under a temporary file:// root, no servers.
"""

from __future__ import annotations

import datetime as dt

from tests.unit.test_spark_stream_evolution import KAFKA_SCHEMA, ORDERS, Feed, _lake_rows, _msg


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


def test_forward_history_batches_are_bulk_inserts_that_clustering_merges(spark_lake, monkeypatch):
    """Forward batches append history files without an index lookup; inline clustering merges them."""
    from pathlib import Path
    from urllib.parse import urlparse

    from lakehouse_schemas import hudi_options as H
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn
    from tests.unit.test_spark_stream_evolution import _contract

    monkeypatch.setattr(H, "HISTORY_CLUSTER_EVERY_COMMITS", 3)
    spark, lake_root = spark_lake
    items = _contract("clustered", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n")
    feed = Feed()
    process = make_batch_fn([items], lake_root, BatchStats(), lambda m: None)
    batches = 7
    for b in range(batches):
        records = [
            feed.event(items, "c", {"id": 10 * b + 1, "note": f"n{b}"}),
            feed.event(items, "c", {"id": 10 * b + 2, "note": "x"}),
        ]
        if b:
            records += [
                feed.event(items, "u", {"id": 10 * (b - 1) + 1, "note": f"u{b}"}),
                feed.event(items, "d", {"id": 10 * (b - 1) + 2, "note": "x"}),
            ]
        process(spark.createDataFrame(records, KAFKA_SCHEMA), b)

    # Every change once, with its op and image: the history equals the feed, row for row.
    got = history.read_history(spark, items, lake_root).select("_cdc_pos", "_cdc_op", "id", "note").collect()
    assert len({r[0] for r in got}) == len(got), "a change twice in the history"
    want = [(op, row["id"], row.get("note")) for _, _, op, row in feed.events]
    assert sorted(((r[1], r[2], r[3]) for r in got), key=str) == sorted(want, key=str)
    assert _lake_rows(spark, items, lake_root) == feed.expected(items)

    # Clustering ran (a completed replacecommit) and left fewer files than the batches wrote.
    timeline = Path(urlparse(items.history_path(lake_root)).path) / ".hoodie"
    assert list(timeline.glob("*.replacecommit")), "no clustering on the history's timeline"
    files = history.read_history(spark, items, lake_root).select("_hoodie_file_name").distinct().count()
    assert files < batches, f"{files} history files after {batches} batches"


def test_a_replay_finds_its_copies_in_files_past_the_first_bloom_segment(spark_lake):
    """Base files carry a bloom filter sized for ``BLOOM_ENTRIES`` keys that grows with the file; the
    history's duplicate check on a replay reads it, so a file holding more keys must still be searched whole."""
    from pathlib import Path
    from urllib.parse import urlparse

    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from lakehouse_schemas import hudi_options as H
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn
    from tests.unit.test_spark_stream_evolution import _contract

    spark, lake_root = spark_lake
    items = _contract("bloomed", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n")
    feed = Feed()
    process = make_batch_fn([items], lake_root, BatchStats(), lambda m: None)
    n = 3 * H.BLOOM_ENTRIES
    process(spark.createDataFrame([feed.event(items, "c", {"id": i, "note": "a"}) for i in range(n)], KAFKA_SCHEMA), 0)
    second = [feed.event(items, "u", {"id": i, "note": "b"}) for i in range(0, n, 2)]
    process(spark.createDataFrame(second, KAFKA_SCHEMA), 1)
    # The second batch again, at the same offsets (a re-run after its writes landed): a replay.
    process(spark.createDataFrame(second, KAFKA_SCHEMA), 2)

    rows = history.read_history(spark, items, lake_root)
    assert rows.count() == len(feed.events), "a replayed change twice in the history (or one missing)"
    assert rows.groupBy("_cdc_pos").count().where("count > 1").count() == 0
    assert _lake_rows(spark, items, lake_root) == feed.expected(items)

    # The filters are small: tens of KB per file, where Hudi's default (60000 keys) gives 863 KB.
    footers = [
        pq.read_metadata(f).metadata.get(b"org.apache.hudi.bloomfilter", b"")
        for f in Path(urlparse(items.history_path(lake_root)).path).rglob("*.parquet")
    ]
    assert footers and all(footers), "history files without a bloom filter"
    assert max(len(b) for b in footers) < 100_000, f"bloom filters of {max(len(b) for b in footers)} bytes"
    biggest = rows.groupBy("_hoodie_file_name").count().agg(F.max("count")).first()[0]
    assert biggest > H.BLOOM_ENTRIES, f"no history file holds more than {H.BLOOM_ENTRIES} keys: the test checks nothing"
