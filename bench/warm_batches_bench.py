"""Benchmark (not a test): how a long-running job's batches warm up, and which Spark jobs a warm batch runs.

The stream's batch function applies ``--batches`` synthetic batches (``--tables`` x ``--events``, the
mix of ``bench/apply_threads_bench.py``) to a lake on local files, 16 apply threads, and prints per
batch: the wall time, the driver JVM's CPU (from ``/proc``), the time its JIT compilers spent
(``CompilationMXBean``, summed over compiler threads, so it can exceed the wall time), GC time, the classes loaded,
Spark's generated-code compilations (Janino) and the Spark jobs it ran. ``--census`` adds the
last batch's jobs by Hudi's job description (what each Hudi write runs per table). The lake is
checked equal to the oracle at the end, so the figures come from a run that did all its work.

``JAVA_TOOL_OPTIONS`` reaches the driver JVM, so a JIT or GC flag is compared by two runs, one with
it and one without (not side by side: the flags are the JVM's own).

    .venv/bin/python -m bench.warm_batches_bench --batches 22
    JAVA_TOOL_OPTIONS=-XX:Tier4InvocationThreshold=20000 .venv/bin/python -m bench.warm_batches_bench
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.apply_threads_bench import KAFKA_SCHEMA, Feed, _contract, check_lake


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tables", type=int, default=12)
    p.add_argument("--events", type=int, default=500, help="events per table per batch")
    p.add_argument("--batches", type=int, default=8)
    p.add_argument("--warmup", type=int, default=3, help="batches left out of the averages")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--census", action="store_true", help="list the last batch's Spark jobs by description")
    p.add_argument("--buckets", type=int, default=0, help="write the current states with this many hash buckets (0: the simple index)")
    a = p.parse_args()

    from cdc.settings import LakeSettings, Settings
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    contracts = [_contract(i).model_copy(update={"buckets": a.buckets or None}) for i in range(a.tables)]
    feed = Feed(contracts, seed=14)
    batches = [feed.batch(a.events) for _ in range(a.batches)]
    work = Path(tempfile.mkdtemp(prefix="cdclake-warm-bench-"))
    spark = build_session(Settings(lake=LakeSettings(root=(work / "x").as_uri())), "cdclake-warm-bench", lambda m: None)
    jvm = spark._jvm
    codegen = jvm.org.apache.spark.metrics.source.CodegenMetrics
    mx = jvm.java.lang.management.ManagementFactory
    compiler = mx.getCompilationMXBean()
    classes = mx.getClassLoadingMXBean()
    pid = jvm.java.lang.ProcessHandle.current().pid()
    store = spark.sparkContext._jsc.sc().statusStore()
    tracker = spark.sparkContext.statusTracker()
    tick = os.sysconf("SC_CLK_TCK")

    def sample() -> dict[str, float]:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return {
            "cpu_s": (int(stat[11]) + int(stat[12])) / tick,
            "jit_s": compiler.getTotalCompilationTime() / 1000,
            "gc_s": sum(b.getCollectionTime() for b in mx.getGarbageCollectorMXBeans()) / 1000,
            # Classes loaded in the batch: code that is new to the JVM must be compiled again, however warm it is.
            "classes": classes.getTotalLoadedClassCount(),
            "janino": codegen.METRIC_COMPILATION_TIME().getCount(),
            # Job ids run in submission order; the tracker keeps the last spark.ui.retainedJobs of them.
            "jobs": max(tracker.getJobIdsForGroup(None), default=-1) + 1,
        }

    fn = make_batch_fn(contracts, (work / "lake").as_uri(), BatchStats(), lambda m: None, threads=a.threads)
    counted: list[dict[str, float]] = []
    try:
        for i, records in enumerate(batches):
            df = spark.createDataFrame(records, KAFKA_SCHEMA).repartition(a.tables, "topic")
            before, t0 = sample(), time.monotonic()
            fn(df, i)
            row = {"wall_s": time.monotonic() - t0, **{k: v - before[k] for k, v in sample().items()}}
            print(f"batch {i}: " + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
            if i >= a.warmup:
                counted.append(row)
        if a.census:
            jobs = store.jobsList(None)
            census = collections.Counter(
                ":".join(str(jobs.apply(k).description().get()).split(":")[:2]) if jobs.apply(k).description().isDefined() else jobs.apply(k).name()
                for k in range(jobs.size())
            )
            for what, n in census.most_common():
                print(f"job {n:4d} {what}")
        check_lake(spark, contracts, feed, (work / "lake").as_uri(), "warm")
        avg = {k: sum(r[k] for r in counted) / len(counted) for k in counted[0]} if counted else {}
        print(
            f"WARM tables={a.tables} events={a.events} batches={a.batches} counted={len(counted)} "
            + " ".join(f"{k}={v:.2f}" for k, v in avg.items())
            + f" last_wall_s={row['wall_s']:.2f} buckets={a.buckets} java_tool_options={os.environ.get('JAVA_TOOL_OPTIONS', '-').replace(' ', ',')}"
        )
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
