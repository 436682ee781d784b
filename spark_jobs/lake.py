"""Reading the lake from Spark: tables registered by name, Hudi time travel, the commit timeline."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

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


def completed_instants(spark: SparkSession, path: str) -> list[str]:
    """Completed commit instants of a Hudi table (version 6 timeline), oldest first."""
    p, fs = _fs(spark, f"{path.rstrip('/')}/.hoodie")
    if not fs.exists(p):
        return []
    names = [s.getPath().getName() for s in fs.listStatus(p)]
    done = {n.split(".")[0] for n in names if n.endswith((".commit", ".deltacommit", ".replacecommit")) and "." in n}
    return sorted(done)


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
    rows = df.limit(limit + 1).collect()
    cols = df.columns
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows[:limit]]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |" for row in cells]
    out.append(line)
    out.append(f"{min(len(rows), limit)} row(s)" + (f" (first {limit} shown)" if len(rows) > limit else ""))
    return "\n".join(out)
