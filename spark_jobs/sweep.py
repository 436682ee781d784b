"""Remove lake rows a re-snapshot did not re-read: the source deleted them while changes were lost (binlog gap)."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from cdc import events as ev
from cdc.log import Log
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN
from spark_jobs.lake import align_to_table, read_table, table_exists
from spark_jobs.upsert import write_table


def sweep(spark: SparkSession, contracts: list[TableContract], lake_root: str, before: str, log: Log = print) -> dict[str, int]:
    """Delete every current-state row whose last change is older than ``before`` (a source sort key).

    The deletes carry ``before`` as their position, so Hudi's event-time ordering accepts them,
    and a row that changes again later is written back by that newer change.
    """
    removed = {}
    for c in contracts:
        if c.mode != "current_state" or not table_exists(spark, c.table_path(lake_root)):
            continue
        stale = read_table(spark, c, lake_root).where(F.col(ev.META_POS) < F.lit(before))
        n = stale.count()
        if n:
            stamp = {ev.META_POS: F.lit(before), ev.META_OP: F.lit(ev.Op.DELETE.value), DELETE_MARKER_COLUMN: F.lit(True)}
            # The lake's own columns, not the contract's (PII-dropped or retired columns are not in the table),
            # in the table's order: Hudi's insert path maps fields by position.
            cols = [name for name in stale.columns if not name.startswith("_hoodie_") or name == DELETE_MARKER_COLUMN]
            cols += [DELETE_MARKER_COLUMN] if DELETE_MARKER_COLUMN not in cols else []
            deletes = stale.select(*[stamp[name].alias(name) if name in stamp else F.col(name) for name in cols])
            write_table(align_to_table(deletes, c.table_path(lake_root)), c, lake_root)
        removed[c.qualified_target] = n
        log(f"swept {n} stale row(s) from {c.qualified_target}")
    return removed
