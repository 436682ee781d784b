"""What the running job knows, as metrics: Prometheus text on a driver port, and CloudWatch on AWS.

Nothing here touches rows. The batch function (spark_jobs/stream.py) reports the aggregates it already
computes (changes per table, the newest commit time, dead letters per topic, blocked tables); a
StreamingQueryListener reports Spark's own progress (duration, input rows, rows/s, and the Kafka
source's end vs latest offsets per partition). A scrape reads a snapshot under a lock; freshness is
computed at scrape time, so it keeps growing while nothing is applied.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from pyspark.sql.streaming import StreamingQueryListener

from cdc import metric_names as M
from cdc.log import Log
from cdc.settings import Settings


def table_of_topic(topic: str) -> str:
    """<source>.<database>.<table> -> <database>.<table>: the label the dead-letter table and the contracts use."""
    return topic.split(".", 1)[1] if "." in topic else topic


@dataclass
class TableView:
    applied: int = 0
    last_commit_ts: float | None = None
    batch_lag_s: float | None = None
    blocked: bool = False
    dead_pending: int = 0
    dead_written: int = 0


@dataclass
class JobView:
    """The job's state as the metrics show it; every method is cheap and thread-safe (scrapes run beside batches)."""

    tables: dict[str, TableView] = field(default_factory=dict)
    batches: int = 0
    batch_duration_s: float | None = None
    batch_input_rows: int | None = None
    batch_rows_per_s: float | None = None
    last_batch_ts: float | None = None
    last_progress_ts: float | None = None
    kafka_lag: dict[tuple[str, int], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _table(self, table: str) -> TableView:
        return self.tables.setdefault(table, TableView())

    # -- from the batch function
    def applied(self, table: str, n: int, newest_commit_ts: float | None, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.lock:
            t = self._table(table)
            t.applied += n
            if newest_commit_ts is not None:
                t.last_commit_ts = max(newest_commit_ts, t.last_commit_ts or newest_commit_ts)
                t.batch_lag_s = max(now - newest_commit_ts, 0.0)

    def dead_lettered(self, table: str, n: int) -> None:
        with self.lock:
            t = self._table(table)
            t.dead_pending += n
            t.dead_written += n

    def pending(self, table: str, n: int) -> None:
        """The table's pending dead letters as the dead-letter table says (job start, after a replay)."""
        with self.lock:
            self._table(table).dead_pending = n

    def blocked_tables(self, blocked: set[str], known: set[str]) -> None:
        with self.lock:
            for table in known | blocked:
                self._table(table).blocked = table in blocked

    # -- from the listener
    def progress(self, duration_s: float, input_rows: int, rows_per_s: float, lag: dict[tuple[str, int], int], now: float) -> None:
        with self.lock:
            self.last_progress_ts = now
            self.kafka_lag.update(lag)
            if input_rows:
                self.batches += 1
                self.batch_duration_s = duration_s
                self.batch_input_rows = input_rows
                self.batch_rows_per_s = rows_per_s
                self.last_batch_ts = now

    def idle(self, now: float) -> None:
        with self.lock:
            self.last_progress_ts = now

    # -- for the endpoints
    def families(self, now: float | None = None) -> list[GaugeMetricFamily | CounterMetricFamily]:
        now = time.time() if now is None else now
        with self.lock:
            applied = CounterMetricFamily(M.CHANGES_APPLIED.removesuffix("_total"), "changes written to the lake", labels=["table"])
            dead = CounterMetricFamily(M.DEAD_LETTERS.removesuffix("_total"), "dead letters written by this run", labels=["table"])
            last = GaugeMetricFamily(M.LAST_COMMIT_TS, "newest source commit time applied (epoch seconds)", labels=["table"])
            fresh = GaugeMetricFamily(M.FRESHNESS, "now minus the newest source commit time applied", labels=["table"])
            blag = GaugeMetricFamily(M.BATCH_LAG, "apply time minus the newest commit time of the table's last batch", labels=["table"])
            blocked = GaugeMetricFamily(M.BLOCKED, "1 while the table is blocked (schema drift, no contract)", labels=["table"])
            pending = GaugeMetricFamily(M.DEAD_LETTERS_PENDING, "pending dead letters of the table", labels=["table"])
            for name, t in sorted(self.tables.items()):
                applied.add_metric([name], t.applied)
                dead.add_metric([name], t.dead_written)
                blocked.add_metric([name], 1 if t.blocked else 0)
                pending.add_metric([name], t.dead_pending)
                if t.last_commit_ts is not None:
                    last.add_metric([name], t.last_commit_ts)
                    fresh.add_metric([name], max(now - t.last_commit_ts, 0.0))
                if t.batch_lag_s is not None:
                    blag.add_metric([name], t.batch_lag_s)
            out: list[GaugeMetricFamily | CounterMetricFamily] = [applied, dead, last, fresh, blag, blocked, pending]
            out.append(CounterMetricFamily(M.BATCHES.removesuffix("_total"), "micro-batches with input", value=self.batches))
            for metric, value, doc in (
                (M.BATCH_DURATION, self.batch_duration_s, "duration of the last batch with input"),
                (M.BATCH_INPUT_ROWS, self.batch_input_rows, "input rows of the last batch with input"),
                (M.BATCH_ROWS_PER_SECOND, self.batch_rows_per_s, "processed rows per second of the last batch with input"),
                (M.LAST_BATCH_TS, self.last_batch_ts, "end of the last batch with input (epoch seconds)"),
                (M.LAST_PROGRESS_TS, self.last_progress_ts, "last progress or idle event of the query (epoch seconds)"),
            ):
                if value is not None:
                    out.append(GaugeMetricFamily(metric, doc, value=value))
            lag = GaugeMetricFamily(M.KAFKA_LAG, "topic end offset minus the job's end offset", labels=["topic", "partition", "table"])
            for (topic, part), n in sorted(self.kafka_lag.items()):
                lag.add_metric([topic, str(part), table_of_topic(topic)], n)
            out.append(lag)
            return out

    def cloudwatch_data(self, now: float | None = None) -> list[dict]:
        """The same figures as CloudWatch MetricData (per-table ones with a Table dimension)."""
        data: list[dict] = []
        for fam in self.families(now):
            if fam.name in (M.KAFKA_LAG,):
                by_table: dict[str, float] = {}
                for s in fam.samples:
                    by_table[s.labels["table"]] = by_table.get(s.labels["table"], 0) + s.value
                samples = [({"table": t}, v) for t, v in sorted(by_table.items())]
            else:
                samples = [(s.labels, s.value) for s in fam.samples if not s.name.endswith("_created")]
            base = fam.name + ("_total" if fam.type == "counter" else "")
            for labels, value in samples:
                dims = [{"Name": "Table", "Value": labels["table"]}] if "table" in labels else []
                data.append({"MetricName": M.cloudwatch_name(base), "Dimensions": dims, "Value": float(value)})
        return data


class _ViewCollector(Collector):
    def __init__(self) -> None:
        self.view = JobView()

    def collect(self) -> Iterator:
        yield from self.view.families()


_served: dict[int, _ViewCollector] = {}


def serve(view: JobView, host: str, port: int, log: Log = print) -> None:
    """Serve ``view`` on http://host:port/metrics; a later job in the same driver takes the port over."""
    collector = _served.get(port)
    if collector is None:
        collector = _ViewCollector()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        start_http_server(port, addr=host, registry=registry)
        _served[port] = collector
        log(f"metrics on http://{host}:{port}/metrics")
    collector.view = view


def kafka_lag(end_offset: str | None, latest_offset: str | None) -> dict[tuple[str, int], int]:
    """Per topic partition: latest minus end offset, from a Kafka source progress' offset JSON."""
    if not end_offset or not latest_offset:
        return {}
    end, latest = json.loads(end_offset), json.loads(latest_offset)
    lag: dict[tuple[str, int], int] = {}
    for topic, parts in latest.items():
        for part, hi in parts.items():
            lag[(topic, int(part))] = max(int(hi) - int(end.get(topic, {}).get(part, 0)), 0)
    return lag


class ProgressListener(StreamingQueryListener):
    """Feeds Spark's progress of one query (by id) into a JobView."""

    def __init__(self, view: JobView, query_name: str) -> None:
        self.view = view
        self.query_name = query_name

    def onQueryStarted(self, event) -> None:
        pass

    def onQueryProgress(self, event) -> None:
        p = event.progress
        if p.name != self.query_name:
            return
        lag: dict[tuple[str, int], int] = {}
        for s in p.sources:
            lag.update(kafka_lag(s.endOffset, s.latestOffset))
        rows = int(p.numInputRows or 0)
        duration = (p.batchDuration or 0) / 1000.0
        rate = float(p.processedRowsPerSecond or 0.0)
        self.view.progress(duration, rows, rate, lag, time.time())

    def onQueryIdle(self, event) -> None:
        self.view.idle(time.time())

    def onQueryTerminated(self, event) -> None:
        pass


class CloudWatchPublisher:
    """put_metric_data of a JobView's figures after each batch (20 data per call: the API's long-standing limit)."""

    def __init__(self, namespace: str, region: str, client=None) -> None:
        import boto3

        self.namespace = namespace
        self.client = client or boto3.client("cloudwatch", region_name=region)

    def publish(self, view: JobView) -> int:
        data = view.cloudwatch_data()
        for i in range(0, len(data), 20):
            self.client.put_metric_data(Namespace=self.namespace, MetricData=data[i : i + 20])
        return len(data)


@dataclass
class Observer:
    """What the batch function calls; ``after_batch`` publishes to CloudWatch when the settings ask for it."""

    view: JobView = field(default_factory=JobView)
    cloudwatch: CloudWatchPublisher | None = None
    log: Log = print

    def after_batch(self) -> None:
        if self.cloudwatch is not None:
            try:
                self.cloudwatch.publish(self.view)
            except Exception as exc:  # noqa: BLE001 - a metrics outage must not stop replication
                self.log(f"CloudWatch metrics not published ({type(exc).__name__}: {exc}); replication goes on")


def observer(settings: Settings, spark, query_name: str, log: Log = print) -> Observer:
    """The job's Observer: serves Prometheus when metrics.port is set, publishes to CloudWatch when a namespace is."""
    m = settings.metrics
    obs = Observer(log=log)
    if m.cloudwatch_namespace:
        obs.cloudwatch = CloudWatchPublisher(m.cloudwatch_namespace, settings.access.region)
    if m.port or m.cloudwatch_namespace:
        spark.streams.addListener(ProgressListener(obs.view, query_name))
    if m.port:
        serve(obs.view, m.host, m.port, log)
    return obs
