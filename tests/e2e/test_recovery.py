"""Operating the capture: backfill one table (incremental snapshot) and recover from a binlog gap.

Each case ends with the lake equal to the source (reconcile at one consistent position).
The recovery code is the same for every table, so by default the connector captures Chinook
without its three largest tables (Track, PlaylistTrack, InvoiceLine: 14,458 of 15,607 rows),
which keeps each test to a few minutes; CDCLAKE_RECOVERY_ALL_TABLES=1 runs them over all 11.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from cdc.capture import debezium as dbz
from cdc.capture import recovery
from cdc.capture.offsets_topic import read_offsets_topic
from cdc.devstack import pipeline
from cdc.devstack.connect import OFFSETS_TOPIC
from cdc.devstack.workload import Workload
from cdc.source import connect
from spark_jobs.lake import read_table
from spark_jobs.sweep import sweep
from tests.e2e.support import assert_reconciled, file_lake

pytestmark = pytest.mark.e2e
LARGEST = {"Track", "PlaylistTrack", "InvoiceLine"}


@pytest.fixture
def tables(contracts):
    if os.environ.get("CDCLAKE_RECOVERY_ALL_TABLES") == "1":
        return contracts
    return [c for c in contracts if c.table not in LARGEST]


def _connector_state(client, name) -> tuple[str | None, str | None, str]:
    status = client.status(name) or {}
    task = (status.get("tasks") or [{}])[0]
    return status.get("connector", {}).get("state"), task.get("state"), task.get("trace", "")


def _wait_for(predicate, what: str, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def _purge_binlogs_before_current(settings) -> str:
    """Rotate the binlog and purge every older file; returns the one file left.

    MariaDB silently keeps a file still needed for crash recovery (until the binlog checkpoint
    moves on, a moment after the rotation), so purge until the older files are really gone.
    """
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("FLUSH BINARY LOGS")
        cur.execute("SHOW MASTER STATUS")
        current = cur.fetchone()[0]

        def purged():
            cur.execute(f"PURGE BINARY LOGS TO '{current}'")
            cur.execute("SHOW BINARY LOGS")
            return [r[0] for r in cur.fetchall()] == [current]

        _wait_for(purged, f"binlogs before {current} to be purged", timeout_s=60)
    return current


def _lake_keys(spark, settings, c) -> set[tuple]:
    return {tuple(r) for r in read_table(spark, c, settings.lake_root).select(*c.key).collect()}


def _source_keys(settings, c) -> set[tuple]:
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(f'`{k}`' for k in c.key)} FROM `{c.database}`.`{c.table}`")
        return {tuple(r) for r in cur.fetchall()}


def test_backfill_one_table_rebuilds_a_lost_lake_table(local_stack, spark, tables):
    settings = file_lake(local_stack, "backfill")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, tables)
    pipeline.apply_to_lake(spark, settings, tables)
    invoice = next(c for c in tables if c.table == "Invoice")

    # The lake copy of one table is lost; the backfill re-reads it while other changes flow.
    shutil.rmtree(Path(urlparse(invoice.table_path(settings.lake_root)).path))
    request = recovery.backfill(settings, [invoice])
    result = Workload(settings, tables, seed=61).run(200)
    scanned = recovery.wait_backfill(settings, request, timeout_s=180)
    assert set(scanned) == {invoice.qualified_source}
    assert scanned[invoice.qualified_source] > 300  # Chinook has 412 invoices; the workload deletes a few

    pipeline.drain_capture(settings, result.last_gtid)
    pipeline.apply_to_lake(spark, settings, tables)
    assert_reconciled(spark, settings, tables)


def test_binlog_gap_is_detected_and_resnapshot_recovers(local_stack, spark, tables):
    from cdc.cli import main

    settings = file_lake(local_stack, "gap")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, tables)
    pipeline.apply_to_lake(spark, settings, tables)
    assert recovery.binlog_gap(settings) is None
    assert recovery.binlog_gap(settings.model_copy(update={"connect": settings.connect.model_copy(update={"offsets_topic": OFFSETS_TOPIC})})) is None
    lake_keys_before = {c.qualified_source: _lake_keys(spark, settings, c) for c in tables if c.mode == "current_state"}

    client = dbz.ConnectClient(settings)
    name = dbz.connector_name(settings)
    client._req("PUT", f"/connectors/{name}/stop")
    _wait_for(lambda: _connector_state(client, name)[0] == "STOPPED", "the connector to stop")
    needed = dbz.connector_position(settings)
    # Changes (deletes among them) the connector will never see: their binlogs are purged.
    result = Workload(settings, tables, seed=62).run(300)
    assert result.by_kind.get("delete", 0) > 0
    current = _purge_binlogs_before_current(settings)

    # Caught from the committed offset alone, while the connector is stopped.
    gap = recovery.binlog_gap(settings)
    assert gap is not None, "a purged binlog the connector needs must raise the alarm"
    assert gap.connector_file == needed[0] != current and gap.oldest_available == current
    assert name in gap.message() and current in gap.message() and "resnapshot" in gap.message()
    # MSK Connect has no REST API: the same decision from the workers' offsets topic alone.
    via_topic = settings.model_copy(update={"connect": settings.connect.model_copy(update={"offsets_topic": OFFSETS_TOPIC})})
    assert read_offsets_topic(via_topic, OFFSETS_TOPIC, name) == client.offsets(name) != []
    assert recovery.binlog_gap(via_topic) == gap
    assert dbz.connector_position(via_topic) == needed
    cli = CliRunner().invoke(main, ["capture", "gap"])
    assert cli.exit_code == 1 and name in cli.output, cli.output

    # Resumed, the connector must fail loudly (error 1236), not skip the purged changes.
    client._req("PUT", f"/connectors/{name}/resume")
    _, _, trace = _wait_for(lambda: (s := _connector_state(client, name))[1] == "FAILED" and s, "the task to fail")
    assert "Could not find GTID state" in trace or "purged" in trace
    gap = recovery.binlog_gap(settings)
    assert gap is not None and "task failed" in gap.reason

    before = recovery.resnapshot(settings, tables)
    pipeline.drain_capture(settings)
    pipeline.apply_to_lake(spark, settings, tables)
    removed = sweep(spark, tables, settings.lake_root, before)
    # Exactly the rows the lake had and the source deleted while their changes were lost.
    gone = {
        c.qualified_target: len(lake_keys_before[c.qualified_source] - _source_keys(settings, c))
        for c in tables
        if c.mode == "current_state"
    }
    assert sum(gone.values()) > 0
    assert {t: removed.get(t, 0) for t in gone} == gone
    assert_reconciled(spark, settings, tables)
    assert recovery.binlog_gap(settings) is None
