"""Operating the capture side: backfill one table, detect a binlog gap, re-snapshot after one.

- ``backfill``: Debezium's ad-hoc incremental snapshot, triggered through the source
  signalling table. Streaming goes on; the snapshot rows carry the current binlog position,
  so they order after every change already replicated. Debezium marks each chunk by
  writing open/close watermark rows into the signalling table, so the connector user needs
  INSERT there (and only there); without it the signal is dropped with no task failure.
- ``binlog_gap``: the connector's committed position (GTIDs, else binlog file) is older than
  the oldest position the source still has (purged by retention). Debezium cannot continue
  from there (MariaDB/MySQL error 1236): changes are lost to it, so the lake must be rebuilt.
- ``resnapshot``: forget the connector's offsets and schema history, take a new initial
  snapshot into the existing topics, then ``sweep`` the lake: rows older than the
  re-snapshot's start position were not re-read, so the source deleted them during the gap.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass

from cdc.capture import debezium as dbz
from cdc.errors import ConfigError, ReplicationTimeout, TerminalError
from cdc.events import SourcePosition, binlog_file_index
from cdc.kafka_security import librdkafka_config
from cdc.log import Log
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract

# What MariaDB/MySQL say (error 1236) when the position a replica asks for was purged.
GAP_MARKERS = (
    "no longer available on the server",
    "Could not find GTID state requested",
    "Could not find first log file name in binary log index",
    "have purged binary logs containing GTIDs that the slave requires",
    "purged",
)
RESNAPSHOT_STEPS = (
    "`cdclake capture resnapshot`, run the job until it has applied the snapshot (`cdclake run`), "
    "then `cdclake lake sweep --before KEY` with the key resnapshot printed"
)


# ---------------------------------------------------------------- backfill


_GRANT = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<target>\S+) TO ", re.IGNORECASE)


def can_write_signal_table(grants: list[str], source_name: str = "chinook") -> bool:
    """Whether ``SHOW GRANTS`` lines give INSERT on the source's signalling table (directly, its database, or globally)."""
    targets = {"*.*", f"`{dbz.SIGNAL_DATABASE}`.*", f"`{dbz.SIGNAL_DATABASE}`.`{dbz.signal_table(source_name)}`"}
    for line in grants:
        m = _GRANT.match(line.strip())
        if not m or m["target"] not in targets:
            continue
        privs = {p.strip().upper() for p in m["privs"].split(",")}
        if "INSERT" in privs or "ALL PRIVILEGES" in privs or "ALL" in privs:
            return True
    return False


@dataclass(frozen=True)
class BackfillRequest:
    signal_id: str
    tables: tuple[str, ...]
    notification_offset: int  # where to read Debezium's notifications for this backfill from


def _topic_end(settings: Settings, topic: str) -> int:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    c = Consumer(librdkafka_config(settings, **{"group.id": "cdclake-backfill", "log_level": 0}))
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    except KafkaException:
        return 0  # the topic appears with the first notification
    finally:
        c.close()


def backfill(settings: Settings, contracts: list[TableContract], log: Log = print) -> BackfillRequest:
    """Ask the connector for an incremental snapshot of these tables."""
    if not contracts:
        raise TerminalError("no table to backfill", next_step="name tables as in `cdclake contracts list`")
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        grants = [r[0] for r in cur.fetchall()]
    if not can_write_signal_table(grants, settings.source.name):
        raise ConfigError(
            f"connector user {settings.source.user!r} cannot INSERT into {dbz.signal_collection(settings.source.name)}: Debezium would drop the "
            "backfill signal without failing (it writes its snapshot-window watermarks there)",
            next_step=f"GRANT SELECT, INSERT ON `{dbz.SIGNAL_DATABASE}`.* TO '{settings.source.user}'@'%'",
            user=settings.source.user,
        )
    status = dbz.ConnectClient(settings).status(dbz.connector_name(settings)) or {}
    if status.get("connector", {}).get("state") != "RUNNING" or any(t.get("state") != "RUNNING" for t in status.get("tasks", [])):
        log(f"note: connector {dbz.connector_name(settings)} is not running; the backfill starts when it reads the signal")
    tables = tuple(c.qualified_source for c in contracts)
    start = _topic_end(settings, dbz.notification_topic(settings.source.name))
    signal_id = str(uuid.uuid4())
    data = json.dumps({"data-collections": list(tables), "type": "incremental"})
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO `{dbz.SIGNAL_DATABASE}`.`{dbz.signal_table(settings.source.name)}` (id, type, data) VALUES (%s, 'execute-snapshot', %s)",
            (signal_id, data),
        )
        conn.commit()
    log(f"backfill of {list(tables)} requested (signal {signal_id}); streaming continues")
    return BackfillRequest(signal_id, tables, start)


def wait_backfill(settings: Settings, request: BackfillRequest, timeout_s: float = 300, log: Log = print) -> dict[str, int]:
    """Block until Debezium reports the incremental snapshot COMPLETED; returns rows scanned per table.

    Read from the connector's notification topic: Kafka reads alone cannot tell "done", since
    rows deleted during the backfill are never read.
    """
    from confluent_kafka import Consumer, TopicPartition

    topic = dbz.notification_topic(settings.source.name)
    c = Consumer(
        librdkafka_config(
            settings,
            **{
                "group.id": f"cdclake-backfill-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "log_level": 0,
            },
        )
    )
    c.assign([TopicPartition(topic, 0, request.notification_offset)])
    scanned: dict[str, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is None or msg.error() or not msg.value():
                continue
            note = json.loads(msg.value())
            # Debezium gives the incremental snapshot's notifications the id of the signal that started it.
            if note.get("aggregate_type") != "Incremental Snapshot" or note.get("id") != request.signal_id:
                continue
            kind, extra = note.get("type"), note.get("additional_data") or {}
            if kind == "TABLE_SCAN_COMPLETED":
                table, status = extra.get("scanned_collection"), extra.get("status")
                if status not in ("SUCCEEDED", "EMPTY"):
                    raise TerminalError(
                        f"backfill of {table} (signal {request.signal_id}) ended with status {status}",
                        next_step="check the table's primary key and the connector status, then backfill again",
                        table=table,
                        status=status,
                    )
                scanned[table] = int(extra.get("total_rows_scanned") or 0)
                log(f"backfill: {table} scanned, {scanned[table]} rows")
            elif kind == "ABORTED":
                raise TerminalError(f"backfill (signal {request.signal_id}) was aborted", next_step="backfill again")
            elif kind == "COMPLETED":
                return scanned
    finally:
        c.close()
    raise ReplicationTimeout(
        f"backfill of {list(request.tables)} (signal {request.signal_id}) not completed within {timeout_s}s; scanned so far: {scanned}",
        next_step="cdclake capture status; check the connector user's INSERT grant on the signal table",
        signal_id=request.signal_id,
    )


# ---------------------------------------------------------------- binlog gap


@dataclass(frozen=True)
class SourceBinlogState:
    """What the source still has: binlog files (oldest first) and the GTIDs no longer in them."""

    files: tuple[str, ...]
    first_gtid_list: str | None = None  # MariaDB: Gtid_list event of the oldest binlog, e.g. "0-1-1542"
    gtid_purged: str | None = None  # MySQL / Aurora MySQL: @@gtid_purged


@dataclass(frozen=True)
class BinlogGap:
    connector: str
    needed: str  # the connector's restart position
    first_available: str  # the oldest position the source still has
    reason: str
    connector_file: str | None = None
    oldest_available: str | None = None

    def message(self) -> str:
        return (
            f"BINLOG GAP on connector {self.connector}: it needs {self.needed}, but the oldest position the source still has "
            f"is {self.first_available} ({self.reason}). Changes in between are lost to replication; "
            f"the connector cannot resume.\n  next step: {RESNAPSHOT_STEPS}"
        )


def _mariadb_seqs(gtids: str | None) -> dict[int, int]:
    """Highest sequence number per replication domain in a MariaDB GTID position ("0-1-1542,1-2-7")."""
    out: dict[int, int] = {}
    for g in (gtids or "").strip().strip("[]").split(","):
        parts = g.strip().split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            d, seq = int(parts[0]), int(parts[2])
            out[d] = max(out.get(d, 0), seq)
    return out


def _mysql_gtid_set(gtids: str | None) -> dict[str, list[tuple[int, int]]]:
    """A MySQL GTID set ("uuid:1-5:7,uuid2:1-3") as intervals per server uuid."""
    out: dict[str, list[tuple[int, int]]] = {}
    for part in (gtids or "").replace("\n", "").split(","):
        if ":" not in part:
            continue
        sid, *ranges = part.strip().split(":")
        for r in ranges:
            lo, _, hi = r.partition("-")
            out.setdefault(sid.lower(), []).append((int(lo), int(hi or lo)))
    return out


def _mysql_missing(purged: str | None, have: str | None) -> list[str]:
    """GTID intervals in ``purged`` not contained in ``have``."""
    have_set = _mysql_gtid_set(have)
    missing = []
    for sid, intervals in _mysql_gtid_set(purged).items():
        for lo, hi in intervals:
            if not any(a <= lo and hi <= b for a, b in have_set.get(sid, [])):
                missing.append(f"{sid}:{lo}-{hi}")
    return missing


def decide_gap(
    connector: str,
    flavor: str,
    offset: dict | None,
    source: SourceBinlogState,
    failed_traces: list[str] = (),  # type: ignore[assignment]
) -> BinlogGap | None:
    """The gap decision, from the connector's committed offset, the source's binlog state and failed task traces.

    GTIDs decide when both sides have them: Debezium resumes by GTID, so a purged file whose
    transactions the connector already has is no gap. Without GTIDs the file decides. A task
    that failed with error 1236 ("purged", "Could not find GTID state") is a gap whatever the offsets say.
    """
    offset = offset or {}
    oldest = source.files[0] if source.files else None
    file = offset.get("file")
    needed = f"{file}:{offset.get('pos', 0)}" if file else "(no committed position)"
    if offset.get("gtids"):
        needed += f" (GTIDs {offset['gtids']})"
    first = f"{oldest}:4" if oldest else "(no binlog)"
    if flavor == "mariadb" and source.first_gtid_list:
        first += f" (GTIDs {source.first_gtid_list})"
    elif source.gtid_purged:
        first += f" (purged GTIDs {source.gtid_purged})"

    def gap(reason: str) -> BinlogGap:
        return BinlogGap(connector, needed, first, reason, connector_file=file, oldest_available=oldest)

    for trace in failed_traces:
        if any(m in trace for m in GAP_MARKERS):
            cause = next((ln for ln in reversed(trace.splitlines()) if ln.startswith("Caused by:")), trace.splitlines()[0])
            return gap("the connector task failed: " + cause.removeprefix("Caused by: ")[:300])
    if not offset:
        return None  # no position yet: the connector takes its initial snapshot
    if offset.get("gtids") and flavor == "mariadb" and source.first_gtid_list is not None:
        have = _mariadb_seqs(offset["gtids"])
        for domain, seq in sorted(_mariadb_seqs(source.first_gtid_list).items()):
            if have.get(domain, 0) < seq:
                return gap(
                    f"domain {domain}: the connector has transactions up to seq {have.get(domain, 0)}, "
                    f"the source's binlogs start after seq {seq}"
                )
        return None
    if offset.get("gtids") and flavor == "mysql" and source.gtid_purged is not None:
        missing = _mysql_missing(source.gtid_purged, offset["gtids"])
        return gap(f"purged GTIDs the connector never read: {', '.join(missing)}") if missing else None
    if file and oldest and file not in source.files and binlog_file_index(file) < binlog_file_index(oldest):
        return gap(f"binlog {file} was purged")
    return None


def source_binlog_state(settings: Settings) -> SourceBinlogState:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        files = tuple(r[0] for r in cur.fetchall())
        if settings.source.flavor == "mariadb":
            gtid_list = None
            if files:
                cur.execute(f"SHOW BINLOG EVENTS IN '{files[0]}' LIMIT 4")
                # (Log_name, Pos, Event_type, Server_id, End_log_pos, Info); Info is "[0-1-1542]"
                gtid_list = next((str(r[5]).strip("[]") for r in cur.fetchall() if r[2] == "Gtid_list"), None)
            return SourceBinlogState(files, first_gtid_list=gtid_list)
        cur.execute("SELECT @@gtid_purged")
        return SourceBinlogState(files, gtid_purged=(cur.fetchone()[0] or ""))


def binlog_gap(settings: Settings) -> BinlogGap | None:
    """A gap between what the connector needs and what the source still has, or None."""
    name = dbz.connector_name(settings)
    if settings.connect.offsets_topic:
        # MSK Connect: no REST API, so no task traces; the committed offset alone decides.
        traces: list[str] = []
        offsets = dbz.connector_offsets(settings, name)
    else:
        client = dbz.ConnectClient(settings)
        status = client.status(name) or {}
        traces = [t.get("trace", "") for t in status.get("tasks", []) if t.get("state") == "FAILED"]
        if status.get("connector", {}).get("state") == "FAILED":
            traces.append(status["connector"].get("trace", ""))
        offsets = client.offsets(name) if status else []
    offset = next((o.get("offset") for o in offsets if (o.get("offset") or {}).get("file")), None)
    return decide_gap(name, settings.source.flavor, offset, source_binlog_state(settings), traces)


# ---------------------------------------------------------------- re-snapshot


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
        r = client._req("DELETE", f"/connectors/{name}/offsets")
        if r.status_code >= 400:
            raise TerminalError(f"could not delete offsets of {name}: {r.text}", next_step="retry `cdclake capture resnapshot`")
        client.delete(name)
    # The schema history describes positions that no longer exist; the new snapshot records it again.
    admin = AdminClient(librdkafka_config(settings, log_level=0))
    history = f"_schema-history.{settings.source.name}"
    if history in admin.list_topics(timeout=10).topics:
        for f in admin.delete_topics([history], operation_timeout=30).values():
            f.result()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and history in admin.list_topics(timeout=10).topics:
            time.sleep(0.3)
    file, pos = dbz.source_position(settings)
    # Every row the new snapshot reads, and every later change, orders at or after this key.
    start = SourcePosition(file=file, pos=pos, snapshot=True).sort_key
    dbz.register(settings, contracts, log=log)
    log(f"re-snapshot started at {file}:{pos}; after the job has applied it run `cdclake lake sweep --before {start}`")
    return start
