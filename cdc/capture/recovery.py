"""Operating the capture side: backfill one table, detect a binlog gap, re-snapshot after one.

- ``backfill``: Debezium's ad-hoc incremental snapshot, triggered through the source
  signalling table. Streaming goes on; the snapshot rows carry the current binlog position,
  so they order after every change already replicated.
- ``binlog_gap``: the connector's committed offset points at a binlog file the source no
  longer has (purged by retention). Debezium cannot continue from there: changes are lost
  to it, so the affected lake tables must be rebuilt.
- ``resnapshot``: forget the connector's offsets and schema history, take a new initial
  snapshot into the existing topics, then ``sweep`` the lake: rows older than the
  re-snapshot's start position were not re-read, so the source deleted them during the gap.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from cdc.capture import debezium as dbz
from cdc.errors import TerminalError
from cdc.events import SourcePosition
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

Log = Callable[[str], None]
GAP_MARKERS = (
    "no longer available on the server",
    "purged",
    "Could not find first log file name in binary log index",
    "Could not find GTID state requested",
)


def ensure_signal_table(settings: Settings, log: Log = print) -> None:
    from cdc.source import connect

    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{dbz.SIGNAL_DATABASE}`")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS `{dbz.SIGNAL_DATABASE}`.`{dbz.SIGNAL_TABLE}` "
            "(id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)"
        )
        cur.execute(f"GRANT SELECT ON `{dbz.SIGNAL_DATABASE}`.* TO '{settings.source.user}'@'%'")
        conn.commit()


def backfill(settings: Settings, contracts: list[TableContract], log: Log = print) -> str:
    """Ask the connector for an incremental snapshot of these tables; returns the signal id."""
    from cdc.source import connect

    if not contracts:
        raise TerminalError("no table to backfill", next_step="name tables as in `cdclake contracts list`")
    signal_id = str(uuid.uuid4())
    data = json.dumps({"data-collections": [c.qualified_source for c in contracts], "type": "incremental"})
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO `{dbz.SIGNAL_DATABASE}`.`{dbz.SIGNAL_TABLE}` (id, type, data) VALUES (%s, 'execute-snapshot', %s)",
            (signal_id, data),
        )
        conn.commit()
    log(f"backfill of {[c.qualified_source for c in contracts]} requested (signal {signal_id}); streaming continues")
    return signal_id


@dataclass(frozen=True)
class BinlogGap:
    connector_file: str | None
    oldest_available: str | None
    reason: str

    def message(self) -> str:
        return (
            f"BINLOG GAP: {self.reason}. Changes between the connector's position and the oldest binlog the source "
            "still has are lost to replication."
        )


def binlog_gap(settings: Settings) -> BinlogGap | None:
    """A gap between what the connector needs and what the source still has, or None."""
    from cdc.source import connect

    client = dbz.ConnectClient(settings)
    name = dbz.connector_name(settings)
    status = client.status(name) or {}
    traces = [t.get("trace", "") for t in status.get("tasks", []) if t.get("state") == "FAILED"]
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        files = [r[0] for r in cur.fetchall()]
    oldest = files[0] if files else None
    position = dbz.connector_position(settings)
    if position and position[0] not in files:
        return BinlogGap(position[0], oldest, f"the connector's offset is in {position[0]}, the oldest binlog on the source is {oldest}")
    for trace in traces:
        if any(m in trace for m in GAP_MARKERS):
            return BinlogGap(position[0] if position else None, oldest, "the connector task failed: " + trace.splitlines()[0][:300])
    return None


def resnapshot(settings: Settings, contracts: list[TableContract], log: Log = print, timeout_s: float = 120) -> str:
    """New initial snapshot into the existing topics; returns the sort key to sweep older lake rows below."""
    from confluent_kafka.admin import AdminClient

    client = dbz.ConnectClient(settings)
    name = dbz.connector_name(settings)
    if client.status(name):
        client._req("PUT", f"/connectors/{name}/stop")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and (client.status(name) or {}).get("connector", {}).get("state") != "STOPPED":
            time.sleep(0.3)
        client._req("DELETE", f"/connectors/{name}/offsets")
        client.delete(name)
    # The schema history describes positions that no longer exist; the new snapshot records it again.
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers, "log_level": 0})
    history = f"_schema-history.{settings.source.name}"
    if history in admin.list_topics(timeout=10).topics:
        for f in admin.delete_topics([history], operation_timeout=30).values():
            f.result()
        while history in admin.list_topics(timeout=10).topics:
            time.sleep(0.3)
    file, pos = dbz.source_position(settings)
    # Every row the new snapshot reads, and every later change, orders at or after this key.
    start = SourcePosition(file=file, pos=pos, snapshot=True).sort_key
    dbz.register(settings, contracts, log=log)
    log(f"re-snapshot started at {file}:{pos}; after the job has applied it run `cdclake lake sweep --before {start}`")
    return start
