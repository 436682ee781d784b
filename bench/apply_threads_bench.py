"""Benchmark (not a test): the same micro-batches applied with the tables one after another and from threads.

Synthetic Debezium events for ``--tables`` tables (``--events`` per table per batch, 70% updates,
20% inserts, 10% deletes on a warm key set), fed to the stream's batch function
(``spark_jobs.stream.make_batch_fn``: decode, flags, history, current state) on local Spark with
the lake on local files, once with ``threads=1`` and once with ``--threads``, batch by batch
alternately so both see the same machine load. Each lake is then checked equal to the oracle. The first
``--warmup`` batches (table creation, the first upsert) are not counted.

    .venv/bin/python bench/apply_threads_bench.py --tables 8 --events 500 --batches 3 --threads 4
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from lakehouse_schemas.contract import TableContract

KAFKA_SCHEMA = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"


def _contract(i: int) -> TableContract:
    return TableContract.from_yaml(
        f"source: bench\ndatabase: shop\ntable: t{i:02d}\ntarget_database: bench\ntarget_table: t{i:02d}\nkey: [id]\ncolumns:\n"
        "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(40)}\n- {name: amount, type: 'decimal(12,2)'}\n"
    )


class Feed:
    def __init__(self, contracts: list[TableContract], seed: int) -> None:
        self.rng = random.Random(seed)
        self.contracts = contracts
        self.pos = 4
        self.offsets = {c.topic(): 0 for c in contracts}
        # Live keys as a list plus each key's slot: a random pick and a removal are O(1), so a
        # million-event feed (bench/heap_bench.py) is not dominated by re-sorting the key set.
        self.live: dict[str, list[int]] = {c.topic(): [] for c in contracts}
        self.slot: dict[str, dict[int, int]] = {c.topic(): {} for c in contracts}
        self.state: dict[str, dict[int, tuple]] = {c.topic(): {} for c in contracts}
        self.next_id = {c.topic(): 1 for c in contracts}
        self.changes = {c.topic(): 0 for c in contracts}

    def batch(self, per_table: int) -> list[tuple]:
        import datetime as dt

        out = []
        for c in self.contracts:
            t = c.topic()
            for _ in range(per_table):
                r = self.rng.random()
                if r < 0.2 or not self.live[t]:
                    op, k = "c", self.next_id[t]
                    self.next_id[t] += 1
                elif r < 0.9:
                    op, k = "u", self.rng.choice(self.live[t])
                else:
                    op, k = "d", self.rng.choice(self.live[t])
                self.pos += 1
                row = {"id": k, "note": f"n{self.pos}", "amount": f"{self.rng.randint(0, 10**6) / 100:.2f}"}
                if op == "d":
                    self._drop(t, k)
                    self.state[t].pop(k, None)
                else:
                    if k not in self.slot[t]:
                        self.slot[t][k] = len(self.live[t])
                        self.live[t].append(k)
                    self.state[t][k] = (k, row["note"], row["amount"])
                value = {
                    "before": row if op == "d" else None, "after": None if op == "d" else row, "op": op, "ts_ms": 1700000000000 + self.pos,
                    "source": {"file": "mysql-bin.000001", "pos": self.pos, "row": 0, "snapshot": "false",
                               "ts_ms": 1700000000000 + self.pos, "db": "shop", "table": c.table},
                }
                out.append((json.dumps({"id": k}).encode(), json.dumps(value).encode(), t, 0, self.offsets[t], dt.datetime(2025, 1, 1)))
                self.offsets[t] += 1
                self.changes[t] += 1
        return out

    def _drop(self, t: str, k: int) -> None:
        keys, slot = self.live[t], self.slot[t]
        i = slot.pop(k)
        last = keys.pop()
        if last != k:
            keys[i] = last
            slot[last] = i


def check_lake(spark, contracts: list[TableContract], feed: Feed, root: str, label: str) -> int:
    """Raise unless every table's current state equals the oracle row for row and its history holds
    each change once; returns the files the histories read (for the small-file count)."""
    from decimal import Decimal

    from pyspark.sql import functions as F

    from cdc import events as ev
    from spark_jobs import history
    from spark_jobs.lake import read_table

    files = 0
    for c in contracts:
        got = {r["id"]: (r["id"], r["note"], r["amount"]) for r in read_table(spark, c, root).select("id", "note", "amount").collect()}
        want = {k: (v[0], v[1], Decimal(v[2])) for k, v in feed.state[c.topic()].items()}
        if got != want:
            raise SystemExit(f"{label}: {c.table} differs from the oracle: the figures are void")
        hist = (
            history.read_history(spark, c, root)
            .agg(F.count(F.lit(1)).alias("rows"), F.countDistinct(ev.META_POS).alias("changes"), F.countDistinct("_hoodie_file_name").alias("files"))
            .first()
        )
        if hist["rows"] != hist["changes"] or hist["changes"] != feed.changes[c.topic()]:
            raise SystemExit(f"{label}: {c.table}'s history holds {hist['rows']} rows for {feed.changes[c.topic()]} changes: the figures are void")
        files += hist["files"]
    return files


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, default=8)
    p.add_argument("--events", type=int, default=500, help="events per table per batch")
    p.add_argument("--batches", type=int, default=5, help="batches in all, the warm-up ones included")
    p.add_argument("--warmup", type=int, default=2, help="batches not counted: the first creates the tables (bulk insert), the second is the first upsert")
    p.add_argument("--threads", type=int, default=4)
    a = p.parse_args()
    if a.batches <= a.warmup:
        p.error("--batches must exceed --warmup: the warm-up batches are not counted")

    from cdc.settings import LakeSettings, Settings
    from spark_jobs.session import build_session
    from spark_jobs.stream import BatchStats, make_batch_fn

    contracts = [_contract(i) for i in range(a.tables)]
    feed = Feed(contracts, seed=14)
    batches = [feed.batch(a.events) for _ in range(a.batches)]
    work = Path(tempfile.mkdtemp(prefix="cdclake-threads-bench-"))
    spark = build_session(Settings(lake=LakeSettings(root=(work / "x").as_uri())), "cdclake-apply-threads-bench", lambda m: None)
    lakes = {n: (work / f"threads-{n}").as_uri() for n in (1, a.threads)}
    fns = {n: make_batch_fn(contracts, lakes[n], BatchStats(), lambda m: None, threads=n) for n in lakes}
    seconds = {n: 0.0 for n in lakes}
    try:
        for i, records in enumerate(batches):
            for n in (lakes if i % 2 == 0 else reversed(list(lakes))):
                df = spark.createDataFrame(records, KAFKA_SCHEMA)
                t0 = time.monotonic()
                fns[n](df, i)
                if i >= a.warmup:  # not counted: the first batches load classes and generate code for whichever lake goes first
                    seconds[n] += time.monotonic() - t0
                print(f"batch {i}: threads={n} {time.monotonic() - t0:.1f}s", flush=True)
        for n, root in lakes.items():
            check_lake(spark, contracts, feed, root, f"threads={n}")
        events = a.tables * a.events * (a.batches - a.warmup)
        eps = {n: events / s for n, s in seconds.items()}
        print(
            f"APPLY_THREADS tables={a.tables} events={events} serial_s={seconds[1]:.1f} threaded_s={seconds[a.threads]:.1f} "
            f"serial_eps={eps[1]:.0f} threaded_eps={eps[a.threads]:.0f} threads={a.threads} speedup={seconds[1] / seconds[a.threads]:.2f}"
        )
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
