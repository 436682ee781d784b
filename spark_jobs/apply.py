"""One table's decoded changes into the lake: PII protection, change history, current state.

The stream (spark_jobs/stream.py) and the dead-letter replay (spark_jobs/dlq.py) both apply through here.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cdc.events import META_OP, META_POS
from lakehouse_schemas.contract import TableContract
from spark_jobs import history, pii, truncate
from spark_jobs.lake import table_exists
from spark_jobs.upsert import latest_per_key, write_table


def apply_table(
    good: DataFrame,
    contract: TableContract,
    lake_root: str,
    batch_id: int | str,
    *,
    stale_guard: bool = False,
    pii_key: pii.KeySource | bytes | None = None,
    truncates: bool | None = None,
    forward: bool = False,
    defer_history: Callable[[Callable[[], None]], None] | None = None,
    marks: history.Marks | None = None,
) -> str | None:
    """Decoded, valid changes of one table -> PII protection -> change history -> current state.

    A truncate in the batch empties the current state as of its position (spark_jobs.truncate):
    the rows it removed reach the history as op ``t`` and the current state as deletes.
    ``stale_guard`` (replays: parked changes, a new checkpoint over an existing lake, a re-run batch):
    a change older than one the history already holds for its key reaches the history only. Without
    it an insert replayed after the key's later delete would bring the row back, since a deleted row
    leaves no position to compare with.
    ``truncates``: whether the batch holds a truncate, when the caller already knows (saves two Spark jobs).
    ``forward``: every change is newer than the history's newest, so its write skips the global duplicate check.
    ``defer_history``: receives the history write instead of running it, so the caller can run the current
    states of all its tables first (what readers wait for) and the histories after; the current state is
    then written before this batch's history, which a re-run handles like any other (both writes are
    idempotent under replay; docs/guarantees.md).
    ``marks``: how far the history reaches once this batch is in, recorded in its commit (``history.applied_marks``).
    Returns the current-state write's warning for the operator (``write_table``), if any.
    """
    protected = pii.protect(good, contract, pii_key)
    current = None
    if truncates is None:
        truncates = bool(protected.where(F.col(META_OP) == F.lit(truncate.TRUNCATE)).limit(1).count())
    if truncates:
        path = contract.table_path(lake_root)
        current = protected.sparkSession.read.format("hudi").load(path) if table_exists(protected.sparkSession, path) else None
        r = truncate.resolve(protected, contract, current)
    else:
        r = truncate.Resolved(changes=protected, after=protected, removed=None)
    to_history = r.changes if r.removed is None else r.changes.unionByName(r.removed)
    spark = protected.sparkSession
    # A table's first batch (its initial snapshot) creates the table: bulk insert, no index to consult.
    bulk_history = not truncates and not table_exists(spark, contract.history_path(lake_root))
    bulk_current = not truncates and not table_exists(spark, contract.table_path(lake_root))

    def write_history() -> None:
        history.write_history(to_history, contract, lake_root, batch_id=batch_id, forward=forward, bulk=bulk_history, marks=marks)

    if defer_history is None:
        write_history()
    else:
        defer_history(write_history)
    latest = latest_per_key(r.after, contract)
    if stale_guard and contract.mode == "current_state":
        latest = _drop_stale(latest, contract, lake_root)
    if r.removed is not None:
        # A key written again after the truncate keeps that later change.
        latest = latest.unionByName(r.removed.join(latest.select(*contract.key), list(contract.key), "left_anti"))
    return write_table(latest, contract, lake_root, batch_id=batch_id, bulk=bulk_current)


def _drop_stale(latest: DataFrame, contract: TableContract, lake_root: str) -> DataFrame:
    spark = latest.sparkSession
    if not table_exists(spark, contract.history_path(lake_root)):
        return latest
    keys = list(contract.key)
    newest = (
        history.read_history(spark, contract, lake_root)
        .join(latest.select(*keys), keys, "left_semi")
        .groupBy(*keys)
        .agg(F.max(META_POS).alias("_newest_pos"))
    )
    stale = latest.join(newest, keys).where(F.col("_newest_pos") > F.col(META_POS)).select(*keys)
    return latest.join(stale, keys, "left_anti")
