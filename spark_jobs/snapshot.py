"""Daily snapshots: the full state of each table at the end of each day, built from the change history.

Partition ``snapshot_date=D`` of ``<table>_snapshot`` holds the rows the as-of rewrite gives for
the last instant of day D (zone ``timetravel.day_zone``), with ``_cdc_op``, ``_cdc_pos``,
``_cdc_commit_ts`` and ``_cdc_snapshot`` of the change that left each row. A build replaces the
day whole (``insert_overwrite``; an empty day is deleted), so rebuilding any past day is
idempotent: run it again after late changes arrived and the partition is right again.
Snapshot partitions older than ``timetravel.snapshot_retention_days`` are dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cdc.log import Log
from cdc.query.asof import AsOf, LakeTable, history_state
from cdc.settings import Settings
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import partition_values, register_table, table_exists


@dataclass(frozen=True)
class SnapshotResult:
    table: str
    day: dt.date
    rows: int
    action: str  # written | deleted | empty


def state_at(spark: SparkSession, settings: Settings, contract: TableContract, as_of: AsOf) -> DataFrame:
    """The table at ``as_of`` from its history alone (the exact definition; snapshots are built from it)."""
    register_table(spark, contract.glue_database, contract.history_table, contract.history_path(settings.lake_root))
    sql = history_state(LakeTable.from_contract(contract), as_of.upper).sql(dialect="spark")
    return spark.sql(sql)


def snapshot_days(spark: SparkSession, settings: Settings, contract: TableContract) -> list[dt.date]:
    return [dt.date.fromisoformat(v) for v in partition_values(spark, contract.snapshot_path(settings.lake_root), H.SNAPSHOT_PARTITION_COLUMN)]


def build_day(spark: SparkSession, settings: Settings, contract: TableContract, day: dt.date, log: Log = print) -> SnapshotResult:
    name = f"{contract.glue_database}.{contract.snapshot_table}"
    if not table_exists(spark, contract.history_path(settings.lake_root)):
        log(f"{name} {day}: no history yet, nothing to snapshot")
        return SnapshotResult(name, day, 0, "empty")
    as_of = AsOf(zone=settings.timetravel.day_zone, day=day)
    state = state_at(spark, settings, contract, as_of).withColumn(H.SNAPSHOT_PARTITION_COLUMN, F.lit(day.isoformat())).persist()
    try:
        n = state.count()
        path = contract.snapshot_path(settings.lake_root)
        if n == 0:
            if day in snapshot_days(spark, settings, contract):
                _delete_days(spark, contract, path, [day])
                log(f"{name} {day}: table was empty at the end of the day; partition deleted")
                return SnapshotResult(name, day, 0, "deleted")
            log(f"{name} {day}: table was empty at the end of the day")
            return SnapshotResult(name, day, 0, "empty")
        opts = H.snapshot_write_options(contract)
        opts["_cdclake_snapshot_date"] = day.isoformat()
        state.write.format("hudi").options(**opts).mode("append").save(path)
        log(f"{name} {day}: {n} row(s) as of {as_of.describe()}")
        return SnapshotResult(name, day, n, "written")
    finally:
        state.unpersist()


def _delete_days(spark: SparkSession, contract: TableContract, path: str, days: list[dt.date]) -> None:
    current = spark.read.format("hudi").load(path)
    empty = spark.createDataFrame([], current.drop(*[c for c in current.columns if c.startswith("_hoodie_")]).schema)
    opts = H.snapshot_delete_partitions_options(contract, [d.isoformat() for d in days])
    empty.write.format("hudi").options(**opts).mode("append").save(path)


def days_between(start: dt.date, end: dt.date | None = None) -> list[dt.date]:
    end = end or start
    if end < start:
        start, end = end, start
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def build(
    spark: SparkSession,
    settings: Settings,
    contracts: list[TableContract],
    start: dt.date,
    end: dt.date | None = None,
    *,
    log: Log = print,
) -> list[SnapshotResult]:
    """Build (or rebuild) every day from ``start`` to ``end`` for every table, then apply the retention."""
    out = [build_day(spark, settings, c, d, log) for d in days_between(start, end) for c in contracts]
    expire(spark, settings, contracts, log=log)
    return out


def last_complete_day(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    """The most recent day that has ended in the day-boundary zone."""
    from zoneinfo import ZoneInfo

    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(ZoneInfo(settings.timetravel.day_zone)).date() - dt.timedelta(days=1)


def build_due(
    spark: SparkSession, settings: Settings, contracts: list[TableContract], *, now: dt.datetime | None = None, log: Log = print
) -> list[SnapshotResult]:
    """What the streaming service runs at each day boundary: every ended day after a table's newest snapshot."""
    last = last_complete_day(settings, now)
    out = []
    for c in contracts:
        have = snapshot_days(spark, settings, c)
        first = have[-1] + dt.timedelta(days=1) if have else last
        out += [build_day(spark, settings, c, d, log) for d in days_between(first, last) if first <= last]
    expire(spark, settings, contracts, now=now, log=log)
    return out


def expire(
    spark: SparkSession, settings: Settings, contracts: list[TableContract], *, now: dt.datetime | None = None, log: Log = print
) -> dict[str, list[dt.date]]:
    """Drop snapshot partitions older than the retention (0 keeps everything)."""
    keep = settings.timetravel.snapshot_retention_days
    if keep <= 0:
        return {}
    cutoff = last_complete_day(settings, now) - dt.timedelta(days=keep)
    dropped = {}
    for c in contracts:
        old = [d for d in snapshot_days(spark, settings, c) if d < cutoff]
        if old:
            _delete_days(spark, c, c.snapshot_path(settings.lake_root), old)
            dropped[f"{c.glue_database}.{c.snapshot_table}"] = old
            log(f"{c.glue_database}.{c.snapshot_table}: dropped {len(old)} partition(s) older than {cutoff} (retention {keep} days)")
    return dropped
