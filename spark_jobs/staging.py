"""Quiet tables' changes held back from their Hudi tables for a while, durably (``CDCLAKE_SPARK__DEFER_BELOW``).

Every Hudi write pays about the same fixed cost whatever its rows (docs/performance.md), so a batch
that touches many tables with a few changes each is mostly that cost. With the setting on, a batch
writes a table whose changes (with those it already holds back) are fewer than ``defer_below`` to
one plain Parquet append shared by all such tables instead, and applies them later with the table's
next write: once they are many enough, once the oldest has waited ``defer_seconds``, and when a job
starts, before its query reads Kafka (available-now runs never hold anything back).

Durable before it counts as read: the append completes inside the batch function, so before Spark
commits the batch's Kafka offsets to the checkpoint. Never applied twice: a staged record is applied
only while its offset is above the offset the table's history marks as applied for its partition
(``history.Marks``), and the staged files are deleted only after the table's writes have committed; a
crash in between leaves files whose records the marks then filter out. A re-run batch may stage a
record again; copies are dropped by Kafka coordinates.

The raw values may hold PII: they are sealed with the dead letters' key and sit under ``_system``,
which only the writer reads (cdc/access/policies.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs import dlq
from spark_jobs.lake import _fs

STAGED_DIR = "staged"


@dataclass
class Staged:
    """What a topic holds back: how many records, the highest offset per partition, since when (monotonic)."""

    changes: int = 0
    highs: dict[int, int] = field(default_factory=dict)
    # None after a restart: the records were staged by an earlier job, so they are applied at once.
    since: float | None = None

    def add(self, n: int, highs: dict[int, int], now: float) -> None:
        if not self.changes:
            self.since = now
        self.changes += n
        for p, hi in highs.items():
            self.highs[p] = max(hi, self.highs.get(p, -1))


def staged_path(lake_root: str) -> str:
    return f"{lake_root.rstrip('/')}/_system/{dlq.DEAD_LETTER_DB}/{STAGED_DIR}"


def _topic_dir(lake_root: str, topic: str) -> str:
    # Kafka topic names are [a-zA-Z0-9._-]: Spark writes the partition directory unescaped.
    return f"{staged_path(lake_root)}/topic={topic}"


def stage(records: DataFrame, lake_root: str) -> None:
    """Append raw Kafka records (any topics) to the staging area: one Spark job for every held-back table."""
    key = dlq.sealing_key()
    out = records.withColumn("value", dlq.seal(F.col("value").cast("string"), key))
    out.write.mode("append").partitionBy("topic").parquet(staged_path(lake_root))


def held(spark: SparkSession, lake_root: str) -> dict[str, Staged]:
    """What earlier jobs left staged, per topic (read when a job starts; their ``since`` is None)."""
    path = staged_path(lake_root)
    p, fs = _fs(spark, path)
    if not fs.exists(p):
        return {}
    paths = [f for s in fs.listStatus(p) if s.getPath().getName().startswith("topic=") for f in _parquet_files(fs, s.getPath())]
    if not paths:
        return {}
    out: dict[str, Staged] = {}
    rows = spark.read.option("basePath", path).parquet(*paths).groupBy(
        F.col("topic").cast("string").alias("topic"), "partition"
    ).agg(F.count(F.lit(1)).alias("n"), F.max("offset").alias("hi")).collect()
    for r in rows:
        s = out.setdefault(r["topic"], Staged())
        s.changes += r["n"]
        s.highs[r["partition"]] = r["hi"]
    return out


def _parquet_files(fs, directory) -> list[str]:
    return [s.getPath().toString() for s in fs.listStatus(directory) if s.getPath().getName().endswith(".parquet")]


def files(spark: SparkSession, lake_root: str, topic: str) -> list[str]:
    p, fs = _fs(spark, _topic_dir(lake_root, topic))
    return _parquet_files(fs, p) if fs.exists(p) else []


def read(spark: SparkSession, paths: list[str], topic: str, applied: dict[int, int]) -> DataFrame:
    """The staged records in ``paths`` the lake has not applied yet (offset above ``applied`` of their partition), once each."""
    df = spark.read.parquet(*paths)
    df = df.drop("topic") if "topic" in df.columns else df
    newer = F.lit(True)
    for part, off in applied.items():
        newer = F.when(F.col("partition") == F.lit(part), F.col("offset") > F.lit(off)).otherwise(newer)
    return (
        df.where(newer)
        .withColumn("value", dlq.unseal(F.col("value"), dlq.sealing_key()).cast("binary"))
        .withColumn("topic", F.lit(topic))
        .dropDuplicates(["partition", "offset"])
    )


def remove(spark: SparkSession, paths: list[str]) -> None:
    """Delete staged files whose records the table's committed writes hold (a crash before this is harmless)."""
    for path in paths:
        p, fs = _fs(spark, path)
        fs.delete(p, False)
