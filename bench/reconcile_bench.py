"""Benchmark (not a test): the chunked reconcile of a synthetic N-row table, its time and the driver's peak heap.

Makes table ``bench.wide`` in the local MariaDB (INSERT ... SELECT from the sequence engine, in
one-million-row steps) and the same rows in a Hudi table (Spark ``bulk_insert`` straight from
``spark.range``, not through Kafka: the point is the comparison), plants one differing cell, and
runs ``spark_jobs.reconcile.reconcile`` over it. Prints the phases' times, the chunks compared
row by row, and the peak used heap of the (local-mode) driver JVM, read from its heap memory
pools' peak usage (``MemoryPoolMXBean`` via py4j) after resetting them before the reconcile.

    source /work/stacks/<you>.env
    .venv/bin/python bench/reconcile_bench.py --rows 5000000 --driver-memory 1g
"""

from __future__ import annotations

import argparse
import time

ROWS_PER_INSERT = 1_000_000
EPOCH_2020 = 1577836800

# The same value of every column from the row number, once in SQL and once in Spark.
SQL_VALUES = (
    "seq, seq % 1000, CAST((seq % 100000) / 100 AS DECIMAL(12,2)), CONCAT('note ', seq, IF(seq % 3 = 0, ' ü😀', '')), "
    f"FROM_UNIXTIME({EPOCH_2020} + seq), FROM_UNIXTIME({EPOCH_2020} + seq), seq / 7E0, IF(seq % 10 = 0, NULL, seq % 97)"
)
COLUMNS = [
    {"name": "id", "type": "bigint", "nullable": False},
    {"name": "acct", "type": "int"},
    {"name": "amount", "type": "decimal(12,2)"},
    {"name": "note", "type": "varchar(40)"},
    {"name": "at", "type": "datetime(6)"},
    {"name": "ts", "type": "timestamp(6)"},
    {"name": "ratio", "type": "double"},
    {"name": "maybe", "type": "int"},
]


def _spark_rows(spark, n: int):
    from pyspark.sql import functions as F

    from cdc.events import META_POS

    i = F.col("id") + 1  # SQL's seq_1_to_N
    return spark.range(n).select(
        i.alias("id"),
        (i % 1000).cast("int").alias("acct"),
        ((i % 100000).cast("decimal(12,0)") / 100).cast("decimal(12,2)").alias("amount"),
        F.concat(F.lit("note "), i.cast("string"), F.when(i % 3 == 0, " ü😀").otherwise("")).alias("note"),
        F.timestamp_seconds(F.lit(EPOCH_2020) + i).cast("timestamp_ntz").alias("at"),
        F.timestamp_seconds(F.lit(EPOCH_2020) + i).alias("ts"),
        (i / F.lit(7.0)).alias("ratio"),
        F.when(i % 10 == 0, None).otherwise(i % 97).cast("int").alias("maybe"),
        F.lit("0").alias(META_POS),  # before any source position: nothing is in flight
    )


def _heap_pools(spark):
    jvm = spark.sparkContext._jvm
    pools = jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans()
    return [p for p in pools if str(p.getType()) == "Heap memory"], jvm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--chunk-rows", type=int, default=50_000)
    ap.add_argument("--driver-memory", default="1g", help="the driver JVM's -Xmx: the reconcile must fit in it")
    ap.add_argument("--reuse", action="store_true", help="keep the table and lake of an earlier run with the same --rows")
    args = ap.parse_args()

    from cdc.settings import LakeSettings, Settings
    from cdc.source import connect
    from lakehouse_schemas import hudi_options as H
    from lakehouse_schemas.contract import TableContract
    from spark_jobs.reconcile import reconcile
    from spark_jobs.session import build_session

    base = Settings()
    root = (base.stack.state_dir / "bench" / f"reconcile-{args.rows}").resolve()
    settings = base.model_copy(
        update={
            "lake": LakeSettings(root=(root / "lake").as_uri(), checkpoint_root=(root / "ckpt").as_uri()),
            "spark": base.spark.model_copy(update={"driver_memory": args.driver_memory}),
        }
    )
    contract = TableContract.model_validate(
        {"source": "bench", "database": "bench", "table": "wide", "target_database": "bench", "target_table": "wide", "key": ["id"], "columns": COLUMNS}
    )
    spark = build_session(settings, "reconcile-bench")
    built = (root / "lake" / "bench").exists() and args.reuse
    t0 = time.monotonic()
    if not built:
        with connect(settings, admin=True, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            cur.execute("DROP DATABASE IF EXISTS bench")
            cur.execute("CREATE DATABASE bench CHARACTER SET utf8mb4")
            cur.execute(
                "CREATE TABLE bench.wide (id BIGINT NOT NULL PRIMARY KEY, acct INT, amount DECIMAL(12,2), note VARCHAR(40), "
                "at DATETIME(6), ts TIMESTAMP(6) NULL, ratio DOUBLE, maybe INT) ENGINE=InnoDB"
            )
            for lo in range(1, args.rows + 1, ROWS_PER_INSERT):
                hi = min(lo + ROWS_PER_INSERT - 1, args.rows)
                cur.execute(f"INSERT INTO bench.wide SELECT {SQL_VALUES} FROM bench.seq_{lo}_to_{hi}")
        t_source = time.monotonic() - t0
        opts = {**H.write_options(contract), H.OPERATION: "bulk_insert"}
        t1 = time.monotonic()
        _spark_rows(spark, args.rows).write.format("hudi").options(**opts).mode("overwrite").save(contract.table_path(settings.lake_root))
        t_lake = time.monotonic() - t1
        print(f"built {args.rows} rows: source {t_source:.0f}s, lake (bulk_insert) {t_lake:.0f}s")
    planted = args.rows // 2
    with connect(settings, admin=True, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("UPDATE bench.wide SET amount = CAST((id %% 100000) / 100 AS DECIMAL(12,2)) + 0.01 WHERE id = %s", (planted,))

    pools, jvm = _heap_pools(spark)
    jvm.java.lang.System.gc()
    for p in pools:
        p.resetPeakUsage()
    t2 = time.monotonic()
    diffs = reconcile(spark, settings, [contract], chunk_rows=args.chunk_rows, log=print)
    took = time.monotonic() - t2
    peak = sum(p.getPeakUsage().getUsed() for p in pools)
    xmx = jvm.java.lang.Runtime.getRuntime().maxMemory()
    d = diffs[0]
    print(d.summary())
    print(
        f"reconcile of {args.rows} rows: {took:.1f}s ({args.rows / took:,.0f} rows/s), {d.chunks} chunks of {args.chunk_rows}, "
        f"{d.chunks_differing} compared row by row; driver heap peak {peak / 2**20:.0f} MiB (max {xmx / 2**20:.0f} MiB)"
    )
    found = [(k, col) for k, col, _, _ in d.different]
    print(f"planted difference at id {planted} amount: found {found}")
    # A sample reconcile, the cheap frequent check.
    t3 = time.monotonic()
    sample = reconcile(spark, settings, [contract], chunk_rows=args.chunk_rows, sample=0.01)[0]
    print(f"--sample 1%: {time.monotonic() - t3:.1f}s, {sample.chunks_checked}/{sample.chunks} chunks, {sample.source_rows} rows")
    with connect(settings, admin=True, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("UPDATE bench.wide SET amount = CAST((id %% 100000) / 100 AS DECIMAL(12,2)) WHERE id = %s", (planted,))


if __name__ == "__main__":
    main()
