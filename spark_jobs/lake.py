"""Reading the lake from Spark: tables registered by name, Hudi time travel, the commit timeline."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession

from cdc.query.table import format_table
from cdc.settings import Settings
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract


def _fs(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p, p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def table_exists(spark: SparkSession, path: str) -> bool:
    p, fs = _fs(spark, f"{path.rstrip('/')}/.hoodie/hoodie.properties")
    return bool(fs.exists(p))


def has_commits(spark: SparkSession, path: str) -> bool:
    """A Hudi table that can be read: it exists and its first commit is complete (not still in flight)."""
    return table_exists(spark, path) and bool(completed_instants(spark, path))


def completed_instants(spark: SparkSession, path: str) -> list[str]:
    """Completed commit instants of a Hudi table (version 6 timeline), oldest first."""
    return sorted(_completed(spark, path))


def _completed(spark: SparkSession, path: str) -> dict[str, object]:
    """Completed instant -> its Hadoop path, from one listing of the timeline."""
    p, fs = _fs(spark, f"{path.rstrip('/')}/.hoodie")
    if not fs.exists(p):
        return {}
    return {
        s.getPath().getName().split(".")[0]: s.getPath()
        for s in fs.listStatus(p)
        if s.getPath().getName().endswith((".commit", ".deltacommit", ".replacecommit"))
    }


def newest_commit(spark: SparkSession, path: str, *, skip_operations: tuple[str, ...] = ()) -> dict | None:
    """A table's newest completed commit (its extra metadata, ``_cdclake_*`` keys, under ``extraMetadata``;
    the files it wrote under ``partitionToWriteStats``); None when the table has no completed commit (it
    does not exist yet, or its first commit is still in flight). Commits whose ``operationType`` is in
    ``skip_operations`` (for example ``CLUSTER``: a rewrite that adds no row) are passed over."""
    done = _completed(spark, path)
    for instant in sorted(done, reverse=True):
        p, fs = _fs(spark, str(done[instant]))
        stream = fs.open(p)
        try:
            commit = json.loads(spark._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()
        if commit.get("operationType") not in skip_operations:
            return commit
    return None


def read_table(spark: SparkSession, contract: TableContract, lake_root: str, *, as_of: str | None = None) -> DataFrame:
    reader = spark.read.format("hudi")
    if as_of:
        reader = reader.option(H.AS_OF_INSTANT, as_of)
    return reader.load(contract.table_path(lake_root))


def register_tables(spark: SparkSession, settings: Settings, contracts: list[TableContract]) -> list[str]:
    """Make every existing lake table queryable as <target_database>.<target_table> in the session catalog."""
    names = []
    for c in contracts:
        path = c.table_path(settings.lake_root)
        if not table_exists(spark, path):
            continue
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{c.target_database}`")
        spark.sql(f"CREATE TABLE IF NOT EXISTS `{c.target_database}`.`{c.target_table}` USING hudi LOCATION '{path}'")
        names.append(c.qualified_target)
    return names


def format_rows(df: DataFrame, limit: int = 50) -> str:
    return format_table(df.columns, df.limit(limit + 1).collect(), limit)


# -- time travel: current, history and snapshot tables under their Glue names -------------------------
def _registered_location(spark: SparkSession, db: str, name: str) -> str | None:
    if not spark.catalog.tableExists(f"`{db}`.`{name}`"):
        return None
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED `{db}`.`{name}`").where("col_name = 'Location'").collect()
    return rows[0]["data_type"] if rows else None


def _same_location(a: str | None, b: str) -> bool:
    return a is not None and a.rstrip("/").replace("file:///", "file:/") == b.rstrip("/").replace("file:///", "file:/")


def register_table(spark: SparkSession, db: str, name: str, path: str) -> None:
    """``db.name`` -> the Hudi table at ``path``; an entry pointing at another lake is re-pointed (the data stays)."""
    spark.sql(f"CREATE DATABASE IF NOT EXISTS `{db}`")
    current = _registered_location(spark, db, name)
    if _same_location(current, path):
        return
    if current is not None:
        # Tables created with LOCATION are external: dropping the entry never deletes the files.
        spark.sql(f"DROP TABLE IF EXISTS `{db}`.`{name}`")
    spark.sql(f"CREATE TABLE `{db}`.`{name}` USING hudi LOCATION '{path}'")


def lake_tables(contract: TableContract, lake_root: str) -> list[tuple[str, str]]:
    """(table name, path) of the current-state, history and snapshot tables of one contract."""
    return [
        (contract.target_table, contract.table_path(lake_root)),
        (contract.history_table, contract.history_path(lake_root)),
        (contract.snapshot_table, contract.snapshot_path(lake_root)),
    ]


def register_time_travel_tables(spark: SparkSession, settings: Settings, contracts: list[TableContract]) -> list[str]:
    """Register every existing current/history/snapshot table as ``<glue database>.<name>`` (the names Athena
    sees) and as ``<target database>.<name>``, so the same SQL runs locally and on Athena."""
    names = []
    for c in contracts:
        for name, path in lake_tables(c, settings.lake_root):
            if not table_exists(spark, path):
                continue
            for db in dict.fromkeys((c.glue_database, c.target_database)):
                register_table(spark, db, name, path)
                names.append(f"{db}.{name}")
    return names


def partition_values(spark: SparkSession, path: str, column: str) -> list[str]:
    """The partition values a Hudi table holds now (after replaced and deleted partitions), sorted."""
    if not table_exists(spark, path):
        return []
    rows = spark.read.format("hudi").load(path).select(column).distinct().collect()
    return sorted(str(r[0]) for r in rows if r[0] is not None)


def catalog_state(spark: SparkSession, settings: Settings, contracts: list[TableContract]) -> tuple[set[str], dict[str, list[tuple[str, ...]]]]:
    """The Glue names of the lake tables that exist, and the partition values each partitioned one holds."""
    from lakehouse_schemas import hudi_options as H

    existing: set[str] = set()
    partitions: dict[str, list[tuple[str, ...]]] = {}
    for c in contracts:
        cols = {c.target_table: list(c.partition_by), c.history_table: [H.HISTORY_PARTITION_COLUMN], c.snapshot_table: [H.SNAPSHOT_PARTITION_COLUMN]}
        for name, path in lake_tables(c, settings.lake_root):
            if not table_exists(spark, path):
                continue
            key = f"{c.glue_database}.{name}"
            existing.add(key)
            if cols[name]:
                rows = spark.read.format("hudi").load(path).select(*cols[name]).distinct().collect()
                partitions[key] = sorted(tuple("" if v is None else str(v) for v in r) for r in rows)
    return existing, partitions


# Column order of each Hudi table this process writes, so a batch's columns can follow it.
_COLUMN_ORDER: dict[str, tuple[str, ...]] = {}


def align_to_table(df: DataFrame, path: str) -> DataFrame:
    """``df`` with the table's existing columns in the table's order and new ones (ADD COLUMN) last.

    Hudi 1.1's insert path maps a batch's fields onto the table schema by position: a new column
    in the middle shifts every later value into the wrong column. Appending new columns keeps an
    evolution a pure addition (plus int -> long promotion), which Hudi applies in place.
    """
    known = _COLUMN_ORDER.get(path)
    if known is None or not set(df.columns) <= set(known):
        spark = df.sparkSession
        if has_commits(spark, path):
            known = tuple(c for c in spark.read.format("hudi").load(path).columns if not c.startswith("_hoodie_") or c == H.DELETE_MARKER_COLUMN)
        else:
            known = ()
    ordered = [c for c in known if c in df.columns] + [c for c in df.columns if c not in known]
    _COLUMN_ORDER[path] = tuple(ordered) + tuple(c for c in known if c not in ordered)
    return df.select(*ordered)
