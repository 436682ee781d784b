"""Seeing replication through a real Prometheus: the job's metrics, the connector exporter, the alert rules, `cdclake status`.

MariaDB -> Debezium -> Kafka -> one continuous streaming query with metrics on, scraped by the
Prometheus the local stack builds (`cdclake stack up prometheus`) every 2 s, which evaluates the rules rendered from
the test's contracts (``fast``: no ``for`` delays). Everything is asserted through Prometheus's HTTP API:
applied counts equal the changes made, the commit time moves, a drift-blocked table shows as blocked and
fires CdcLakeTableBlocked, and stopping Kafka Connect fires CdcLakeConnectorDown. `cdclake status` exits 0
while healthy and 1 with the blocked table. About 3 minutes here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from cdc import devstack
from cdc import metric_names as M
from cdc.capture import debezium as dbz
from cdc.devstack.prometheus import PrometheusServer
from cdc.observe import exporter
from cdc.settings import MetricsSettings
from spark_jobs import stream
from tests.e2e.torture_support import fresh_tables, run_sql

pytestmark = pytest.mark.e2e

WAIT_S = 420  # the first batch creates the Hudi tables: minutes on a loaded 2-core machine


class Prom:
    def __init__(self, url: str, query) -> None:
        self.url, self.query_handle = url, query

    def query(self, expr: str) -> list[dict]:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def firing(self, alert: str) -> list[dict]:
        r = httpx.get(f"{self.url}/api/v1/alerts", timeout=10)
        r.raise_for_status()
        return [a["labels"] for a in r.json()["data"]["alerts"] if a["labels"]["alertname"] == alert and a["state"] == "firing"]

    def wait(self, what: str, check) -> object:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.query_handle is not None and not self.query_handle.isActive:
                raise AssertionError(f"the streaming query stopped: {self.query_handle.exception()}")
            got = check()
            if got:
                return got
            time.sleep(1)
        raise AssertionError(f"Prometheus never showed {what} within {WAIT_S}s")


def _status_cli(settings) -> tuple[int, dict]:
    """`cdclake status --json` as a person runs it: settings from the environment only."""
    env = dict(os.environ)
    env.update({
        "CDCLAKE_SOURCE__NAME": settings.source.name, "CDCLAKE_SOURCE__DATABASES": json.dumps(settings.source.databases),
        "CDCLAKE_SOURCE__SERVER_ID": str(settings.source.server_id), "CDCLAKE_METRICS__PORT": str(settings.metrics.port),
        "CDCLAKE_CONNECT__URL": settings.connect.url,
    })
    p = subprocess.run([sys.executable, "-c", "from cdc.cli import main; main()", "status", "--json"],
                       capture_output=True, text=True, env=env, timeout=120, check=False)
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


def test_prometheus_sees_changes_blocked_tables_and_a_stopped_connector(own_capture, spark, tmp_path):
    base = own_capture("watch", server_id=184097)
    m = base.metrics
    # The job's endpoint takes the port after the exporter's unless CDCLAKE_METRICS__PORT names one.
    metrics = MetricsSettings(port=m.port or m.exporter_port + 1, exporter_port=m.exporter_port, host=m.host)
    settings = base.model_copy(update={"metrics": metrics, "stack": base.stack.model_copy(update={"prometheus_scrape_interval_s": 2})})
    contracts_fn = fresh_tables(settings, [
        "CREATE TABLE watch.orders (id INT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(20))",
        "CREATE TABLE watch.items (id INT PRIMARY KEY, label VARCHAR(20))",
    ], tmp_path / "contracts")
    dbz.register(settings, contracts_fn())

    prometheus = PrometheusServer(settings)
    prometheus.ensure_installed(print)
    prometheus.down(print)  # a fresh database: an earlier run's samples (same series) would answer the queries below
    shutil.rmtree(prometheus.home / "data", ignore_errors=True)
    prometheus.configure(contracts_fn(), fast=True)
    prometheus.up(print)
    exporter_server = exporter.serve(settings)
    query, _ = stream.start(spark, settings, contracts_fn, trigger="continuous", interval="2 seconds")
    prom = Prom(prometheus.url, query)
    started = time.monotonic()
    try:
        applied = f'{M.CHANGES_APPLIED}{{table="watch.orders"}}'
        # -- changes flow: the applied count equals the changes made, and the commit time moves with them
        run_sql(settings, [*(f"INSERT INTO orders VALUES ({i}, {i}, 'n{i}')" for i in range(1, 6)),
                           "UPDATE orders SET qty = qty + 1 WHERE id <= 3", "INSERT INTO items VALUES (1, 'x')"])
        prom.wait("5 inserts + 3 updates of watch.orders applied", lambda: prom.value(applied) == 8)
        assert prom.value(f'{M.CHANGES_APPLIED}{{table="watch.items"}}') == 1
        first_commit = prom.value(f'{M.LAST_COMMIT_TS}{{table="watch.orders"}}')
        freshness = prom.value(f'{M.FRESHNESS}{{table="watch.orders"}}')
        assert first_commit and freshness is not None and freshness >= 0
        assert prom.value(f'{M.BLOCKED}{{table="watch.orders"}}') == 0
        prom.wait("the connector as running", lambda: prom.value(f'{M.CONNECTOR_RUNNING}{{connector="cdclake-watch"}}') == 1)
        # Spark posts the batch's progress (offsets, duration) to the listener after the batch function returns
        prom.wait("the batch's progress with no Kafka lag left", lambda: prom.value(f'sum({M.KAFKA_LAG}{{table="watch.orders"}})') == 0)
        assert prom.value(M.BATCHES) >= 1 and prom.value(M.BATCH_INPUT_ROWS) >= 1
        assert not prom.firing("CdcLakeTableBlocked") and not prom.firing("CdcLakeConnectorDown")
        code, healthy = _status_cli(settings)
        assert code == 0 and healthy["healthy"], healthy["attention"]
        assert {t["table"]: t["applied"] for t in healthy["job"]["tables"]} == {"watch.orders": 8, "watch.items": 1}

        time.sleep(1.1)  # a later commit second than the first round's (binlog commit times have second precision)
        run_sql(settings, ["UPDATE orders SET note = 'later' WHERE id = 5", "DELETE FROM orders WHERE id = 4"])
        prom.wait("two more changes applied", lambda: prom.value(applied) == 10)
        assert prom.value(f'{M.LAST_COMMIT_TS}{{table="watch.orders"}}') > first_commit

        # -- schema drift blocks orders: the metric, its alert and `cdclake status` say so
        run_sql(settings, ["ALTER TABLE orders ADD COLUMN extra INT NULL", "UPDATE orders SET extra = 1 WHERE id = 1"])
        prom.wait("watch.orders blocked", lambda: prom.value(f'{M.BLOCKED}{{table="watch.orders"}}') == 1)
        firing = prom.wait("CdcLakeTableBlocked firing", lambda: prom.firing("CdcLakeTableBlocked"))
        assert [a["table"] for a in firing] == ["watch.orders"]
        assert prom.value(applied) == 10 and prom.value(f'{M.DEAD_LETTERS_PENDING}{{table="watch.orders"}}') == 1
        code, blocked = _status_cli(settings)
        assert code == 1 and any("watch.orders is blocked" in a for a in blocked["attention"]), blocked["attention"]

        # -- Kafka Connect stops: the exporter says so and the connector alert fires
        devstack.down(settings, ["connect"], log=print)
        prom.wait("connect_up 0", lambda: prom.value(f'{M.CONNECT_UP}{{connector="cdclake-watch"}}') == 0)
        prom.wait("CdcLakeConnectorDown firing", lambda: prom.firing("CdcLakeConnectorDown"))
        print(f"observe e2e: {time.monotonic() - started:.0f}s from the first change to the connector alert")
    finally:
        query.stop()
        exporter_server.shutdown()
        devstack.up(settings, ["connect"], log=print)  # the next tests (and own_capture's reset) need it
        prometheus.down(print)
