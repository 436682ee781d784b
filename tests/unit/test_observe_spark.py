"""The batch function's aggregates reach the metrics: changes, commit times, dead letters, blocked tables.

Local Spark over a temporary file:// lake, the events of test_spark_stream_evolution's Feed; no servers.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from tests.unit.test_spark_stream_evolution import ITEMS, KAFKA_SCHEMA, ORDERS, ORDERS_EMAIL, Feed

pytestmark = pytest.mark.spark

COMMIT_MS = 1700000000000  # the Feed's source.ts_ms is this plus the event's position


@pytest.fixture
def lake_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("observe") / uuid.uuid4().hex[:8]
    yield root.resolve().as_uri()
    shutil.rmtree(root, ignore_errors=True)


def test_batches_feed_the_metrics(spark, lake_root):
    from spark_jobs.metrics import Observer
    from spark_jobs.stream import BatchStats, make_batch_fn

    feed, obs = Feed(), Observer(log=lambda m: None)
    process = make_batch_fn(lambda: current, lake_root, BatchStats(), lambda m: None, observer=obs)
    current = [ORDERS, ITEMS]

    def run(batch_id, events):
        process(spark.createDataFrame(events, KAFKA_SCHEMA), batch_id)

    run(0, [feed.event(ORDERS, "c", {"id": 1, "note": "a"}), feed.event(ITEMS, "c", {"id": 1, "name": "x"}),
            feed.event(ORDERS, "c", {"id": 2, "note": "b"})])
    orders, items = obs.view.tables["shop.orders"], obs.view.tables["shop.items"]
    assert (orders.applied, items.applied) == (2, 1)
    assert orders.last_commit_ts == (COMMIT_MS + feed.pos) / 1000  # the newest of the batch, to the millisecond
    assert items.last_commit_ts == (COMMIT_MS + feed.pos - 10) / 1000
    assert not orders.blocked and orders.dead_pending == 0

    # ALTER TABLE orders ADD email: orders is blocked, its two events parked; items goes on.
    run(1, [feed.event(ORDERS, "u", {"id": 1, "note": "a2", "email": "e1"}), feed.event(ITEMS, "u", {"id": 1, "name": "y"}),
            feed.event(ORDERS, "u", {"id": 2, "note": "b2", "email": "e2"})])
    assert orders.blocked and orders.dead_pending == 2 and orders.dead_written == 2
    assert orders.applied == 2 and items.applied == 2 and not items.blocked

    # the contract gains the column: the parked events replay (and count as applied), the table is unblocked
    current = [ORDERS_EMAIL, ITEMS]
    run(2, [feed.event(ORDERS_EMAIL, "c", {"id": 3, "note": "c", "email": "e3"})])
    assert not orders.blocked and orders.dead_pending == 0
    assert orders.applied == 2 + 2 + 1 and orders.last_commit_ts == (COMMIT_MS + feed.pos) / 1000
