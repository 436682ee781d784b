"""A current state with a bucket index (contract ``buckets``): the same lake as with Hudi's simple index.

Local Spark, Hudi tables under a temporary file:// root, no servers.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.unit.test_spark_stream_evolution import KAFKA_SCHEMA, ORDERS, Feed, _lake_rows

BUCKETED = ORDERS.model_copy(update={"buckets": 2})


@pytest.fixture()
def lake_root(tmp_path):
    root = tmp_path / uuid.uuid4().hex[:8]
    yield root.resolve().as_uri()
    shutil.rmtree(root, ignore_errors=True)


def _file_groups(lake_root: str) -> set[str]:
    table = Path(urlparse(BUCKETED.table_path(lake_root)).path)
    return {f.name.split("_", 1)[0] for f in table.rglob("*.parquet") if ".hoodie" not in f.parts}


def test_a_bucketed_current_state_equals_the_oracle_and_keeps_its_keys_in_their_buckets(spark, lake_root):
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    process = make_batch_fn([BUCKETED], lake_root, BatchStats(), lambda m: None, threads=1)

    def batch(records):
        return spark.createDataFrame(records, KAFKA_SCHEMA)

    process(batch([feed.event(BUCKETED, "c", {"id": i, "note": f"n-{i}"}) for i in range(1, 41)]), 0)  # bulk insert
    process(batch([feed.event(BUCKETED, "u", {"id": i, "note": f"u-{i}"}) for i in range(1, 41, 3)]
                  + [feed.event(BUCKETED, "d", {"id": i, "note": f"n-{i}"}) for i in range(2, 41, 7)]
                  + [feed.event(BUCKETED, "c", {"id": i, "note": f"n-{i}"}) for i in range(41, 51)]), 1)
    process(batch([feed.event(BUCKETED, "u", {"id": 1, "note": "last"}), feed.event(BUCKETED, "d", {"id": 50, "note": "n-50"})]), 2)
    assert _lake_rows(spark, BUCKETED, lake_root) == feed.expected(BUCKETED)
    # Hudi names a bucket's file group after its bucket number; the simple index names them by UUID.
    groups = _file_groups(lake_root)
    assert groups and all(re.match(r"0000000[01]-", g) for g in groups), groups


def test_a_bucket_count_that_differs_from_the_tables_is_refused_before_writing(spark, lake_root):
    """Another bucket count (or buckets on a table of the simple index) would put an updated key in a second
    file group: the write stops with the table and what to do, and the lake keeps its rows."""
    from cdc.errors import ContractError
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    create = [feed.event(ORDERS, "c", {"id": i, "note": f"n-{i}"}) for i in range(1, 6)]
    make_batch_fn([ORDERS], lake_root, BatchStats(), lambda m: None, threads=1)(spark.createDataFrame(create, KAFKA_SCHEMA), 0)
    update = [feed.event(ORDERS, "u", {"id": 1, "note": "again"})]
    for contract, was in ((BUCKETED, "the simple index"), (ORDERS.model_copy(update={"buckets": 3}), "the simple index")):
        process = make_batch_fn([contract], lake_root, BatchStats(), lambda m: None, threads=1)
        with pytest.raises(ContractError, match=f"evo.orders: the contract asks for {contract.buckets} buckets, .* was written with {was}"):
            process(spark.createDataFrame(update, KAFKA_SCHEMA), 1)
    assert _lake_rows(spark, ORDERS, lake_root) == {i: (i, f"n-{i}") for i in range(1, 6)}


def test_a_bucketed_table_refuses_another_bucket_count(spark, lake_root):
    from cdc.errors import ContractError
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    create = [feed.event(BUCKETED, "c", {"id": i, "note": f"n-{i}"}) for i in range(1, 6)]
    make_batch_fn([BUCKETED], lake_root, BatchStats(), lambda m: None, threads=1)(spark.createDataFrame(create, KAFKA_SCHEMA), 0)
    four = BUCKETED.model_copy(update={"buckets": 4})
    process = make_batch_fn([four], lake_root, BatchStats(), lambda m: None, threads=1)
    with pytest.raises(ContractError, match="asks for 4 buckets, .* was written with 2 buckets"):
        process(spark.createDataFrame([feed.event(four, "u", {"id": 1, "note": "again"})], KAFKA_SCHEMA), 1)


def test_a_new_bucketed_table_takes_a_first_write_that_is_not_a_bulk_insert(spark, lake_root):
    """A truncate in a table's first batch makes its first write an upsert: nothing to check it against."""
    from spark_jobs.upsert import write_table

    rows = spark.createDataFrame([(1, "a"), (2, "b")], "id int, note string")
    rows = rows.selectExpr("*", "cast(101 as bigint) as _cdc_pos", "false as _hoodie_is_deleted")
    write_table(rows, BUCKETED, lake_root, bulk=False)
    assert _lake_rows(spark, BUCKETED, lake_root) == {1: (1, "a"), 2: (2, "b")}
    assert all(re.match(r"0000000[01]-", g) for g in _file_groups(lake_root))


def test_a_bucket_grown_past_the_limit_is_reported_once_with_the_next_step(spark, lake_root, monkeypatch):
    """A drafted table that outgrew its one bucket keeps working, and the operator is told to rebuild it."""
    from lakehouse_schemas import hudi_options as H
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed = Feed()
    lines: list[str] = []
    process = make_batch_fn([BUCKETED], lake_root, BatchStats(), lines.append, threads=1)

    def batch(i: int, note: str):
        return spark.createDataFrame([feed.event(BUCKETED, "u" if i else "c", {"id": 1, "note": note})], KAFKA_SCHEMA)

    process(batch(0, "a"), 0)
    process(batch(1, "b"), 1)
    assert not [m for m in lines if "has grown" in m]  # its files are far below the limit
    monkeypatch.setattr(H, "BUCKET_FILE_WARN_BYTES", 100)  # a few hundred bytes of Parquet are past this one
    process(batch(2, "c"), 2)
    process(batch(3, "d"), 3)
    grown = [m for m in lines if "has grown" in m]
    assert len(grown) == 1, lines  # once per run, not every batch
    assert re.fullmatch(r"batch 2: evo\.orders: a bucket file of its current state has grown to \d+ MB with 2 bucket\(s\), "
                        r"and a batch rewrites a changed bucket whole; next step: rebuild the table with more buckets .*", grown[0])
    assert _lake_rows(spark, BUCKETED, lake_root) == feed.expected(BUCKETED)  # the write itself went on
