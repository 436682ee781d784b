"""Per-batch ordering and dedup, and the Hudi upsert (dead letters: spark_jobs/dlq.py)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cdc import events as ev
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import align_to_table


def latest_per_key(df: DataFrame, contract: TableContract) -> DataFrame:
    """Keep the change with the greatest source position per record key (the last one wins).

    Append-only tables keep every change, once: a redelivered change has the same change id.
    """
    if contract.mode == "append_only":
        change_id = F.when(
            F.col(ev.META_SNAPSHOT),
            F.concat_ws(":", F.col(ev.META_POS), F.col(ev.META_TOPIC), F.col(ev.META_PARTITION), F.col(ev.META_OFFSET)),
        ).otherwise(F.col(ev.META_POS))
        # A delete is a row of the log here, not a removal.
        return df.withColumn(ev.META_CHANGE_ID, change_id).withColumn(H.DELETE_MARKER_COLUMN, F.lit(False)).dropDuplicates(
            [ev.META_CHANGE_ID]
        )
    # Equal positions cannot happen for distinct changes; a redelivered duplicate ties, and the later offset wins.
    w = Window.partitionBy(*contract.key).orderBy(F.col(ev.META_POS).desc(), F.col(ev.META_OFFSET).desc())
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def write_table(df: DataFrame, contract: TableContract, lake_root: str, *, batch_id: int | None = None, bulk: bool = False) -> None:
    """Upsert one change per key (deletes remove the row). ``bulk``: the table does not exist yet, so the
    batch's deletes have nothing to remove and the remaining rows are bulk-inserted."""
    opts = H.write_options(contract, bulk=bulk)
    if bulk:
        df = df.where(~F.coalesce(F.col(H.DELETE_MARKER_COLUMN), F.lit(False)))
    if batch_id is not None:
        opts["_cdclake_batch_id"] = str(batch_id)
    path = contract.table_path(lake_root)
    align_to_table(df, path).write.format("hudi").options(**opts).mode("append").save(path)
