"""Debezium connector config rendered from the contracts; registration and lag via the Kafka Connect REST API.

The same rendered JSON is what MSK Connect gets (``render(..., target="msk")``): only
the secret reference differs. Secrets are never in the config: Connect resolves
``${env:...}`` (local worker) or ``${secretsmanager:...}`` (MSK Connect) at runtime,
so the password is not in the ``_connect-configs`` topic either.
"""

from __future__ import annotations

import re
import time
from typing import Literal

import httpx

from cdc.capture.offsets_topic import read_offsets_topic
from cdc.errors import ConfigError, ReplicationTimeout, ServerUnavailable, TerminalError
from cdc.events import binlog_file_index
from cdc.kafka_security import connector_history_config, librdkafka_config
from cdc.log import Log
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.types import CONNECTOR_TYPE_SETTINGS

CONNECTOR_CLASSES = {
    "mariadb": "io.debezium.connector.mariadb.MariaDbConnector",
    "mysql": "io.debezium.connector.mysql.MySqlConnector",  # Aurora MySQL
}
# The two connectors spell SSL modes differently; contracts and settings use the MySQL words.
SSL_MODES = {
    "mysql": {"disabled": "disabled", "preferred": "preferred", "required": "required", "verify_ca": "verify_ca", "verify_identity": "verify_identity"},
    "mariadb": {"disabled": "disable", "preferred": "trust", "required": "trust", "verify_ca": "verify-ca", "verify_identity": "verify-full"},
}
PASSWORD_ENV = "CDCLAKE_SOURCE__PASSWORD"
# Debezium's source signalling table (ad-hoc incremental snapshots = "backfill one table"). It sits in
# its own database so its change topic never matches the streaming job's table topics.
# One signal table per source: connectors of two sources on one server must not act on each other's signals.
SIGNAL_DATABASE = "cdclake_signal"
SIGNAL_TABLE_PREFIX = "debezium_signal_"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

# Wire encodings the decoders rely on: one definition, in lakehouse_schemas.types (docs/types.md).
TYPE_SETTINGS = dict(CONNECTOR_TYPE_SETTINGS)


def signal_table(source_name: str) -> str:
    """The source's own signal table in SIGNAL_DATABASE (a table name keeps only [A-Za-z0-9_])."""
    return SIGNAL_TABLE_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", source_name)


def signal_collection(source_name: str) -> str:
    return f"{SIGNAL_DATABASE}.{signal_table(source_name)}"


def notification_topic(source_name: str) -> str:
    """Debezium's notifications (incremental snapshot started / table scanned / completed): how a backfill is seen to end."""
    return f"__debezium-notifications.{source_name}"


def connector_name(settings: Settings) -> str:
    return f"cdclake-{settings.source.name}"


def render(
    settings: Settings,
    contracts: list[TableContract],
    *,
    target: Literal["local", "msk"] = "local",
    secret_arn: str | None = None,
) -> dict[str, str]:
    s = settings.source
    mine = [c for c in contracts if c.source == s.name and c.capture_format == "debezium"]
    if not mine:
        raise ConfigError(f"no Debezium contracts for source {s.name!r}", next_step="check `cdclake contracts list`")
    if target == "msk":
        if not secret_arn:
            raise ConfigError("MSK Connect needs the Secrets Manager ARN of the source password", next_step="pass --secret-arn")
        password = f"${{secretsmanager:{secret_arn}:password}}"
    else:
        password = f"${{env:{PASSWORD_ENV}}}"
    databases = sorted({c.database for c in mine} | {SIGNAL_DATABASE})
    tables = sorted([re.escape(c.qualified_source) for c in mine] + [re.escape(signal_collection(s.name))])
    return {
        "connector.class": CONNECTOR_CLASSES[s.flavor],
        "tasks.max": "1",
        "database.hostname": s.host,
        "database.port": str(s.port),
        "database.user": s.user,
        "database.password": password,
        "database.server.id": str(s.effective_server_id),
        "database.ssl.mode": SSL_MODES[s.flavor][s.ssl_mode],
        "topic.prefix": s.name,
        "database.include.list": ",".join(databases),
        "table.include.list": ",".join(tables),
        "schema.history.internal.kafka.bootstrap.servers": settings.kafka.bootstrap_servers,
        "schema.history.internal.kafka.topic": f"_schema-history.{s.name}",
        "include.schema.changes": "true",
        "snapshot.mode": "initial",
        "signal.enabled.channels": "source",
        "signal.data.collection": signal_collection(s.name),
        "incremental.snapshot.chunk.size": "2048",
        "notification.enabled.channels": "sink",
        "notification.sink.topic.name": notification_topic(s.name),
        "tombstones.on.delete": "true",
        # Heartbeats move the committed offset forward while the tables are idle: that is what lag is measured against.
        "heartbeat.interval.ms": "1000",
        "event.processing.failure.handling.mode": "fail",
        # BEGIN/END records on <prefix>.transaction: "caught up to transaction X" is then observable.
        "provide.transaction.metadata": "true",
        "key.converter": JSON_CONVERTER,
        "key.converter.schemas.enable": "false",
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "false",
        "value.converter.decimal.format": "NUMERIC",
        # JsonConverter otherwise writes a column's DEFAULT where the row holds NULL (docs/types.md: NULL stays NULL).
        "key.converter.replace.null.with.default": "false",
        "value.converter.replace.null.with.default": "false",
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1" if target == "local" else "3",
        # The topics are the lake's replay source: keep them longer than the job's longest outage.
        "topic.creation.default.retention.ms": str(settings.kafka.topic_retention_ms),
        **TYPE_SETTINGS,
        **connector_history_config(settings),
    }


# Task failures that mean "the database went away", not a bad config: restarting the task is the fix.
CONNECTION_LOST_MARKERS = (
    "SQLNonTransientConnectionException",
    "Socket error",
    "Connection refused",
    "Communications link failure",
    "socket was closed by server",
)
MAX_CONNECTION_RESTARTS = 5


class ConnectClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.connect.url.rstrip("/")

    def _req(self, method: str, path: str, **kw) -> httpx.Response:
        try:
            r = httpx.request(method, f"{self.url}{path}", timeout=30, **kw)
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"Kafka Connect at {self.url} is not reachable: {exc}", next_step="cdclake stack status") from exc
        if r.status_code >= 400 and r.status_code != 404:
            raise TerminalError(f"Kafka Connect {method} {path} -> {r.status_code}: {r.text[:2000]}", next_step="check the connector config")
        return r

    def put_config(self, name: str, config: dict[str, str]) -> dict:
        return self._req("PUT", f"/connectors/{name}/config", json=config).json()

    def status(self, name: str) -> dict | None:
        r = self._req("GET", f"/connectors/{name}/status")
        return None if r.status_code == 404 else r.json()

    def offsets(self, name: str) -> list[dict]:
        r = self._req("GET", f"/connectors/{name}/offsets")
        return [] if r.status_code == 404 else r.json().get("offsets", [])

    def delete(self, name: str) -> None:
        self._req("DELETE", f"/connectors/{name}")

    def restart(self, name: str) -> None:
        self._req("POST", f"/connectors/{name}/restart?includeTasks=true")


def ensure_signal_table(settings: Settings, log: Log = print) -> None:
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{SIGNAL_DATABASE}`")
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS `{SIGNAL_DATABASE}`.`{signal_table(settings.source.name)}` "
            "(id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)"
        )
        # INSERT: Debezium writes the snapshot-window open/close watermarks of an incremental snapshot here.
        cur.execute(f"GRANT SELECT, INSERT ON `{SIGNAL_DATABASE}`.* TO '{settings.source.user}'@'%'")
        conn.commit()


def register(settings: Settings, contracts: list[TableContract], log: Log = print) -> dict:
    client = ConnectClient(settings)
    name = connector_name(settings)
    config = render(settings, contracts)
    ensure_signal_table(settings, log)
    existing = client.status(name)
    client.put_config(name, config)
    log(f"registered connector {name} ({config['table.include.list'].count(',')} tables + the signal table)")
    if existing:
        _apply_new_config(client, name, log)
    status = wait_running(settings, log=log)
    broken = evicted_connectors(client._req("GET", "/connectors?expand=status").json(), name)
    if broken:
        raise TerminalError(
            f"connector {name} runs, but {', '.join(broken)} failed: another replica with the same server id is connected",
            next_step="give each source its own CDCLAKE_SOURCE__SERVER_ID (or unset it: the default differs per source), "
            "then `cdclake capture register` for each",
        )
    return status


# The server evicts a replica when another connects with the same server id (MySQL and MariaDB wording).
SERVER_ID_CONFLICT_MARKERS = ("same server_uuid/server_id", "same server_id", "A slave with the same", "A replica with the same")


def evicted_connectors(statuses: dict, own: str) -> list[str]:
    """Other connectors (``GET /connectors?expand=status``) whose task failed on a server-id conflict."""
    out = []
    for name, info in sorted(statuses.items()):
        st = (info or {}).get("status") or {}
        traces = [t.get("trace", "") for t in st.get("tasks", []) if t.get("state") == "FAILED"]
        if name != own and any(m in tr for tr in traces for m in SERVER_ID_CONFLICT_MARKERS):
            out.append(name)
    return out


def _apply_new_config(client: ConnectClient, name: str, log: Log, timeout_s: float = 120) -> None:
    """Stop the connector and resume it, so that once this returns its task runs the new config.

    Connect restarts tasks after a config change asynchronously: a RUNNING status right after the PUT
    may still be the old task, which goes on filtering out a newly added table, and writes to that
    table would not be captured (nor a backfill signal for it acted on). Stop/resume (KIP-875) leaves
    no task running in between; the new one resumes from the last committed binlog offset.
    """
    r = client._req("PUT", f"/connectors/{name}/stop")
    if r.status_code >= 400:
        raise ServerUnavailable(f"could not stop {name} to apply its new config: {r.text}", next_step="retry `cdclake capture register`")
    deadline = time.monotonic() + timeout_s
    while (client.status(name) or {}).get("connector", {}).get("state") != "STOPPED":
        if time.monotonic() > deadline:
            raise ServerUnavailable(f"{name} did not stop within {timeout_s:.0f}s", next_step="check `cdclake capture status` and retry")
        time.sleep(0.3)
    r = client._req("PUT", f"/connectors/{name}/resume")
    if r.status_code >= 400:
        raise ServerUnavailable(f"could not resume {name}: {r.text}", next_step="retry `cdclake capture register`")
    log(f"{name} restarted with its new config")


def wait_running(settings: Settings, timeout_s: float = 120, log: Log = print) -> dict:
    client = ConnectClient(settings)
    name = connector_name(settings)
    deadline = time.monotonic() + timeout_s
    status = None
    restarts = 0
    while time.monotonic() < deadline:
        status = client.status(name)
        if status:
            tasks = status.get("tasks", [])
            failed = [t for t in tasks if t["state"] == "FAILED"]
            if failed or status["connector"]["state"] == "FAILED":
                trace = (failed[0] if failed else status["connector"]).get("trace", "")[:3000]
                # Debezium retries a lost connection, but a retry that lands while the database is still
                # restarting fails the task for good; restarting it once the database answers is safe
                # (it resumes from its committed offset).
                if restarts < MAX_CONNECTION_RESTARTS and any(m in trace for m in CONNECTION_LOST_MARKERS):
                    restarts += 1
                    log(f"connector {name}: task failed on a lost connection; restarting it ({restarts}/{MAX_CONNECTION_RESTARTS})")
                    time.sleep(2.0)
                    client.restart(name)
                    continue
                raise TerminalError(f"connector {name} FAILED:\n{trace}", next_step="fix the cause, then `cdclake capture register` again")
            if status["connector"]["state"] == "RUNNING" and tasks and all(t["state"] == "RUNNING" for t in tasks):
                return status
        time.sleep(0.5)
    raise ReplicationTimeout(f"connector {name} not RUNNING after {timeout_s}s: {status}", next_step="read the Connect log")


def source_position(settings: Settings) -> tuple[str, int]:
    """The source's current binlog end (file, position)."""
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        row = cur.fetchone()
    if not row:
        raise TerminalError("SHOW MASTER STATUS returned nothing: binary logging is off", next_step="cdclake source check")
    return row[0], int(row[1])


def connector_offsets(settings: Settings, connector: str) -> list[dict]:
    """The committed offsets: from the workers' offsets topic when one is configured (MSK Connect), else the REST API."""
    if settings.connect.offsets_topic:
        return read_offsets_topic(settings, settings.connect.offsets_topic, connector)
    return ConnectClient(settings).offsets(connector)


def connector_position(settings: Settings) -> tuple[str, int] | None:
    offsets = connector_offsets(settings, connector_name(settings))
    for o in offsets:
        off = o.get("offset") or {}
        if "file" in off:
            return off["file"], int(off.get("pos", 0))
    return None


def lag(settings: Settings) -> dict:
    """Replication lag of the connector behind the source, in binlog terms."""
    src = source_position(settings)
    con = connector_position(settings)
    if con is None:
        return {"source": src, "connector": None, "caught_up": False, "files_behind": None, "bytes_behind": None}
    files_behind = binlog_file_index(src[0]) - binlog_file_index(con[0])
    caught_up = (binlog_file_index(con[0]), con[1]) >= (binlog_file_index(src[0]), src[1])
    return {
        "source": src,
        "connector": con,
        "caught_up": caught_up,
        "files_behind": max(files_behind, 0),
        "bytes_behind": max(src[1] - con[1], 0) if files_behind == 0 else None,
    }


def last_transaction_ids(settings: Settings) -> set[str]:
    """Ids (as Debezium names them) of the last committed transaction per GTID domain/server."""
    with connect(settings) as conn, conn.cursor() as cur:
        if settings.source.flavor == "mariadb":
            cur.execute("SELECT @@gtid_binlog_pos")
            pos = cur.fetchone()[0] or ""
            return {g.strip() for g in pos.split(",") if g.strip()}
        cur.execute("SELECT @@gtid_mode, @@gtid_executed")
        mode, executed = cur.fetchone()
    if str(mode).upper() != "ON":
        raise TerminalError(
            "waiting for Debezium needs GTIDs on a MySQL source (gtid_mode=ON)",
            next_step="enable GTIDs (Aurora: gtid-mode=ON, enforce_gtid_consistency=ON in the cluster parameter group)",
        )
    ids = set()
    for part in (executed or "").replace("\n", "").split(","):
        if ":" in part:
            uuid, ranges = part.strip().split(":", 1)
            ids.add(f"{uuid}:{ranges.split(':')[-1].split('-')[-1]}")
    return ids


def wait_for_transactions(settings: Settings, ids: set[str], timeout_s: float = 300, log: Log = print) -> None:
    """Block until Debezium has emitted the END record of each transaction in ``ids``, and every
    table those transactions touched holds their changes.

    The END record alone is not enough: Debezium's producer keeps order within a partition, not
    across partitions, so the transaction topic can hold a transaction's END a moment before a
    table's topic holds its last changes (a reader that started then missed a table's tail in CI).
    The ENDs list each table's event count; ``_wait_for_changes`` waits until each table's topic
    holds all of them.
    """
    import json as _json

    from confluent_kafka import Consumer, TopicPartition

    if not ids:
        return
    topic = f"{settings.source.name}.transaction"
    consumer = Consumer(
        librdkafka_config(
            settings,
            **{
                "group.id": "cdclake-wait",
                "enable.auto.commit": False,
                "log_level": 0,
            },
        )
    )
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    # table (Debezium's data_collection) -> (transaction id, its change count) of the newest END seen
    tails: dict[str, tuple[str, int]] = {}
    try:
        while time.monotonic() < deadline:
            try:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
                break
            except Exception:  # noqa: BLE001 - topic not created yet
                time.sleep(1)
        else:
            raise ReplicationTimeout(f"topic {topic} does not exist", next_step="cdclake capture register")
        # The END we wait for was committed just now: it is among the newest records.
        consumer.assign([TopicPartition(topic, 0, max(low, high - 10000))])
        last_note = time.monotonic()
        while pending and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error() and msg.value():
                rec = _json.loads(msg.value())
                if rec.get("status") == "END":
                    pending.discard(rec.get("id"))
                    for dc in rec.get("data_collections") or []:
                        tails[dc["data_collection"]] = (rec["id"], int(dc["event_count"]))
            if time.monotonic() - last_note > 10:
                log(f"waiting for Debezium to publish transaction(s) {sorted(pending)}")
                last_note = time.monotonic()
            wait_running(settings, log=log) if msg is None else None
    finally:
        consumer.close()
    if pending:
        raise ReplicationTimeout(
            f"Debezium did not publish transaction(s) {sorted(pending)} within {timeout_s}s",
            next_step="cdclake capture status; read the Connect log",
            pending=sorted(pending),
        )
    _wait_for_changes(settings, tails, deadline, log)


# How far back from a topic's end the search for a transaction's changes starts (then the whole topic).
_TAIL_WINDOW = 5000


def _wait_for_changes(settings: Settings, tails: dict[str, tuple[str, int]], deadline: float, log: Log) -> None:
    """Block until each table's topic holds changes 1..n (``data_collection_order``) of its transaction.

    Orders, not a count: a connector restarted inside a transaction re-publishes some changes
    (duplicates), and Debezium before dbz#633 restarts the numbering after such a restart, with the
    END counting only the changes after it; either way 1..n are all there once the tail has landed.
    """
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(librdkafka_config(settings, **{"group.id": "cdclake-wait", "enable.auto.commit": False, "log_level": 0}))
    try:
        for table, (tx, n) in sorted(tails.items()):
            topic = f"{settings.source.name}.{table}"
            meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if n <= 0 or meta is None or meta.error is not None:
                continue  # no change, or a table not captured into a topic of its own: nothing to wait for
            parts = sorted(meta.partitions)
            marks = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in parts}
            missing = set(range(1, n + 1))
            # The changes sit near the end; the whole topic is read only when they are not there.
            for whole in (False, True):
                consumer.assign([TopicPartition(topic, p, lo if whole else max(lo, hi - max(4 * n, _TAIL_WINDOW))) for p, (lo, hi) in marks.items()])
                _collect(consumer, tx, missing, deadline, until=marks)
                if not missing:
                    break
            last_note = time.monotonic()
            while missing and time.monotonic() < deadline:  # the tail has not landed yet: wait for it
                _collect(consumer, tx, missing, min(deadline, time.monotonic() + 1))
                if missing and time.monotonic() - last_note > 10:
                    log(f"waiting for {len(missing)} change(s) of transaction {tx} in {topic}")
                    last_note = time.monotonic()
            if missing:
                raise ReplicationTimeout(
                    f"transaction {tx}: its END is in Kafka but {len(missing)} of its {n} change(s) to {table} are not in {topic}",
                    next_step="cdclake capture status; read the Connect log",
                    pending=sorted(missing)[:20],
                )
    finally:
        consumer.close()


def _collect(consumer, tx: str, missing: set[int], deadline: float, until: dict[int, tuple[int, int]] | None = None) -> None:
    """Strike from ``missing`` the orders of ``tx``'s changes read; stop at ``deadline``, once nothing is
    missing, or (``until``: partition -> watermarks) once every partition is read to its high mark."""
    done = {p for p, (lo, hi) in (until or {}).items() if hi <= lo}
    while missing and time.monotonic() < deadline and not (until and len(done) == len(until)):
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        if until and msg.offset() >= until[msg.partition()][1] - 1:
            done.add(msg.partition())
        value = msg.value()
        if not value or tx.encode() not in value:
            continue  # not one of its changes: no need to parse it
        t = _transaction_block(value)
        order = t.get("data_collection_order")
        if t.get("id") == tx and isinstance(order, int):
            missing.discard(order)


def _transaction_block(value: bytes | None) -> dict:
    """The ``transaction`` block of a change record; empty for a tombstone or a record that is not one.

    A table topic can hold anything a producer wrote (malformed JSON, other shapes): the job dead-letters
    those, the wait only looks past them.
    """
    import json as _json

    try:
        rec = _json.loads(value) if value else None
    except (ValueError, RecursionError):  # malformed, or nested deeper than the parser goes
        return {}
    t = rec.get("transaction") if isinstance(rec, dict) else None
    return t if isinstance(t, dict) else {}


def snapshot_finished(offsets: list[dict]) -> bool:
    """True when the connector's committed offset is a streaming position (the initial snapshot is over).

    A fresh connector commits an empty offset (``{}``) before its first snapshot record; that is
    not a finished snapshot, and reading it as one made a caller wait for transactions the
    snapshot had already covered.
    """
    positions = [o.get("offset") or {} for o in offsets]
    return bool(positions) and all(p.get("file") and not p.get("snapshot") for p in positions)


def _mariadb_gtid_covered(offset_gtids: str | None, target: str) -> bool:
    """True when the connector's restart GTID position already includes ``target`` (domain-server-seq)."""
    if not offset_gtids:
        return False
    t_domain, _, t_seq = target.split("-")
    for g in offset_gtids.split(","):
        parts = g.strip().split("-")
        if len(parts) == 3 and parts[0] == t_domain and int(parts[2]) >= int(t_seq):
            return True
    return False


def wait_caught_up(settings: Settings, timeout_s: float = 300, log: Log = print) -> dict:
    """Wait until everything committed on the source so far is in Kafka."""
    wait_running(settings, log=log)
    ids = last_transaction_ids(settings)
    if settings.source.flavor == "mariadb":
        offsets = ConnectClient(settings).offsets(connector_name(settings))
        gtids = next((o["offset"].get("gtids") for o in offsets if (o.get("offset") or {}).get("gtids")), None)
        # Transactions before the connector's start position never get an END record: they are covered.
        ids = {i for i in ids if not _mariadb_gtid_covered(gtids, i)}
    wait_for_transactions(settings, ids, timeout_s=timeout_s, log=log)
    return {"transactions": sorted(ids) or ["(none pending)"]}


def source_topics(settings: Settings) -> list[str]:
    """Every topic this source's connector writes: tables, schema changes, transactions, heartbeats, history."""
    from confluent_kafka.admin import AdminClient

    p = settings.source.name
    admin = AdminClient(librdkafka_config(settings, log_level=0))
    topics = admin.list_topics(timeout=10).topics
    return sorted(
        t for t in topics if t == p or t.startswith(f"{p}.") or t in (f"_schema-history.{p}", f"__debezium-heartbeat.{p}", notification_topic(p))
    )


def reset(settings: Settings, log: Log = print, timeout_s: float = 60) -> None:
    """Forget this source's capture: connector, its committed offsets and its topics. The next
    `register` takes a fresh initial snapshot. Destructive: for demos, tests and re-snapshots."""
    from confluent_kafka.admin import AdminClient

    client = ConnectClient(settings)
    name = connector_name(settings)
    if client.status(name):
        client._req("PUT", f"/connectors/{name}/stop")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and (client.status(name) or {}).get("connector", {}).get("state") != "STOPPED":
            time.sleep(0.3)
        r = client._req("DELETE", f"/connectors/{name}/offsets")
        if r.status_code >= 400:
            raise TerminalError(f"could not delete offsets of {name}: {r.text}", next_step="retry `cdclake capture reset`")
        client.delete(name)
        log(f"deleted connector {name} and its offsets")
    admin = AdminClient(librdkafka_config(settings, log_level=0))
    topics = source_topics(settings)
    if topics:
        for f in admin.delete_topics(topics, operation_timeout=30).values():
            f.result()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and set(topics) & set(admin.list_topics(timeout=10).topics):
            time.sleep(0.3)
        log(f"deleted {len(topics)} topic(s)")
