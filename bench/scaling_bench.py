"""Benchmark (not a test): how the apply path's events/s scale with the events drained and with the tables.

Issue 14's scaling figures, on the stream's batch function (``spark_jobs.stream.make_batch_fn``:
decode, flags, history, current state; the default apply threads) with synthetic Debezium events
(``bench/apply_threads_bench.py``: 70% updates, 20% inserts, 10% deletes, warm keys) and the lake on
local files. Every batch holds ``--batch-events`` events, as a bounded trigger would deliver them.

- ``1x`` vs ``10x``: ``--events`` and ten times as many over ``--tables`` tables, each into a fresh
  lake: whether throughput holds as the histories and current states grow (clustering included);
- ``4`` vs ``50`` tables: the same ``--events`` spread over 4 and over 50 tables, fresh lakes: what
  each table of a batch costs on top of its events.
- with ``--defer-below N``, the two table counts again over ``--deferred-events`` with quiet tables holding their
  changes back (``CDCLAKE_SPARK__DEFER_BELOW=N``, spark_jobs/staging.py), the same setting in both runs; the
  closing drain (what the next job start or the freshness bound would apply) is counted.

Each run's first batch (table creation) is not counted; a pre-warm run loads the JVM's classes first.
Every lake is checked against the oracle (current state row for row, each change once in the
history) before a figure is printed. Kafka is not involved: ``make bench``'s ``ours_eps`` measures the
end-to-end drain, this one the apply path on its own.

    .venv/bin/python -m bench.scaling_bench --events 6000 --batch-events 2000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.apply_threads_bench import KAFKA_SCHEMA, Feed, _contract, check_lake


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=6000, help="events of the 1x run and of each table-count run")
    p.add_argument("--batch-events", type=int, default=2000, help="events per batch (spread evenly over the tables)")
    p.add_argument("--tables", type=int, default=8, help="tables of the 1x and 10x runs")
    p.add_argument("--few", type=int, default=4, help="tables of the narrow run")
    p.add_argument("--many", type=int, default=50, help="tables of the wide run")
    p.add_argument("--defer-below", type=int, default=0, help="also run few/many with this CDCLAKE_SPARK__DEFER_BELOW (0: not)")
    p.add_argument("--deferred-events", type=int, default=60000, help="events of each deferred run")
    a = p.parse_args()

    from cdc.settings import LakeSettings, Settings
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    work = Path(tempfile.mkdtemp(prefix="cdclake-scaling-bench-"))
    spark = build_session(Settings(lake=LakeSettings(root=(work / "x").as_uri())), "cdclake-scaling-bench", lambda m: None)

    def run(name: str, tables: int, events: int, *, check: bool = True, defer_below: int = 0) -> float:
        contracts = [_contract(i) for i in range(tables)]
        feed = Feed(contracts, seed=14)
        per_table = max(1, a.batch_events // tables)
        batches = 1 + max(1, events // (per_table * tables))  # the first creates the tables and is not counted
        root = (work / name).as_uri()
        process = make_batch_fn(contracts, root, BatchStats(), lambda m: None, defer_below=defer_below)
        seconds = 0.0
        for i in range(batches):
            df = spark.createDataFrame(feed.batch(per_table), KAFKA_SCHEMA)
            t0 = time.monotonic()
            process(df, i)
            if i:
                seconds += time.monotonic() - t0
            print(f"{name}: batch {i + 1}/{batches} {time.monotonic() - t0:.1f}s", flush=True)
        if defer_below:
            t0 = time.monotonic()
            process.drain(spark)
            seconds += time.monotonic() - t0
            print(f"{name}: closing drain {time.monotonic() - t0:.1f}s", flush=True)
        if check:
            files = check_lake(spark, contracts, feed, root, name)
            print(f"{name}: lake equals the oracle ({tables} tables, {files} history files)", flush=True)
        return per_table * tables * (batches - 1) / seconds

    try:
        run("prewarm", 4, 2 * a.batch_events, check=False)
        eps = {
            "1x": run("1x", a.tables, a.events),
            "10x": run("10x", a.tables, 10 * a.events),
            "few": run(f"{a.few}-tables", a.few, a.events),
            "many": run(f"{a.many}-tables", a.many, a.events),
        }
        print(
            f"SCALING events_1x={a.events} eps_1x={eps['1x']:.0f} eps_10x={eps['10x']:.0f} ratio_10x={eps['10x'] / eps['1x']:.2f} "
            f"tables_few={a.few} eps_few={eps['few']:.0f} tables_many={a.many} eps_many={eps['many']:.0f} "
            f"ratio_many={eps['many'] / eps['few']:.2f} batch_events={a.batch_events}"
        )
        if a.defer_below:
            few = run(f"{a.few}-tables-deferred", a.few, a.deferred_events, defer_below=a.defer_below)
            many = run(f"{a.many}-tables-deferred", a.many, a.deferred_events, defer_below=a.defer_below)
            print(
                f"SCALING_DEFERRED defer_below={a.defer_below} events={a.deferred_events} tables_few={a.few} eps_few={few:.0f} "
                f"tables_many={a.many} eps_many={many:.0f} ratio_many={many / few:.2f} batch_events={a.batch_events}"
            )
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
