"""Per-batch ordering and dedup, and the Hudi upsert (dead letters: spark_jobs/dlq.py)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cdc import events as ev
from cdc.errors import ContractError
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import align_to_table, newest_commit


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


def write_table(df: DataFrame, contract: TableContract, lake_root: str, *, batch_id: int | str | None = None, bulk: bool = False) -> str | None:
    """Upsert one change per key (deletes remove the row). ``bulk``: the table does not exist yet, so the
    batch's deletes have nothing to remove and the remaining rows are bulk-inserted.
    Returns a warning for the operator when a bucketed table has outgrown its bucket count, else None."""
    opts = H.write_options(contract, bulk=bulk)
    if bulk:
        df = df.where(~F.coalesce(F.col(H.DELETE_MARKER_COLUMN), F.lit(False)))
    if batch_id is not None:
        opts["_cdclake_batch_id"] = str(batch_id)
    path = contract.table_path(lake_root)
    opts[H.BUCKETS_META] = str(contract.buckets or 0)
    warning = _check_buckets(df, contract, path) if contract.buckets and not bulk else None
    align_to_table(df, path).write.format("hudi").options(**opts).mode("append").save(path)
    return warning


def _check_buckets(df: DataFrame, contract: TableContract, path: str) -> str | None:
    """A bucket index finds a key's file by its hash: on a table written with another bucket count (or
    the simple index) an update would land in a second file group and the key would be there twice.
    The table's last commit also says how large its buckets have grown (a warning past the limit)."""
    commit = newest_commit(df.sparkSession, path)
    if commit is None:  # a new table (a truncate in its first batch): nothing to match
        return None
    written = str((commit.get("extraMetadata") or {}).get(H.BUCKETS_META, "0"))
    if written != str(contract.buckets):
        was = "the simple index" if written == "0" else f"{written} buckets"
        raise ContractError(
            f"{contract.qualified_target}: the contract asks for {contract.buckets} buckets, the table at {path} was written with {was}",
            next_step=f"set buckets back to {'nothing' if written == '0' else written} in the contract, or rebuild the table "
            "(remove it and re-snapshot) to change it",
            table=contract.qualified_target,
        )
    largest = max((w.get("fileSizeInBytes") or 0 for ws in (commit.get("partitionToWriteStats") or {}).values() for w in ws), default=0)
    if largest <= H.BUCKET_FILE_WARN_BYTES:
        return None
    return (
        f"{contract.qualified_target}: a bucket file of its current state has grown to {largest / 2**20:.0f} MB with "
        f"{contract.buckets} bucket(s), and a batch rewrites a changed bucket whole; next step: rebuild the table "
        f"with more buckets (about one per 100 MB; docs/performance.md, lever 15)"
    )
