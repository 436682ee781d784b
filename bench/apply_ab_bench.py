"""Benchmark (not a test): the same micro-batches applied by the apply path as it is and by a baseline variant.

The stream's batch function (``spark_jobs.stream.make_batch_fn``: decode, flags, history, current
state) applies the synthetic batches of ``bench/apply_threads_bench.py`` to two lakes on local
files: one as the project does, one with a lever undone: ``--baseline-options`` (Hudi writer
options on top of the project's, for example the defaults a lever replaced) and/or
``--baseline-no-recipes`` (the decoder's expressions built again for every batch, as before
spark_jobs.recipe), ``--baseline-history-options`` (on top of the history writes only),
``--baseline-write-options`` (on top of the current-state writes only) or
``--baseline-threads`` or ``--baseline-persist`` (each table's decode persisted under its plan and
read through every partition of the batch, as before ``spark_jobs.stream._materialized``) or
``--baseline-history-first`` (each table's history written before its current state, as before the
histories ran after all current states), batch by batch alternately so both see the same machine load. Each
lake is checked equal to the oracle (current state row for row; history: each change once), and
the bytes each lake holds, the files its histories read and the time the check took (a read of
every table and history) are printed too, and for each lake the time from each batch's start to its last current-state commit
(when readers of the current state see the batch). The first
``--warmup`` batches (table creation, the first upsert) are not counted.

    .venv/bin/python -m bench.apply_ab_bench --baseline-options hoodie.parquet.compression.codec=gzip,hoodie.clean.max.commits=1
    .venv/bin/python -m bench.apply_ab_bench --baseline-no-recipes
    .venv/bin/python -m bench.apply_ab_bench --threads 8 --baseline-threads 4
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from bench.apply_threads_bench import KAFKA_SCHEMA, Feed, _contract, check_lake


def _bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.parquet"))


def _last_commit(root: Path, contracts) -> float:
    """Wall time the newest current-state commit of any table completed (its timeline file's mtime)."""
    tables = (Path(urlparse(c.table_path(root.as_uri())).path) for c in contracts)
    return max(p.stat().st_mtime for t in tables for p in (t / ".hoodie").glob("*.commit"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline-options", default="", help="comma-separated key=value Hudi options for the baseline lake")
    p.add_argument("--baseline-no-recipes", action="store_true", help="the baseline builds the decoder's expressions per batch")
    p.add_argument("--baseline-spark-conf", default="", help="comma-separated key=value Spark SQL settings for the baseline's batches")
    p.add_argument("--baseline-no-bulk", action="store_true", help="the baseline inserts/upserts a new table's first batch (no bulk_insert)")
    p.add_argument("--baseline-history-options", default="", help="comma-separated key=value Hudi options on top of the baseline's history writes")
    p.add_argument("--baseline-write-options", default="", help="comma-separated key=value Hudi options on top of the baseline's current-state writes")
    p.add_argument("--baseline-threads", type=int, default=0, help="apply threads of the baseline (default: --threads)")
    p.add_argument("--baseline-persist", action="store_true", help="the baseline persists each table's decode (plan kept) over all the batch's partitions")
    p.add_argument("--baseline-history-first", action="store_true", help="the baseline writes each table's history before its current state, table by table")
    p.add_argument("--prewarm", action="store_true", help="first apply two batches to a third lake (not counted): then --warmup 0 measures table creation too")
    p.add_argument("--tables", type=int, default=8)
    p.add_argument("--events", type=int, default=500, help="events per table per batch")
    p.add_argument("--batches", type=int, default=6, help="batches in all, the warm-up ones included")
    p.add_argument("--warmup", type=int, default=2, help="batches not counted: the first creates the tables (bulk insert), the second is the first upsert")
    p.add_argument("--threads", type=int, default=4)
    a = p.parse_args()
    if a.batches <= a.warmup:
        p.error("--batches must exceed --warmup: the warm-up batches are not counted")
    overrides = dict(kv.split("=", 1) for kv in a.baseline_options.split(",") if kv)
    spark_conf = dict(kv.split("=", 1) for kv in a.baseline_spark_conf.split(",") if kv)
    history_overrides = dict(kv.split("=", 1) for kv in a.baseline_history_options.split(",") if kv)
    write_overrides = dict(kv.split("=", 1) for kv in a.baseline_write_options.split(",") if kv)
    baseline_threads = a.baseline_threads or a.threads
    if not (overrides or spark_conf or history_overrides or write_overrides or a.baseline_no_recipes or a.baseline_no_bulk or a.baseline_persist or a.baseline_history_first or baseline_threads != a.threads):
        p.error("give one of the --baseline-* options: the baseline must differ")

    from cdc.settings import LakeSettings, Settings
    from lakehouse_schemas import hudi_options
    from spark_jobs import recipe, stream
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    ours = hudi_options.common_options
    cached = recipe.cached
    ours_write, ours_history = hudi_options.write_options, hudi_options.history_write_options
    ours_materialized, ours_release, ours_records = stream._materialized, stream._release, stream._table_records
    ours_apply = stream.apply_table

    def history_first(*args, **kwargs):
        return ours_apply(*args, **{**kwargs, "defer_history": None})

    def persisted(df):
        return df.persist()

    def baseline_write(*args, **kwargs):
        return {**ours_write(*args, **({**kwargs, "bulk": False} if a.baseline_no_bulk else kwargs)), **write_overrides}

    def baseline_history(*args, **kwargs):
        history = ours_history(*args, **({**kwargs, "bulk": False} if a.baseline_no_bulk else kwargs))
        return {**history, **history_overrides}

    def baseline(*args, **kwargs):
        return {**ours(*args, **kwargs), **overrides}

    def uncached(df, key, build):
        return build(recipe.Recipe()).apply(df)

    def use(variant: str) -> None:
        # The writers and the decoder look these up at call time; only one lake's batch runs at a time.
        hudi_options.common_options = baseline if variant == "baseline" else ours
        old_way = variant == "baseline" and a.baseline_persist
        stream._materialized = persisted if old_way else ours_materialized
        stream._release = (lambda df: df.unpersist()) if old_way else ours_release
        stream._table_records = (lambda batch, topic, ranges: batch.where(batch.topic == topic)) if old_way else ours_records
        stream.apply_table = history_first if variant == "baseline" and a.baseline_history_first else ours_apply
        recipe.cached = uncached if variant == "baseline" and a.baseline_no_recipes else cached
        no_bulk = variant == "baseline" and a.baseline_no_bulk
        hudi_options.write_options = baseline_write if no_bulk or (variant == "baseline" and write_overrides) else ours_write
        plain = not no_bulk and not history_overrides
        hudi_options.history_write_options = ours_history if variant != "baseline" or plain else baseline_history
        for k, v in spark_conf.items():
            spark.conf.set(k, v if variant == "baseline" else session_conf[k])

    contracts = [_contract(i) for i in range(a.tables)]
    feed = Feed(contracts, seed=14)
    batches = [feed.batch(a.events) for _ in range(a.batches)]
    work = Path(tempfile.mkdtemp(prefix="cdclake-ab-bench-"))
    spark = build_session(Settings(lake=LakeSettings(root=(work / "x").as_uri())), "cdclake-apply-ab-bench", lambda m: None)
    session_conf = {k: spark.conf.get(k) for k in spark_conf}
    lakes = {"baseline": work / "baseline", "ours": work / "ours"}
    threads = {"baseline": baseline_threads, "ours": a.threads}
    fns = {n: make_batch_fn(contracts, root.as_uri(), BatchStats(), lambda m: None, threads=threads[n]) for n, root in lakes.items()}
    seconds = dict.fromkeys(lakes, 0.0)
    # From a batch's start to its last current-state commit: when readers of the current state see the batch.
    visible = dict.fromkeys(lakes, 0.0)
    try:
        if a.prewarm:
            for variant in ("ours", "baseline"):
                use(variant)
                warm = make_batch_fn(contracts, (work / f"warm-{variant}").as_uri(), BatchStats(), lambda m: None, threads=a.threads)
                for i, records in enumerate(batches[:2]):
                    warm(spark.createDataFrame(records, KAFKA_SCHEMA), i)
            print("prewarm done", flush=True)
        for i, records in enumerate(batches):
            for n in lakes if i % 2 == 0 else reversed(list(lakes)):
                use(n)
                # One Spark partition per topic, as the Kafka source reads a batch of single-partition topics.
                df = spark.createDataFrame(records, KAFKA_SCHEMA).repartition(a.tables, "topic")
                t0, wall0 = time.monotonic(), time.time()
                fns[n](df, i)
                shown = _last_commit(lakes[n], contracts) - wall0
                if i >= a.warmup:  # not counted: the first batches load classes and generate code for whichever lake goes first
                    seconds[n] += time.monotonic() - t0
                    visible[n] += shown
                print(f"batch {i}: {n} {time.monotonic() - t0:.1f}s, current states committed after {shown:.1f}s", flush=True)
        use("ours")
        files = {n: check_lake(spark, contracts, feed, root.as_uri(), n) for n, root in lakes.items()}
        read_s = {}
        for n in reversed(list(lakes)):  # timed on a second pass, in the other order: both reads warm
            t0 = time.monotonic()
            check_lake(spark, contracts, feed, lakes[n].as_uri(), n)
            read_s[n] = time.monotonic() - t0  # the readers' side: every table and history read whole
        events = a.tables * a.events * (a.batches - a.warmup)
        size = {n: _bytes(root) for n, root in lakes.items()}
        print(
            f"APPLY_AB tables={a.tables} events={events} baseline_s={seconds['baseline']:.1f} ours_s={seconds['ours']:.1f} "
            f"baseline_eps={events / seconds['baseline']:.0f} ours_eps={events / seconds['ours']:.0f} "
            f"speedup={seconds['baseline'] / seconds['ours']:.2f} baseline_bytes={size['baseline']} ours_bytes={size['ours']} "
            f"baseline_history_files={files['baseline']} ours_history_files={files['ours']} "
            f"baseline_check_s={read_s['baseline']:.1f} ours_check_s={read_s['ours']:.1f} "
            f"baseline_visible_s={visible['baseline']:.1f} ours_visible_s={visible['ours']:.1f} baseline_history_first={a.baseline_history_first} "
            f"baseline_options={a.baseline_options or '-'} baseline_no_recipes={a.baseline_no_recipes} baseline_no_bulk={a.baseline_no_bulk} baseline_spark_conf={a.baseline_spark_conf or '-'} "
            f"baseline_history_options={a.baseline_history_options or '-'} baseline_write_options={a.baseline_write_options or '-'} threads={a.threads} baseline_threads={baseline_threads}"
        )
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
