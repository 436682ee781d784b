"""What the metrics cost the job: the same available-now drain with metrics off and on, side by side.

On the real local stack: BENCH_METRICS_ROWS rows (default 20000) inserted into one table of an own source
and captured by Debezium; then the streaming job drains the topic from the earliest offset into a fresh lake
twice per round, once with metrics off (CDCLAKE_METRICS__PORT=0) and once on (endpoint served, listener
registered, a thread scraping the endpoint every 0.5 s), alternating which goes first. Prints rows/s of each
and the ratio; BENCH_METRICS_ROUNDS rounds (default 2). Run: `python -m bench.metrics_bench` (after `stack up`).
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import httpx

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.settings import LakeSettings, MetricsSettings, get_settings
from cdc.source import connect, reflect_contracts
from spark_jobs import stream
from spark_jobs.session import build_session

NAME = "mbench"


def _sql(settings, statements: list[str], database: str) -> None:
    with connect(settings, admin=True, autocommit=True, database=database) as conn, conn.cursor() as cur:
        for s in statements:
            cur.execute(s)


def _drain(spark, settings, contracts, scrape: bool) -> tuple[float, int]:
    pipeline.wipe_lake(settings)
    stop = threading.Event()
    scrapes = [0]

    def scraper() -> None:
        while not stop.is_set():
            try:
                httpx.get(f"http://{settings.metrics.host}:{settings.metrics.port}/metrics", timeout=2)
                scrapes[0] += 1
            except httpx.HTTPError:
                pass
            stop.wait(0.5)

    started = time.monotonic()
    query, stats = stream.start(spark, settings, contracts, trigger="available-now", log=lambda m: None)
    thread = threading.Thread(target=scraper, daemon=True)
    if scrape:
        thread.start()
    query.awaitTermination()
    elapsed = time.monotonic() - started
    stop.set()
    return elapsed, stats.records


def main() -> None:
    rows = int(os.environ.get("BENCH_METRICS_ROWS", "20000"))
    rounds = int(os.environ.get("BENCH_METRICS_ROUNDS", "2"))
    base = get_settings()
    run_dir = base.stack.state_dir / "bench-metrics"
    settings = base.model_copy(update={
        "source": base.source.model_copy(update={"name": NAME, "databases": [NAME], "server_id": 184099}),
        "lake": LakeSettings(root=(run_dir / "lake").resolve().as_uri(), checkpoint_root=(run_dir / "cp").resolve().as_uri()),
    })
    dbz.reset(settings, log=lambda m: None)
    _sql(settings, [f"DROP DATABASE IF EXISTS {NAME}", f"CREATE DATABASE {NAME}",
                    f"CREATE TABLE {NAME}.t (id INT PRIMARY KEY, qty INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(40))"], "mysql")
    for lo in range(0, rows, 1000):
        values = ", ".join(f"({i}, {i % 97}, {i}.25, 'note {i}')" for i in range(lo, min(lo + 1000, rows)))
        _sql(settings, [f"INSERT INTO t VALUES {values}"], NAME)
    contracts = reflect_contracts(settings, NAME, source=NAME)
    dbz.register(settings, contracts, log=lambda m: None)
    pipeline.drain_capture(settings, log=lambda m: None)
    spark = build_session(settings, "cdclake-metrics-bench")
    off = settings.model_copy(update={"metrics": MetricsSettings(port=0)})
    on = settings.model_copy(update={"metrics": MetricsSettings(port=base.metrics.exporter_port + 2)})
    figures: dict[str, list[float]] = {"off": [], "on": []}
    try:
        _drain(spark, off, contracts, scrape=False)  # warm-up: JIT, Hudi's first table creation
        for r in range(rounds):
            order = [("off", off), ("on", on)] if r % 2 == 0 else [("on", on), ("off", off)]
            for label, s in order:
                elapsed, n = _drain(spark, s, contracts, scrape=label == "on")
                assert n == rows, f"{label}: drained {n} of {rows} rows"
                figures[label].append(n / elapsed)
                print(f"round {r + 1} metrics {label}: {n} rows in {elapsed:.1f}s = {n / elapsed:.0f} rows/s", flush=True)
    finally:
        spark.stop()
        dbz.reset(settings, log=lambda m: None)
    off_rate, on_rate = statistics.median(figures["off"]), statistics.median(figures["on"])
    print(f"metrics off {off_rate:.0f} rows/s, on {on_rate:.0f} rows/s: on/off = {on_rate / off_rate:.3f} "
          f"(cost {100 * (1 - on_rate / off_rate):.1f}% of throughput; medians of {rounds} round(s))")


if __name__ == "__main__":
    main()
