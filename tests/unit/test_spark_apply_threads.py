"""The tables of a batch written from several driver threads: the same lake as one after another.

Local Spark, Hudi tables under a temporary file:// root, no servers.
"""

from __future__ import annotations

import shutil
import threading
import uuid

import pytest

from tests.unit.test_spark_stream_evolution import ITEMS, KAFKA_SCHEMA, ORDERS, TAGS, Feed, _lake_rows


def test_run_tables_runs_every_table_and_raises_the_first_failure_after_all_finished():
    from spark_jobs.stream import run_tables

    done: list[str] = []
    names: set[str] = set()
    lock = threading.Lock()

    def handle(topic: str, n: int) -> None:
        with lock:
            names.add(threading.current_thread().name)
        if topic == "b":
            raise RuntimeError("table b failed")
        with lock:
            done.append(topic)

    with pytest.raises(RuntimeError, match="table b failed"):
        run_tables(handle, [("a", 1), ("b", 1), ("c", 1), ("d", 1)], threads=3)
    assert sorted(done) == ["a", "c", "d"]
    assert all(n.startswith("cdclake-apply") for n in names)
    # One thread: in order, in the caller's thread; the failure stops the tables after it.
    done.clear()
    with pytest.raises(RuntimeError):
        run_tables(handle, [("a", 1), ("b", 1), ("c", 1)], threads=1)
    assert done == ["a"]


@pytest.fixture()
def lake_root(tmp_path):
    root = tmp_path / uuid.uuid4().hex[:8]
    yield root.resolve().as_uri()
    shutil.rmtree(root, ignore_errors=True)


def test_threaded_batches_build_the_oracle_lake(spark, lake_root):
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    stats = BatchStats()
    process = make_batch_fn([ORDERS, ITEMS, TAGS], lake_root, stats, lambda m: None, threads=3)

    def batch(records):
        return spark.createDataFrame(records, KAFKA_SCHEMA)

    first = [feed.event(c, "c", {"id": i, col: f"{c.table}-{i}"}) for c, col in ((ORDERS, "note"), (ITEMS, "name"), (TAGS, "tag"))
             for i in range(1, 6)]
    process(batch(first), 0)
    second = [
        feed.event(ORDERS, "u", {"id": 2, "note": "changed"}),
        feed.event(ITEMS, "d", {"id": 3, "name": "items-3"}),
        feed.event(TAGS, "c", {"id": 9, "tag": "new"}),
        feed.event(ORDERS, "d", {"id": 5, "note": "orders-5"}),
        feed.event(TAGS, "u", {"id": 1, "tag": "again"}),
    ]
    process(batch(second), 1)
    for contract in (ORDERS, ITEMS, TAGS):
        assert _lake_rows(spark, contract, lake_root) == feed.expected(contract), contract.table
        n_events = sum(1 for _, topic, _, _ in feed.events if topic == contract.topic())
        assert history.read_history(spark, contract, lake_root).count() == n_events
    assert stats.records == len(first) + len(second)
    assert stats.per_table == {c.qualified_target: sum(1 for e in feed.events if e[1] == c.topic()) for c in (ORDERS, ITEMS, TAGS)}


def test_a_batch_leaves_no_stored_rows_behind_and_reads_each_topic_through_its_own_partitions(spark, lake_root):
    """Each table's decode is stored for the batch's jobs and dropped after it: a long-running stream must
    not keep every batch it ever decoded. The decode reads only the partitions its topic's records sit in."""
    from spark_jobs.stream import BatchStats, _table_records, make_batch_fn

    def stored() -> set[int]:
        return {i.id() for i in spark.sparkContext._jsc.sc().getRDDStorageInfo()}

    feed = Feed()
    process = make_batch_fn([ORDERS, ITEMS, TAGS], lake_root, BatchStats(), lambda m: None, threads=3)
    records = [feed.event(c, "c", {"id": i, col: f"{c.table}-{i}"}) for c, col in ((ORDERS, "note"), (ITEMS, "name"), (TAGS, "tag"))
               for i in range(1, 4)]
    # One Spark partition per topic, as the Kafka source reads single-partition topics.
    batch = spark.createDataFrame(records, KAFKA_SCHEMA).repartition(3, "topic")
    before = stored()
    process(batch, 0)
    assert stored() == before
    for contract in (ORDERS, ITEMS, TAGS):
        assert _lake_rows(spark, contract, lake_root) == feed.expected(contract), contract.table
    ranges = [{"topic": ORDERS.topic(), "partition": 0}, {"topic": ITEMS.topic(), "partition": 0}]
    one = _table_records(batch, ORDERS.topic(), ranges)
    assert one.rdd.getNumPartitions() == 1
    assert one.count() == 3


def _timeline(path_uri: str, suffix: str) -> list[float]:
    """Modification times of a Hudi table's timeline files ending in ``suffix`` (oldest first)."""
    from pathlib import Path
    from urllib.parse import urlparse

    hoodie = Path(urlparse(path_uri).path) / ".hoodie"
    return sorted(p.stat().st_mtime_ns for p in hoodie.glob(f"*{suffix}") if p.name.split(".")[0].isdigit())


def test_every_current_state_of_a_batch_is_written_before_its_histories(spark, lake_root):
    """Readers of the current state wait for a batch's current-state commits only: the histories of
    the batch start once every table's current state has committed, and still hold every change."""
    from spark_jobs import history
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    tables = ((ORDERS, "note"), (ITEMS, "name"), (TAGS, "tag"))
    process = make_batch_fn([c for c, _ in tables], lake_root, BatchStats(), lambda m: None, threads=3)
    for b in range(2):
        records = [feed.event(c, "c" if b == 0 else "u", {"id": i, col: f"{c.table}-{b}-{i}"}) for c, col in tables for i in range(1, 4)]
        process(spark.createDataFrame(records, KAFKA_SCHEMA), b)
    current_done = max(_timeline(c.table_path(lake_root), ".commit")[-1] for c, _ in tables)
    history_started = min(_timeline(c.history_path(lake_root), ".commit.requested")[-1] for c, _ in tables)
    assert current_done < history_started
    for contract, _ in tables:
        assert _lake_rows(spark, contract, lake_root) == feed.expected(contract), contract.table
        assert history.read_history(spark, contract, lake_root).count() == sum(1 for e in feed.events if e[1] == contract.topic())


def test_the_busiest_tables_current_states_commit_first(spark, lake_root):
    """With fewer current-state threads than tables, the tables holding most of the batch's changes
    are written first, so most changes become visible before the last table commits."""
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    sizes = ((ORDERS, "note", 1), (ITEMS, "name", 5), (TAGS, "tag", 3))
    process = make_batch_fn([c for c, _, _ in sizes], lake_root, BatchStats(), lambda m: None, threads=3, current_threads=1)
    records = [feed.event(c, "c", {"id": i, col: f"{c.table}-{i}"}) for c, col, n in sizes for i in range(1, n + 1)]
    process(spark.createDataFrame(records, KAFKA_SCHEMA), 0)
    committed = {c.table: _timeline(c.table_path(lake_root), ".commit")[-1] for c, _, _ in sizes}
    assert sorted(committed, key=committed.get) == [ITEMS.table, TAGS.table, ORDERS.table]
    for contract, _, _ in sizes:
        assert _lake_rows(spark, contract, lake_root) == feed.expected(contract), contract.table
