"""Debezium connector config rendered from the contracts; registration and lag via the Kafka Connect REST API.

The same rendered JSON is what MSK Connect gets (``render(..., target="msk")``): only
the secret reference differs. Secrets are never in the config: Connect resolves
``${env:...}`` (local worker) or ``${secretsmanager:...}`` (MSK Connect) at runtime,
so the password is not in the ``_connect-configs`` topic either.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Literal

import httpx

from cdc.errors import ConfigError, ReplicationTimeout, ServerUnavailable, TerminalError
from cdc.events import binlog_file_index
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

CONNECTOR_CLASSES = {
    "mariadb": "io.debezium.connector.mariadb.MariaDbConnector",
    "mysql": "io.debezium.connector.mysql.MySqlConnector",  # Aurora MySQL
}
PASSWORD_ENV = "CDCLAKE_SOURCE__PASSWORD"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

# Wire encodings the decoders rely on (lakehouse_schemas.types WIRE_*): change one, change both.
TYPE_SETTINGS = {
    "decimal.handling.mode": "string",
    "time.precision.mode": "adaptive_time_microseconds",
    "bigint.unsigned.handling.mode": "precise",
    "binary.handling.mode": "base64",
}


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
    databases = sorted({c.database for c in mine})
    tables = sorted(re.escape(c.qualified_source) for c in mine)
    return {
        "connector.class": CONNECTOR_CLASSES[s.flavor],
        "tasks.max": "1",
        "database.hostname": s.host,
        "database.port": str(s.port),
        "database.user": s.user,
        "database.password": password,
        "database.server.id": str(s.server_id),
        "database.ssl.mode": s.ssl_mode,
        "topic.prefix": s.name,
        "database.include.list": ",".join(databases),
        "table.include.list": ",".join(tables),
        "schema.history.internal.kafka.bootstrap.servers": settings.kafka.bootstrap_servers,
        "schema.history.internal.kafka.topic": f"_schema-history.{s.name}",
        "include.schema.changes": "true",
        "snapshot.mode": "initial",
        "tombstones.on.delete": "true",
        # Heartbeats move the committed offset forward while the tables are idle: that is what lag is measured against.
        "heartbeat.interval.ms": "1000",
        "event.processing.failure.handling.mode": "fail",
        "key.converter": JSON_CONVERTER,
        "key.converter.schemas.enable": "false",
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "false",
        "value.converter.decimal.format": "NUMERIC",
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1" if target == "local" else "3",
        **TYPE_SETTINGS,
    }


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


def register(settings: Settings, contracts: list[TableContract], log: Callable[[str], None] = print) -> dict:
    client = ConnectClient(settings)
    name = connector_name(settings)
    config = render(settings, contracts)
    client.put_config(name, config)
    log(f"registered connector {name} ({config['table.include.list'].count(',') + 1} tables)")
    return wait_running(settings, log=log)


def wait_running(settings: Settings, timeout_s: float = 120, log: Callable[[str], None] = print) -> dict:
    client = ConnectClient(settings)
    name = connector_name(settings)
    deadline = time.monotonic() + timeout_s
    status = None
    while time.monotonic() < deadline:
        status = client.status(name)
        if status:
            tasks = status.get("tasks", [])
            failed = [t for t in tasks if t["state"] == "FAILED"]
            if failed or status["connector"]["state"] == "FAILED":
                trace = (failed[0] if failed else status["connector"]).get("trace", "")[:3000]
                raise TerminalError(f"connector {name} FAILED:\n{trace}", next_step="fix the cause, then `cdclake capture register` again")
            if status["connector"]["state"] == "RUNNING" and tasks and all(t["state"] == "RUNNING" for t in tasks):
                return status
        time.sleep(0.5)
    raise ReplicationTimeout(f"connector {name} not RUNNING after {timeout_s}s: {status}", next_step="read the Connect log")


def source_position(settings: Settings) -> tuple[str, int]:
    """The source's current binlog end (file, position)."""
    from cdc.source import connect

    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        row = cur.fetchone()
    if not row:
        raise TerminalError("SHOW MASTER STATUS returned nothing: binary logging is off", next_step="cdclake source check")
    return row[0], int(row[1])


def connector_position(settings: Settings) -> tuple[str, int] | None:
    offsets = ConnectClient(settings).offsets(connector_name(settings))
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


def wait_caught_up(settings: Settings, timeout_s: float = 300, log: Callable[[str], None] = print) -> dict:
    """Wait until the connector's committed offset reaches the source's binlog end as of now."""
    target = source_position(settings)
    target_key = (binlog_file_index(target[0]), target[1])
    deadline = time.monotonic() + timeout_s
    last = 0.0
    while time.monotonic() < deadline:
        wait_running(settings, log=log)
        con = connector_position(settings)
        if con and (binlog_file_index(con[0]), con[1]) >= target_key:
            return {"source": target, "connector": con}
        if time.monotonic() - last > 10:
            log(f"waiting for Debezium to reach {target[0]}:{target[1]} (at {con[0] + ':' + str(con[1]) if con else 'no offset yet'})")
            last = time.monotonic()
        time.sleep(0.5)
    raise ReplicationTimeout(
        f"Debezium did not reach {target} within {timeout_s}s", next_step="cdclake capture status; read the Connect log", target=target
    )
