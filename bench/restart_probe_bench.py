"""Benchmark (not a test): what a starting job pays to learn how far each table's history reaches.

A job that starts (or meets a topic for the first time) needs, per table, the highest Kafka offset its
history applied per partition and the greatest source position, to tell a replay from a forward
batch. They used to come from scanning the history (``history.applied_offsets`` and
``newest_position``: every row the table ever took); the stream now records them in each history
commit and ``history.applied_marks`` reads the newest one. This script grows one table's history
batch by batch (the stream's batch function, local Spark, lake on local files) and at each size times
both answers side by side, alternately, ``--repeats`` times each, after checking they agree.

    .venv/bin/python -m bench.restart_probe_bench --sizes 10000,100000,400000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.apply_threads_bench import KAFKA_SCHEMA, Feed, _contract


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000,400000", help="history sizes (changes) to time the probe at")
    p.add_argument("--batch", type=int, default=50000, help="changes per batch while the history grows")
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    sizes = sorted(int(s) for s in a.sizes.split(","))

    from cdc.settings import LakeSettings, Settings
    from spark_jobs import history
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    work = Path(tempfile.mkdtemp(prefix="cdclake-probe-bench-"))
    lake = (work / "lake").as_uri()
    spark = build_session(Settings(lake=LakeSettings(root=lake)), "cdclake-probe-bench", lambda m: None)
    contract = _contract(0)
    feed = Feed([contract], seed=7)
    fn = make_batch_fn([contract], lake, BatchStats(), lambda m: None)
    done, batch_id = 0, 0
    try:
        for size in sizes:
            while done < size:
                n = min(a.batch, size - done)
                fn(spark.createDataFrame(feed.batch(n), KAFKA_SCHEMA), batch_id)
                done, batch_id = done + n, batch_id + 1
            scan_s, marks_s = [], []
            for _ in range(a.repeats):
                t0 = time.monotonic()
                scanned = history.Marks(history.applied_offsets(spark, contract, lake), history.newest_position(spark, contract, lake))
                scan_s.append(time.monotonic() - t0)
                t0 = time.monotonic()
                marked = history.applied_marks(spark, contract, lake)
                marks_s.append(time.monotonic() - t0)
                if marked != scanned:
                    raise SystemExit(f"the recorded marks {marked} differ from the scan {scanned}")
            scan, marks = statistics.median(scan_s), statistics.median(marks_s)
            print(f"PROBE history_changes={done} batches={batch_id} scan_s={scan:.3f} marks_s={marks:.3f} ratio={scan / marks:.1f}", flush=True)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
