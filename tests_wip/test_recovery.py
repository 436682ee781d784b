"""Operating the capture: backfill one table (incremental snapshot) and recover from a binlog gap.

Each case ends with the lake equal to the source (reconcile at one consistent position).
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from confluent_kafka import Consumer, TopicPartition

from cdc.capture import debezium as dbz
from cdc.capture import recovery
from cdc.settings import LakeSettings
from cdc.source import connect
from cdc.workload import Workload
from spark_jobs import pipeline

pytestmark = pytest.mark.e2e


def _lake(settings, name):
    base = settings.stack.state_dir / "test-lakes" / f"{name}-{uuid.uuid4().hex[:8]}"
    return settings.model_copy(
        update={"lake": LakeSettings(root=(base / "lake").resolve().as_uri(), checkpoint_root=(base / "ckpt").resolve().as_uri())}
    )


def _assert_reconciled(spark, settings, contracts):
    diffs = pipeline.compare_all(spark, settings, contracts)
    bad = [d.summary() for d in diffs if not d.equal]
    assert not bad, "lake differs from source:\n" + "\n".join(bad)


def _end_offset(settings, topic: str) -> int:
    c = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": "cdclake-test-probe"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()


def _wait_for_reads(settings, topic: str, start: int, expected: int, timeout_s: float = 180) -> int:
    """Wait until ``expected`` snapshot reads (op r) arrived in ``topic`` after offset ``start``."""
    import json

    c = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": f"probe-{uuid.uuid4()}", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, start)])
    reads, deadline = 0, time.monotonic() + timeout_s
    try:
        while reads < expected and time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None or msg.error() or msg.value() is None:
                continue
            if json.loads(msg.value()).get("op") == "r":
                reads += 1
    finally:
        c.close()
    assert reads >= expected, f"only {reads} of {expected} backfilled rows arrived in {topic} within {timeout_s}s"
    return reads


def test_backfill_one_table_rebuilds_a_lost_lake_table(local_stack, spark, contracts):
    settings = _lake(local_stack, "backfill")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)
    pipeline.apply_to_lake(spark, settings, contracts)
    invoice = next(c for c in contracts if c.table == "Invoice")

    # The lake copy of one table is lost; the backfill re-reads it while other changes flow.
    shutil.rmtree(Path(urlparse(invoice.table_path(settings.lake_root)).path))
    start = _end_offset(settings, invoice.topic())
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM Chinook.Invoice")
        rows = cur.fetchone()[0]
    recovery.backfill(settings, [invoice])
    result = Workload(settings, contracts, seed=61).run(200)
    _wait_for_reads(settings, invoice.topic(), start, rows)
    pipeline.drain_capture(settings, result.last_gtid)
    pipeline.apply_to_lake(spark, settings, contracts)
    _assert_reconciled(spark, settings, contracts)


def test_binlog_gap_is_detected_and_resnapshot_recovers(local_stack, spark, contracts):
    settings = _lake(local_stack, "gap")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)
    pipeline.apply_to_lake(spark, settings, contracts)
    assert recovery.binlog_gap(settings) is None

    client = dbz.ConnectClient(settings)
    name = dbz.connector_name(settings)
    client._req("PUT", f"/connectors/{name}/stop")
    while (client.status(name) or {}).get("connector", {}).get("state") != "STOPPED":
        time.sleep(0.3)
    # Changes (deletes among them) the connector will never see: their binlogs are purged.
    Workload(settings, contracts, seed=62).run(300)
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("FLUSH BINARY LOGS")
        cur.execute("SHOW MASTER STATUS")
        current = cur.fetchone()[0]
        cur.execute(f"PURGE BINARY LOGS TO '{current}'")
    client._req("PUT", f"/connectors/{name}/resume")

    gap = recovery.binlog_gap(settings)
    assert gap is not None, "a purged binlog the connector needs must raise the alarm"
    assert gap.connector_file != current and gap.oldest_available == current

    before = recovery.resnapshot(settings, contracts)
    pipeline.drain_capture(settings)
    pipeline.apply_to_lake(spark, settings, contracts)
    from spark_jobs.sweep import sweep

    removed = sweep(spark, contracts, settings.lake_root, before)
    assert sum(removed.values()) > 0, "the workload deleted rows during the gap; the sweep must remove them"
    _assert_reconciled(spark, settings, contracts)
    assert recovery.binlog_gap(settings) is None
