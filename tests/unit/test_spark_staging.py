"""Quiet tables hold their changes back for a later write (``CDCLAKE_SPARK__DEFER_BELOW``, spark_jobs/staging.py).

Local Spark, Hudi tables under a temporary file:// root, no servers; the clock is the test's. What
must hold: a held-back change is invisible until its table's next write and then applied once;
nothing staged is lost or doubled by a crash before the checkpoint commit or before the staged files
are deleted; a table that foreign-key cascades write to is never held back.
"""

from __future__ import annotations

import pytest

from lakehouse_schemas.contract import ForeignKey
from tests.unit.test_spark_stream_evolution import KAFKA_SCHEMA, Feed, _contract, _lake_rows

COLUMNS = "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n"
BELOW, SECONDS = 3, 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _job(contracts, lake_root, clock, stats=None):
    from spark_jobs.stream import BatchStats, make_batch_fn

    return make_batch_fn(contracts, lake_root, stats or BatchStats(), lambda m: None, threads=2, defer_below=BELOW,
                         defer_seconds=SECONDS, clock=clock)


def _history_count(spark, contract, lake_root) -> int:
    from spark_jobs import history

    return history.read_history(spark, contract, lake_root).count()


def _staged(spark, lake_root) -> dict[str, int]:
    from spark_jobs import staging

    return {t: s.changes for t, s in staging.held(spark, lake_root).items()}


def test_a_quiet_table_waits_then_its_changes_apply_once(spark_lake):
    spark, lake_root = spark_lake
    quiet, busy = _contract("quiet", COLUMNS), _contract("busy", COLUMNS)
    feed, clock = Feed(), Clock()
    process = _job([quiet, busy], lake_root, clock)
    process(spark.createDataFrame([feed.event(quiet, "c", {"id": 1, "note": "a"}), feed.event(busy, "c", {"id": 1, "note": "b"})],
                                  KAFKA_SCHEMA), 0)
    assert _lake_rows(spark, quiet, lake_root) == feed.expected(quiet)  # a job writes every table in its first batch

    # Two changes of the quiet table (fewer than BELOW) wait; the busy table's three are written.
    first = [feed.event(quiet, "u", {"id": 1, "note": "a2"}), feed.event(quiet, "c", {"id": 2, "note": "q"})]
    process(spark.createDataFrame(first + [feed.event(busy, "c", {"id": i, "note": "b"}) for i in (2, 3, 4)], KAFKA_SCHEMA), 1)
    assert _lake_rows(spark, busy, lake_root) == feed.expected(busy)
    assert _lake_rows(spark, quiet, lake_root) == {1: (1, "a")}
    assert _staged(spark, lake_root) == {quiet.topic(): 2}

    # Within the bound and no change of its own: still waiting. Past the bound: written with the next batch.
    clock.now += SECONDS / 2
    process(spark.createDataFrame([feed.event(busy, "u", {"id": 2, "note": "b2"})], KAFKA_SCHEMA), 2)
    assert _lake_rows(spark, quiet, lake_root) == {1: (1, "a")}
    clock.now += SECONDS
    process(spark.createDataFrame([feed.event(busy, "u", {"id": 3, "note": "b3"})], KAFKA_SCHEMA), 3)
    assert _lake_rows(spark, quiet, lake_root) == feed.expected(quiet) == {1: (1, "a2"), 2: (2, "q")}
    assert _staged(spark, lake_root) == {}

    # Held back again, then a third change reaches BELOW: all three in one write, in source order.
    process(spark.createDataFrame([feed.event(quiet, "d", {"id": 2, "note": "q"})], KAFKA_SCHEMA), 4)
    process(spark.createDataFrame([feed.event(quiet, "u", {"id": 1, "note": "a3"})], KAFKA_SCHEMA), 5)
    assert _lake_rows(spark, quiet, lake_root) == {1: (1, "a2"), 2: (2, "q")}
    process(spark.createDataFrame([feed.event(quiet, "c", {"id": 2, "note": "q2"})], KAFKA_SCHEMA), 6)
    assert _lake_rows(spark, quiet, lake_root) == feed.expected(quiet) == {1: (1, "a3"), 2: (2, "q2")}
    for c in (quiet, busy):
        assert _history_count(spark, c, lake_root) == sum(1 for _, t, _, _ in feed.events if t == c.topic())


def test_held_back_changes_outlive_a_crash_and_apply_once(spark_lake, monkeypatch):
    """A job dies after staging, before its checkpoint commit: the next job re-reads the batch and applies the
    staged copy once. A job dies after writing staged changes, before deleting the files: nothing is doubled."""
    from spark_jobs import staging

    spark, lake_root = spark_lake
    items = _contract("crashy", COLUMNS)
    feed, clock = Feed(), Clock()
    _job([items], lake_root, clock)(spark.createDataFrame([feed.event(items, "c", {"id": 1, "note": "a"})], KAFKA_SCHEMA), 0)
    job = _job([items], lake_root, clock)
    job(spark.createDataFrame([feed.event(items, "u", {"id": 1, "note": "a1"})], KAFKA_SCHEMA), 0)  # this job's first write
    held = [feed.event(items, "c", {"id": 2, "note": "b"}), feed.event(items, "u", {"id": 1, "note": "a2"})]
    job(spark.createDataFrame(held, KAFKA_SCHEMA), 1)
    assert _staged(spark, lake_root) == {items.topic(): 2} and _lake_rows(spark, items, lake_root) == {1: (1, "a1")}

    # The checkpoint never recorded batch 1: a new job gets it again, with a staged copy of it on disk.
    again = _job([items], lake_root, clock)
    again.drain(spark)  # what spark_jobs.stream.start does before the query starts
    again(spark.createDataFrame(held, KAFKA_SCHEMA), 1)
    assert _lake_rows(spark, items, lake_root) == feed.expected(items) == {1: (1, "a2"), 2: (2, "b")}
    assert _staged(spark, lake_root) == {items.topic(): 2}, "the re-read batch's copies wait, to be dropped when written"

    # A third change reaches BELOW: written with the copies, and the job dies before deleting the staged files.
    monkeypatch.setattr(staging, "remove", lambda *a: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError):
        again(spark.createDataFrame([feed.event(items, "u", {"id": 2, "note": "b2"})], KAFKA_SCHEMA), 2)
    monkeypatch.undo()
    assert _lake_rows(spark, items, lake_root) == feed.expected(items) == {1: (1, "a2"), 2: (2, "b2")}
    assert _staged(spark, lake_root) == {items.topic(): 2}, "the files the dead job had written from are still there"
    _job([items], lake_root, clock).drain(spark)
    assert _lake_rows(spark, items, lake_root) == feed.expected(items) and _staged(spark, lake_root) == {}
    assert _history_count(spark, items, lake_root) == len(feed.events)


def test_a_table_cascades_write_to_is_never_held_back(spark_lake):
    """Held back, the child's insert would land after the parent's delete had cascaded: a row the source removed."""
    spark, lake_root = spark_lake
    parent = _contract("parent", COLUMNS)
    fk = ForeignKey(name="fk_parent", columns=("parent_id",), ref_database="shop", ref_table="parent", ref_columns=("id",),
                    on_update="CASCADE", on_delete="CASCADE")
    child = _contract("child", "- {name: id, type: int, nullable: false}\n- {name: parent_id, type: int}\n").model_copy(
        update={"foreign_keys": (fk,)}
    )
    feed, clock = Feed(), Clock()
    process = _job([parent, child], lake_root, clock)
    process(spark.createDataFrame([feed.event(parent, "c", {"id": 1, "note": "p"}), feed.event(child, "c", {"id": 10, "parent_id": 1}),
                                   feed.event(parent, "c", {"id": 2, "note": "p"})], KAFKA_SCHEMA), 0)
    process(spark.createDataFrame([feed.event(child, "c", {"id": 11, "parent_id": 1})], KAFKA_SCHEMA), 1)
    # Enough parent changes to be written at once, while the child's insert (had it been held back) would wait.
    process(spark.createDataFrame([feed.event(parent, "d", {"id": 1, "note": "p"})]
                                  + [feed.event(parent, "c", {"id": i, "note": "p"}) for i in (3, 4)], KAFKA_SCHEMA), 2)
    clock.now += 2 * SECONDS
    process.drain(spark)
    assert _lake_rows(spark, parent, lake_root) == {i: (i, "p") for i in (2, 3, 4)}
    assert _lake_rows(spark, child, lake_root) == {}, "the source's cascade removed both children"


def test_staged_records_the_lake_applied_are_not_read_again(spark_lake):
    from spark_jobs import staging

    spark, lake_root = spark_lake
    items = _contract("filtered", COLUMNS)
    feed = Feed()
    records = [feed.event(items, "c", {"id": i, "note": "x"}) for i in range(6)]
    records = [(k, v, t, i % 2, o, ts) for i, (k, v, t, _, o, ts) in enumerate(records)]  # offsets 0-5 over partitions 0, 1
    staging.stage(spark.createDataFrame(records + records[3:5], KAFKA_SCHEMA), lake_root)  # and re-staged copies
    paths = staging.files(spark, lake_root, items.topic())
    got = staging.read(spark, paths, items.topic(), {0: 2, 1: 1})
    assert sorted((r["partition"], r["offset"]) for r in got.collect()) == [(0, 4), (1, 3), (1, 5)]
    assert {bytes(r["value"]) for r in got.collect()} == {records[i][1] for i in (3, 4, 5)}, "values come back as staged"
    staging.remove(spark, paths)
    assert staging.files(spark, lake_root, items.topic()) == []


def test_the_drain_between_batches_runs_while_the_query_is_active(monkeypatch):
    from spark_jobs import stream

    class Query:
        def __init__(self) -> None:
            self.checks = 0

        @property
        def isActive(self) -> bool:
            self.checks += 1
            return self.checks < 6

    calls = []

    class Fn:
        def drain(self, spark, *, everything):
            calls.append(everything)
            if len(calls) == 1:
                raise RuntimeError("a write failed\nat line 2")

    lines = []
    monkeypatch.setattr(stream.time, "sleep", lambda s: None)
    stream._drain_while_active(Query(), Fn(), None, 60.0, lines.append)
    assert calls == [False, False] and lines == ["applying held-back changes failed, retried with the next batch: a write failed"]
