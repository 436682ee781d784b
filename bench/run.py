"""`make bench`: our apply path side by side with the engine's ceiling and a HoodieStreamer-style peer.

Every figure comes from one run against the real local stack, on the same Kafka topics:

- snapshot: connector registration -> initial snapshot in Kafka -> our job applied it -> reconcile equal
  (reconcile itself is the check, not part of the time);
- workload: BENCH_EVENTS row changes (70% updates on hot keys, 20% inserts, 10% deletes) written in
  bulk multi-row statements to MariaDB and captured by Debezium;
- ours: our streaming job (decode, drift checks, PII, change history, current state, dead letters)
  draining every topic from the earliest offset into a fresh lake, available-now;
- ceiling: the same topics appended as Parquet by Structured Streaming in the same session;
- peer: HoodieStreamer's write path (its hudi-utilities bundle is not served here): one Spark
  datasource upsert per table per batch, Debezium envelope flattened by Spark SQL, same Hudi options,
  no change history, no drift/dead-letter bookkeeping;
- freshness: a steady source rate into the running job (its default trigger); per change, the time
  from its source commit (``_cdc_commit_ts``) to the completion of the current-state commit that holds it;
- driver heap: the peak of the driver JVM's heap pools over the whole run.

Each lake is reconciled with the source row for row; a difference fails the run.
Knobs (environment): BENCH_EVENTS, BENCH_WIDE_COLUMNS, BENCH_WIDE_ROWS, BENCH_FRESH_RATE, BENCH_FRESH_SECONDS,
BENCH_TRIGGER (processing-time interval for freshness; default: the job's), BENCH_MAX_OFFSETS,
BENCH_CHINOOK_TABLES (a subset of the Chinook tables by lake name; default all 11),
BENCH_BUCKETS (``draft``, the default: each contract gets the bucket count `cdclake contracts init` drafts
for its source table's size, as a newly registered table does; ``packaged``: the packaged contracts as they are).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import threading
import time
from pathlib import Path

from bench.workload import BulkWorkload, wide_contract_yaml, wide_ddl

RESULTS = Path(__file__).resolve().parent / "results"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class HeapSampler(threading.Thread):
    """Peak driver heap: the JVM's own per-pool peak counters, reset at start, read at the end."""

    def __init__(self, spark) -> None:
        super().__init__(daemon=True)
        self.mf = spark.sparkContext._jvm.java.lang.management.ManagementFactory
        for pool in self.mf.getMemoryPoolMXBeans():
            pool.resetPeakUsage()
        self.peak_used = 0
        # What the heap held right after a collection: the live set plus what G1 chose not to collect,
        # a far tighter bound on what the job needs than the used heap, which includes garbage.
        self.peak_after_gc = 0
        self.stop_flag = threading.Event()

    def run(self) -> None:
        mem = self.mf.getMemoryMXBean()
        heap_pools = [p for p in self.mf.getMemoryPoolMXBeans() if str(p.getType()) == "Heap memory"]
        while not self.stop_flag.wait(0.5):
            try:
                self.peak_used = max(self.peak_used, mem.getHeapMemoryUsage().getUsed())
                self.peak_after_gc = max(self.peak_after_gc, sum(p.getCollectionUsage().getUsed() for p in heap_pools if p.getCollectionUsage()))
            except Exception:  # noqa: BLE001 - the JVM is gone (the main thread reports why)
                return

    def peak_mb(self) -> float:
        self.stop_flag.set()
        pools = sum(p.getPeakUsage().getUsed() for p in self.mf.getMemoryPoolMXBeans() if str(p.getType()) == "Heap memory")
        # The per-pool peaks are not simultaneous, so their sum bounds the peak from above; the sampled total from below.
        return round(max(self.peak_used, 0) / 2**20, 1), round(pools / 2**20, 1)


def consumed(query) -> int:
    """Sum of the end offsets of the query's last finished batch (its Kafka source)."""
    p = query.lastProgress
    if not p:
        return 0
    total = 0
    for src in p["sources"]:
        end = src.get("endOffset") or {}
        end = json.loads(end) if isinstance(end, str) else end
        total += sum(int(o) for parts in end.values() for o in parts.values())
    return total


def topic_records(settings, topics: list[str], *, high_only: bool = False) -> int:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": "cdclake-bench-count"})
    total = 0
    try:
        for t in topics:
            md = c.list_topics(t, timeout=10).topics[t]
            for p in md.partitions:
                lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                total += hi if high_only else hi - lo
    finally:
        c.close()
    return total


def lake_settings(settings, name: str):
    from cdc.settings import LakeSettings

    base = settings.stack.state_dir / "bench" / name
    shutil.rmtree(base, ignore_errors=True)
    return settings.model_copy(update={"lake": LakeSettings(root=(base / "lake").resolve().as_uri(),
                                                            checkpoint_root=(base / "checkpoints").resolve().as_uri())})


def reconcile_equal(spark, settings, contracts, label: str) -> int:
    from spark_jobs.reconcile import reconcile

    diffs = reconcile(spark, settings, contracts)
    bad = [d for d in diffs if not d.equal]
    for d in bad:
        log(f"{label}: DIFF {d.summary()}")
    if bad:
        raise SystemExit(f"bench: the {label} lake differs from the source in {len(bad)} table(s); figures are void")
    rows = sum(d.source_rows for d in diffs)
    log(f"{label}: reconcile equal, {len(diffs)} table(s), {rows} row(s)")
    return rows


def kafka_reader(spark, settings, contracts, max_offsets: int | None):
    from spark_jobs.stream import topic_pattern

    r = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", settings.kafka.bootstrap_servers)
         .option("subscribePattern", topic_pattern(contracts)).option("startingOffsets", "earliest")
         .option("failOnDataLoss", "true"))
    return r.option("maxOffsetsPerTrigger", str(max_offsets)) if max_offsets else r


PROFILE: dict[str, float] = {}


def profiled(module, name: str, label: str) -> None:
    """Wrap ``module.name`` so its time adds up in PROFILE[label] (where a batch's time goes)."""
    inner = getattr(module, name)

    def timed(*a, **kw):
        t = time.monotonic()
        try:
            return inner(*a, **kw)
        finally:
            PROFILE[label] = PROFILE.get(label, 0.0) + time.monotonic() - t

    setattr(module, name, timed)


def install_profile() -> None:
    from spark_jobs import apply, history, stream

    profiled(history, "write_history", "history_write_s")
    profiled(apply, "write_table", "current_write_s")
    profiled(stream, "apply_table", "apply_table_s")
    profiled(stream.JobState, "rereads", "replay_probe_s")


def run_ours(spark, settings, contracts, max_offsets) -> tuple[float, object]:
    from spark_jobs import stream

    PROFILE.clear()
    t0 = time.monotonic()
    query, stats = stream.start(spark, settings, contracts, trigger="available-now", max_offsets_per_trigger=max_offsets,
                                log=lambda m: log(f"ours: {m}"))
    query.awaitTermination()
    if query.exception():
        raise query.exception()
    return time.monotonic() - t0, stats


def run_ceiling(spark, settings, contracts, max_offsets) -> tuple[float, int]:
    out = settings.lake_root.rstrip("/") + "/ceiling-parquet"
    t0 = time.monotonic()
    q = (kafka_reader(spark, settings, contracts, max_offsets).load().writeStream.format("parquet")
         .option("path", out).option("checkpointLocation", settings.checkpoint_root.rstrip("/") + "/ceiling")
         .trigger(availableNow=True).start())
    q.awaitTermination()
    elapsed = time.monotonic() - t0
    return elapsed, spark.read.parquet(out).count()


def peer_batch_fn(contracts, lake_root: str, log_fn, pii_key=None):
    """HoodieStreamer's write path, per table: flatten the envelope with SQL, upsert once. No history."""
    from pyspark.sql import functions as F

    from spark_jobs import pii
    from spark_jobs.decode import ERROR_COLUMN, decode_records
    from spark_jobs.upsert import latest_per_key, write_table

    by_topic = {c.topic(): c for c in contracts}

    def process(batch, batch_id: int) -> None:
        batch = batch.where(F.col("value").isNotNull()).persist()
        topics = [r["topic"] for r in batch.select("topic").distinct().collect()]
        for topic in sorted(topics):
            c = by_topic[topic]
            rows = decode_records(batch.where(F.col("topic") == topic), c)
            rows = rows.where(F.col(ERROR_COLUMN).isNull()).drop(ERROR_COLUMN, "_kafka_key", "_kafka_value")
            rows = rows.where(F.col("_cdc_op") != F.lit("t"))
            write_table(latest_per_key(pii.protect(rows, c, pii_key), c), c, lake_root, batch_id=batch_id)
        batch.unpersist()
        log_fn(f"batch {batch_id}: {len(topics)} table(s)")

    return process


def run_peer(spark, settings, contracts, max_offsets) -> float:
    from spark_jobs import pii

    t0 = time.monotonic()
    q = (kafka_reader(spark, settings, contracts, max_offsets).load().writeStream
         .option("checkpointLocation", settings.checkpoint_root.rstrip("/") + "/peer")
         .foreachBatch(peer_batch_fn(contracts, settings.lake_root, lambda m: log(f"peer: {m}"), pii.key_source(settings)))
         .trigger(availableNow=True).start())
    q.awaitTermination()
    if q.exception():
        raise q.exception()
    return time.monotonic() - t0


def commit_completions(table_dir: Path) -> dict[str, tuple[str | None, float]]:
    """instant -> (batch id from the commit metadata, completion time = the completed commit file's mtime)."""
    out = {}
    for f in (table_dir / ".hoodie").glob("*.commit"):
        meta = json.loads(f.read_text() or "{}").get("extraMetadata", {})
        out[f.name.split(".")[0]] = (meta.get("_cdclake_batch_id"), f.stat().st_mtime)
    return out


def freshness_samples(spark, settings, contracts, since: dt.datetime) -> list[tuple[float, int]]:
    """(seconds from source commit to visible in the current-state table, changes) over every change since ``since``."""
    from urllib.parse import urlparse

    from pyspark.sql import functions as F

    samples: list[tuple[float, int]] = []
    for c in contracts:
        hist_dir = Path(urlparse(c.history_path(settings.lake_root)).path)
        cur_dir = Path(urlparse(c.table_path(settings.lake_root)).path)
        if not (hist_dir / ".hoodie").is_dir():
            continue
        visible_at = {b: t for b, t in commit_completions(cur_dir).values() if b is not None}
        hist_batch = {i: b for i, (b, _) in commit_completions(hist_dir).items()}
        rows = (spark.read.format("hudi").load(c.history_path(settings.lake_root))
                .where(F.col("_cdc_commit_ts") >= F.lit(since.strftime("%Y-%m-%d %H:%M:%S")).cast("timestamp")).where(~F.col("_cdc_snapshot"))
                .groupBy("_hoodie_commit_time", F.unix_timestamp("_cdc_commit_ts").alias("ts")).count().collect())
        for r in rows:
            b = hist_batch.get(r["_hoodie_commit_time"])
            if b in visible_at:
                samples.append((visible_at[b] - r["ts"], r["count"]))
    return samples


def percentile(samples: list[tuple[float, int]], q: float) -> float:
    total = sum(n for _, n in samples)
    if not total:
        return float("nan")
    target, acc = q * total, 0
    for v, n in sorted(samples):
        acc += n
        if acc >= target:
            return round(v, 2)
    return round(max(v for v, _ in samples), 2)


def run_freshness(spark, settings, contracts, workload, rate: float, seconds: float, trigger: str | None) -> dict:
    from cdc.devstack.pipeline import drain_capture
    from spark_jobs import stream

    since = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    kw = {"interval": trigger} if trigger else {}
    query, stats = stream.start(spark, settings, contracts, trigger="continuous", log=lambda m: log(f"fresh: {m}"), **kw)
    before = workload.result.changes
    workload.steady(rate, seconds)
    made = workload.result.changes - before
    drain_capture(settings, log=lambda m: None)
    # Wait until the job has read every record Kafka holds and a batch after it finished.
    target = topic_records(settings, [c.topic() for c in contracts], high_only=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and consumed(query) < target:
        if query.exception():
            raise query.exception()
        time.sleep(1)
    query.processAllAvailable()
    query.stop()
    samples = freshness_samples(spark, settings, contracts, since)
    return {"rate_per_s": rate, "seconds": seconds, "changes": made, "trigger": trigger or "job default",
            "samples": sum(n for _, n in samples), "p50_s": percentile(samples, 0.5), "p99_s": percentile(samples, 0.99),
            "batches": stats.batches}


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = ["ours", "ceiling", "peer", "snapshot"]
    vals = [result["ours_eps"], result["ceiling_eps"], result["peer_eps"], result["snapshot_rps"]]
    bars = a.bar(names, vals, color=["#1f77b4", "#7f7f7f", "#ff7f0e", "#2ca02c"])
    a.bar_label(bars, fmt="%.0f")
    a.set_ylabel("events (rows) per second")
    a.set_title(f"{result['events']} events, {result['tables']} tables")
    f = result["freshness"]
    b.bar(["p50", "p99"], [f["p50_s"], f["p99_s"]], color="#9467bd")
    b.set_ylabel("seconds, source commit -> visible")
    b.set_title(f"freshness at {f['rate_per_s']:.0f} changes/s ({f['trigger']})")
    fig.suptitle(f"cdclake bench {result['finished_at']} on {result['machine']['cpus']} CPUs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    from cdc import devstack as stack
    from cdc.capture import debezium as dbz
    from cdc.devstack.pipeline import drain_capture
    from cdc.devstack.sample import chinook_sql_path, load_sql_file
    from cdc.settings import Settings
    from cdc.source import connect, table_bytes
    from lakehouse_schemas.contract import TableContract, load_contracts
    from spark_jobs.session import build_session

    n_events = env_int("BENCH_EVENTS", 20000)
    wide_cols, wide_rows = env_int("BENCH_WIDE_COLUMNS", 60), env_int("BENCH_WIDE_ROWS", 2000)
    rate, fresh_s = float(os.environ.get("BENCH_FRESH_RATE", "200")), float(os.environ.get("BENCH_FRESH_SECONDS", "120"))
    trigger = os.environ.get("BENCH_TRIGGER") or None
    max_offsets = env_int("BENCH_MAX_OFFSETS", 0) or None
    # A subset of the Chinook tables by lake name (comma-separated), for a shorter run on a busy machine.
    only = {t for t in os.environ.get("BENCH_CHINOOK_TABLES", "").split(",") if t}
    started = time.monotonic()

    base = Settings()
    stack.up(base, log=log)
    # Contracts: the packaged Chinook ones plus a synthetic wide table, in a folder of the bench's own.
    cdir = base.stack.state_dir / "bench" / "contracts"
    shutil.rmtree(cdir, ignore_errors=True)
    (cdir / "chinook").mkdir(parents=True)
    for c in load_contracts("chinook"):
        (cdir / "chinook" / f"{c.target_table}.yaml").write_text(c.to_yaml())
    db = load_contracts("chinook")[0].database
    if only:
        for f in (cdir / "chinook").glob("*.yaml"):
            if f.stem not in only:
                f.unlink()
    (cdir / "chinook" / "bench_wide.yaml").write_text(wide_contract_yaml(db, wide_cols))
    settings = base.model_copy(update={"contracts_dir": cdir})
    contracts = load_contracts("chinook", directory=cdir / "chinook")
    wide = next(c for c in contracts if c.table == "BenchWide")
    topics = [c.topic() for c in contracts]

    install_profile()
    spark = build_session(settings, "cdclake-bench", log)
    heap = HeapSampler(spark)
    heap.start()

    # -- source: Chinook + the wide table; capture from scratch ------------------------------------
    dbz.reset(settings, log=log)
    load_sql_file(settings, chinook_sql_path(), log=log)
    wl = BulkWorkload(settings, contracts)
    with connect(settings, admin=True, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS `{wide.database}`.`{wide.table}`")
        cur.execute(wide_ddl(wide))
        while len(wl.keys.get(wide.table, [])) < wide_rows:
            wl.statement(cur, wide, "insert", min(500, wide_rows - len(wl.keys.get(wide.table, []))))
        conn.commit()
    wl.result.rows.clear()
    buckets_mode = os.environ.get("BENCH_BUCKETS", "draft")
    if buckets_mode not in ("draft", "packaged"):
        raise SystemExit(f"bench: BENCH_BUCKETS={buckets_mode!r}: choose draft or packaged")
    if buckets_mode == "draft":
        sizes = table_bytes(settings, db)
        for c in contracts:
            drafted = c.model_copy(update={"buckets": TableContract.draft_buckets(sizes.get(c.table), c.mode)})
            (cdir / "chinook" / f"{c.target_table}.yaml").write_text(drafted.to_yaml())
        contracts = load_contracts("chinook", directory=cdir / "chinook")
    log(f"contracts: buckets {buckets_mode}: " + ", ".join(f"{c.target_table}={c.buckets or 'simple index'}" for c in contracts))
    snap_lake = lake_settings(settings, "snapshot")
    t0 = time.monotonic()
    dbz.register(settings, contracts, log=log)
    drain_capture(settings, log=log)
    capture_s = time.monotonic() - t0
    _, snap_stats = run_ours(spark, snap_lake, contracts, max_offsets)
    snapshot_s = time.monotonic() - t0
    snap_rows = reconcile_equal(spark, snap_lake, contracts, "snapshot")
    log(f"snapshot: {snap_rows} rows equal {snapshot_s:.1f}s after registration (capture {capture_s:.1f}s)")

    # -- the change workload --------------------------------------------------------------------------
    t1 = time.monotonic()
    gen = wl.run(n_events, log=log)
    write_s = time.monotonic() - t1
    drain_capture(settings, log=log)
    total = topic_records(settings, topics)  # drain_capture waited for every table's tail, not just the END
    log(f"workload: {gen.changes} changes ({gen.rows}) in {gen.statements} statements, {write_s:.1f}s; Kafka holds {total} records")

    # -- side by side on the same topics ----------------------------------------------------------------
    ceil_lake = lake_settings(settings, "ceiling")
    ceiling_s, ceiling_rows = run_ceiling(spark, ceil_lake, contracts, max_offsets)
    if ceiling_rows != total:
        raise SystemExit(f"bench: the ceiling wrote {ceiling_rows} rows for {total} Kafka records")
    log(f"ceiling: {total} records in {ceiling_s:.1f}s")
    ours_lake = lake_settings(settings, "ours")
    ours_s, ours_stats = run_ours(spark, ours_lake, contracts, max_offsets)
    profile = {k: round(v, 1) for k, v in PROFILE.items()}
    profile["other_s"] = round(ours_s - PROFILE.get("apply_table_s", 0) - PROFILE.get("replay_probe_s", 0), 1)
    log(f"ours: {total} records in {ours_s:.1f}s ({ours_stats.batches} batch(es)); profile {profile}")
    ours_rows = reconcile_equal(spark, ours_lake, contracts, "ours")
    peer_lake = lake_settings(settings, "peer")
    peer_s = run_peer(spark, peer_lake, contracts, max_offsets)
    log(f"peer: {total} records in {peer_s:.1f}s")
    reconcile_equal(spark, peer_lake, contracts, "peer")

    # -- freshness on the ours lake, at a steady rate -----------------------------------------------------
    fresh = run_freshness(spark, ours_lake, contracts, wl, rate, fresh_s, trigger)
    reconcile_equal(spark, ours_lake, contracts, "ours after freshness")
    heap_sampled, heap_pools = heap.peak_mb()

    ours_eps, ceiling_eps, peer_eps = total / ours_s, total / ceiling_s, total / peer_s
    result = {
        "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
                    "spark_master": settings.spark.master, "driver_memory": settings.spark.driver_memory},
        "events": total, "changes_generated": gen.changes, "mix": gen.rows, "statements": gen.statements,
        "generation": "bulk multi-row statements to MariaDB, captured by Debezium",
        "tables": len(contracts), "wide_table_columns": wide_cols + 1, "rows_in_source": ours_rows,
        "ours_s": round(ours_s, 1), "ours_profile": profile, "ours_eps": round(ours_eps, 1), "ours_batches": ours_stats.batches,
        "ceiling_s": round(ceiling_s, 1), "ceiling_eps": round(ceiling_eps, 1),
        "ratio": round(ours_eps / ceiling_eps, 3),
        "peer_s": round(peer_s, 1), "peer_eps": round(peer_eps, 1),
        "peer_label": "HoodieStreamer write path stand-in (hudi-utilities bundle not served): one Spark datasource upsert per "
                      "table per batch, Debezium envelope flattened by Spark SQL, same Hudi options, no history",
        "snapshot_rows": snap_rows, "snapshot_s": round(snapshot_s, 1), "snapshot_rps": round(snap_rows / snapshot_s, 1),
        "snapshot_capture_s": round(capture_s, 1), "snapshot_batches": snap_stats.batches,
        "freshness": fresh, "fresh_p50_s": fresh["p50_s"], "fresh_p99_s": fresh["p99_s"],
        "driver_heap_mb": heap_pools, "driver_heap_sampled_mb": heap_sampled,
        "max_offsets_per_trigger": max_offsets, "buckets": buckets_mode, "reconciled": ["snapshot", "ours", "peer", "ours after freshness"],
        "wall_s": round(time.monotonic() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["finished_at"].replace(":", "").replace("-", "")
    for name in (f"bench-{stamp}", "latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(result, RESULTS / "latest.png")
    shutil.copy(RESULTS / "latest.png", RESULTS / f"bench-{stamp}.png")
    log(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.png'}")
    print(f"BENCH events={total} ours_eps={ours_eps:.1f} ceiling_eps={ceiling_eps:.1f} ratio={ours_eps / ceiling_eps:.3f} "
          f"peer_eps={peer_eps:.1f} snapshot_rps={snap_rows / snapshot_s:.1f} fresh_p50_s={fresh['p50_s']} "
          f"fresh_p99_s={fresh['p99_s']} driver_heap_mb={heap_pools} tables={len(contracts)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
