"""Benchmark (not a test): the driver's heap while the apply path takes a million events in bounded batches.

Issue 14 asks for a peak driver heap of at most 2 GB at 1M events. This feeds ``--events`` synthetic
Debezium events (the mix of ``bench/apply_threads_bench.py``: 70% updates, 20% inserts, 10% deletes
on a growing key set) over ``--tables`` tables, ``--batch-events`` per batch (the job's default bound,
``spark_jobs.stream.DEFAULT_MAX_OFFSETS_PER_TRIGGER``), to the stream's batch function on local Spark
with the lake on local files, and samples the driver JVM's heap throughout. Run it in the driver size
under test (``CDCLAKE_SPARK__DRIVER_MEMORY=2g``; ``make bench-heap`` does): a run that finishes in a
2 GB driver shows the job needs no more, and the figures say how close it came. The lake is then
checked equal to the oracle (current state row for row, history each change once), so a run that
dropped work voids its figures. Results: the last line, and ``bench/results/heap-<time>.json``.

    CDCLAKE_SPARK__DRIVER_MEMORY=2g .venv/bin/python -m bench.heap_bench --events 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from bench.apply_threads_bench import KAFKA_SCHEMA, Feed, _contract, check_lake
from bench.run import RESULTS, HeapSampler, log


def main() -> None:
    from spark_jobs.stream import DEFAULT_MAX_OFFSETS_PER_TRIGGER

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--batch-events", type=int, default=DEFAULT_MAX_OFFSETS_PER_TRIGGER)
    p.add_argument("--tables", type=int, default=12)
    p.add_argument("--threads", type=int, default=0, help="apply threads (default: the job's)")
    a = p.parse_args()
    if a.events < a.tables or a.batch_events < a.tables:
        p.error("--events and --batch-events must be at least --tables (every batch touches every table)")

    from cdc.settings import LakeSettings, Settings
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    settings = Settings()
    contracts = [_contract(i) for i in range(a.tables)]
    feed = Feed(contracts, seed=14)
    work = Path(tempfile.mkdtemp(prefix="cdclake-heap-bench-"))
    settings = settings.model_copy(update={"lake": LakeSettings(root=(work / "x").as_uri())})
    spark = build_session(settings, "cdclake-heap-bench", lambda m: None)
    threads = a.threads or settings.spark.apply_threads
    root = (work / "lake").as_uri()
    fn = make_batch_fn(contracts, root, BatchStats(), lambda m: None, threads=threads)
    per_table = a.batch_events // a.tables
    batches = -(-a.events // (per_table * a.tables))
    heap = HeapSampler(spark)
    heap.start()
    applied, apply_s = 0, 0.0
    try:
        for i in range(batches):
            n = min(per_table, -(-(a.events - applied) // a.tables))
            df = spark.createDataFrame(feed.batch(n), KAFKA_SCHEMA)
            t0 = time.monotonic()
            fn(df, i)
            apply_s += time.monotonic() - t0
            applied += n * a.tables
            log(f"batch {i + 1}/{batches}: {applied} events applied, {time.monotonic() - t0:.1f}s; "
                f"heap so far: sampled {heap.peak_used / 2**20:.0f} MB, after GC {heap.peak_after_gc / 2**20:.0f} MB")
        sampled, pools = heap.peak_mb()
        after_gc = round(heap.peak_after_gc / 2**20, 1)
        check_lake(spark, contracts, feed, root, "heap bench")
        result = {
            "finished_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": {"platform": platform.platform(), "spark_master": spark.sparkContext.master,
                        "driver_memory": settings.spark.driver_memory},
            "events": applied, "batches": batches, "batch_events": per_table * a.tables, "tables": a.tables,
            "threads": threads, "apply_s": round(apply_s, 1), "eps": round(applied / apply_s, 1),
            "heap_sampled_mb": sampled, "heap_pools_mb": pools, "heap_after_gc_mb": after_gc,
            "checked": "current state = oracle, history holds each change once",
        }
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"heap-{result['finished_at'].replace(':', '')}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(
            f"HEAP events={applied} batches={batches} tables={a.tables} driver_memory={settings.spark.driver_memory} "
            f"heap_sampled_mb={sampled} heap_pools_mb={pools} heap_after_gc_mb={after_gc} eps={applied / apply_s:.1f}",
            flush=True,
        )
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
