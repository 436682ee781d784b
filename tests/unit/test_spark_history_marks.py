"""A job that starts learns how far each history reaches from the history's newest commit, not by scanning it.

Local Spark, Hudi tables under a temporary file:// root, no servers. The marks (highest Kafka offset
applied per partition, greatest source position) decide whether a batch is a replay; marks behind
the rows would let a re-read batch skip the replay checks, so every path that cannot vouch for them
falls back to the scan.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.unit.test_spark_stream_evolution import KAFKA_SCHEMA, Feed, _contract, _lake_rows

COLUMNS = "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n"


def _on_partition(record: tuple, partition: int, offset: int) -> tuple:
    key, value, topic, _, _, ts = record
    return (key, value, topic, partition, offset, ts)


def _scan(spark, contract, lake_root):
    from spark_jobs import history

    return history.Marks(history.applied_offsets(spark, contract, lake_root), history.newest_position(spark, contract, lake_root))


def _no_scan(monkeypatch):
    from spark_jobs import history

    def scanned(*a, **kw):
        raise AssertionError("the history was scanned")

    monkeypatch.setattr(history, "applied_offsets", scanned)
    monkeypatch.setattr(history, "newest_position", scanned)


def test_a_starting_job_reads_the_marks_from_the_newest_commit_past_clustering(spark_lake, monkeypatch):
    from lakehouse_schemas import hudi_options as H
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn

    monkeypatch.setattr(H, "HISTORY_CLUSTER_EVERY_COMMITS", 2)
    spark, lake_root = spark_lake
    items = _contract("marked", COLUMNS)
    feed = Feed()
    process = make_batch_fn([items], lake_root, BatchStats(), lambda m: None)
    # Partition 0 in the first batches, partition 1 only in the last: the marks carry both.
    batches = [
        [feed.event(items, "c", {"id": 1, "note": "a"}), feed.event(items, "c", {"id": 2, "note": "b"})],
        [feed.event(items, "u", {"id": 1, "note": "a2"}), feed.event(items, "c", {"id": 3, "note": "c"})],
        [feed.event(items, "d", {"id": 2, "note": "b"})],
        [_on_partition(feed.event(items, "c", {"id": 4, "note": "d"}), 1, 0), _on_partition(feed.event(items, "u", {"id": 4, "note": "d2"}), 1, 1)],
    ]
    for b, records in enumerate(batches):
        process(spark.createDataFrame(records, KAFKA_SCHEMA), b)
    timeline = sorted(p.name for p in (Path(urlparse(items.history_path(lake_root)).path) / ".hoodie").iterdir() if "." in p.name)
    completed = [n for n in timeline if n.endswith((".commit", ".replacecommit"))]
    assert completed[-1].endswith(".replacecommit"), f"clustering is not the newest commit: {completed}"

    scanned = _scan(spark, items, lake_root)
    assert scanned.offsets == {0: 4, 1: 1} and scanned.newest is not None
    _no_scan(monkeypatch)
    assert history.applied_marks(spark, items, lake_root) == scanned

    # A new checkpoint over the lake re-reads the last batch: a replay, each change once, the lake unchanged.
    stats = BatchStats()
    again = make_batch_fn([items], lake_root, stats, lambda m: None)
    again(spark.createDataFrame(batches[-1], KAFKA_SCHEMA), 0)
    assert stats.guarded_batches == 1
    assert _lake_rows(spark, items, lake_root) == feed.expected(items) == {1: (1, "a2"), 3: (3, "c"), 4: (4, "d2")}
    monkeypatch.undo()
    assert history.read_history(spark, items, lake_root).count() == len(feed.events)


@pytest.mark.parametrize("newest", ["unmarked", "other topic"])
def test_marks_the_newest_commit_cannot_vouch_for_come_from_the_scan(spark_lake, monkeypatch, newest):
    """A history write without marks (a dead-letter replay, a cascade), or marks of another topic, may hold
    rows past the recorded marks: the scan answers."""
    from spark_jobs import history
    from spark_jobs.decode import ERROR_COLUMN, decode_checked
    from spark_jobs.stream import BatchStats, make_batch_fn

    spark, lake_root = spark_lake
    items = _contract(f"unmarked_{newest.replace(' ', '_')}", COLUMNS)
    feed = Feed()
    make_batch_fn([items], lake_root, BatchStats(), lambda m: None)(
        spark.createDataFrame([feed.event(items, "c", {"id": 1, "note": "a"})], KAFKA_SCHEMA), 0
    )
    later = spark.createDataFrame([feed.event(items, "u", {"id": 1, "note": "a2"})], KAFKA_SCHEMA)
    rows = decode_checked(later, items).where(f"{ERROR_COLUMN} IS NULL").drop(ERROR_COLUMN, "_kafka_key", "_kafka_value")
    marks = None if newest == "unmarked" else history.Marks({0: 99}, "9" * 30)
    if marks is not None:
        # The same table fed from another source (a renamed connector): its marks say nothing about this topic.
        elsewhere = items.model_copy(update={"source": "elsewhere"})
        assert elsewhere.topic() != items.topic() and elsewhere.history_path(lake_root) == items.history_path(lake_root)
        history.write_history(rows, elsewhere, lake_root, marks=marks)
    else:
        history.write_history(rows, items, lake_root)

    scanned = _scan(spark, items, lake_root)
    assert scanned.offsets == {0: 1}
    calls = []
    real_offsets, real_newest = history.applied_offsets, history.newest_position
    monkeypatch.setattr(history, "applied_offsets", lambda *a: calls.append("offsets") or real_offsets(*a))
    monkeypatch.setattr(history, "newest_position", lambda *a: calls.append("newest") or real_newest(*a))
    assert history.applied_marks(spark, items, lake_root) == scanned
    assert calls == ["offsets", "newest"]


def test_marks_move_past_a_batch_and_never_back():
    from spark_jobs.history import Marks

    m = Marks({0: 10}, "0005").after({0: 7, 1: 3}, "0004")
    assert m == Marks({0: 10, 1: 3}, "0005")
    assert m.after({0: 12}, "0009") == Marks({0: 12, 1: 3}, "0009")
    assert Marks().after({}, None) == Marks()
