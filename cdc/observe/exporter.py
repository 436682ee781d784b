"""`cdclake observe exporter`: the connector's state and binlog lag as Prometheus metrics.

Why an exporter in cdclake and not Debezium's JMX metrics through the Prometheus JMX agent: the figures
that matter (task state, bytes behind the source's binlog, a purged binlog the connector still needs)
come from the Connect REST API plus the source, which `cdclake capture status|gap` already read; JMX
would need a Java agent jar on every Connect worker, and it cannot see the source's side, nor a worker
that is down (the exporter reports that as cdclake_connect_up 0). On AWS, MSK Connect has neither a REST
API nor JMX: its own CloudWatch metrics replace this exporter (docs/observe.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from cdc import metric_names as M
from cdc.observe.connector import ConnectorState, connector_state
from cdc.settings import Settings


def families(st: ConnectorState) -> list[GaugeMetricFamily]:
    labels = ["connector"]
    up = GaugeMetricFamily(M.CONNECT_UP, "1 when the Kafka Connect REST API answers", labels=labels)
    up.add_metric([st.connector], 1 if st.connect_up else 0)
    out = [up]
    if st.connect_up:
        running = GaugeMetricFamily(M.CONNECTOR_RUNNING, "1 when the connector is registered and RUNNING", labels=labels)
        running.add_metric([st.connector], 1 if st.state == "RUNNING" else 0)
        tasks = GaugeMetricFamily(M.TASK_RUNNING, "1 per task in state RUNNING, 0 otherwise", labels=["connector", "task", "state"])
        for task, state in sorted(st.tasks.items()):
            tasks.add_metric([st.connector, task, state], 1 if state == "RUNNING" else 0)
        out += [running, tasks]
    for metric, value, doc in (
        (M.BINLOG_BYTES_BEHIND, st.bytes_behind, "bytes of the source's current binlog the connector has not read"),
        (M.BINLOG_FILES_BEHIND, st.files_behind, "binlog files the connector is behind the source"),
    ):
        if value is not None:
            g = GaugeMetricFamily(metric, doc, labels=labels)
            g.add_metric([st.connector], value)
            out.append(g)
    if st.connect_up and st.registered:
        gap = GaugeMetricFamily(M.BINLOG_GAP, "1 when the source purged binlogs the connector still needs", labels=labels)
        gap.add_metric([st.connector], 1 if st.gap else 0)
        out.append(gap)
    return out


# Reading the state takes seconds (Connect REST calls, two queries on the source): a thread refreshes it at this
# pace and a scrape serves the latest reading at once, so a short scrape timeout never turns slowness into "down".
REFRESH_S = 2.0


class ConnectorCollector(Collector):
    def __init__(self, settings: Settings, refresh_s: float = REFRESH_S) -> None:
        self.settings = settings
        self.refresh_s = refresh_s
        self.latest = connector_state(settings)
        self.stopped = threading.Event()
        threading.Thread(target=self._refresh, daemon=True, name="cdclake-exporter").start()

    def _refresh(self) -> None:
        while not self.stopped.wait(self.refresh_s):
            self.latest = connector_state(self.settings)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from families(self.latest)


def serve(settings: Settings, port: int | None = None):
    """Start the exporter's HTTP server in a background thread; returns the server (``shutdown()`` stops it)."""
    registry = CollectorRegistry(auto_describe=False)
    collector = ConnectorCollector(settings)
    registry.register(collector)
    server, _thread = start_http_server(port or settings.metrics.exporter_port, addr=settings.metrics.host, registry=registry)
    _shutdown = server.shutdown

    def shutdown() -> None:
        collector.stopped.set()
        _shutdown()

    server.shutdown = shutdown
    return server


def run_forever(settings: Settings, port: int | None = None) -> None:
    serve(settings, port)
    while True:
        time.sleep(3600)
