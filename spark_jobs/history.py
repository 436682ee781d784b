"""The change-history table next to each current-state table: every change, once.

One row per change: the contract's columns (after PII protection) holding the row image the
change left (the after image for c/u/r, the before image for a delete, op ``d``), and the meta
columns ``_cdc_op``, ``_cdc_pos`` (total order), ``_cdc_commit_ts`` (source commit time),
``_cdc_ingest_ts``, ``_cdc_snapshot``, Kafka coordinates. An update's before image is the previous
history row of the same key (``LAG`` over ``_cdc_pos``).

Partitioned by ingest date (``_cdc_ingest_date``, UTC), which is cheap to append to and to expire,
but not a function of the change: a replay ingests the same change again on a later day. The record
key is therefore (table key, ``_cdc_pos``) under a *global* index, and the write is ``insert`` with
drop-duplicates: the second copy finds the first in its old partition and is dropped. As-of queries
select by commit time, and ingest time is never before commit time, so a query for changes committed
after instant X may skip ingest partitions before X's date (less a day of clock skew).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cdc import events as ev
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import align_to_table, newest_commit, table_exists


@dataclass(frozen=True)
class Marks:
    """How far a table's history reaches: the highest offset of its topic applied per Kafka partition,
    and the greatest source position. A mark may run ahead of the rows (a parked change's offset counts as
    read), never behind: ahead only sends a batch down the checked path of a replay."""

    offsets: dict[int, int] = field(default_factory=dict)
    newest: str | None = None

    def after(self, highs: dict[int, int], highest_pos: str | None) -> Marks:
        """These marks moved past a batch's highest offsets per partition and its greatest position."""
        offsets = dict(self.offsets)
        for p, hi in highs.items():
            offsets[p] = max(hi, offsets.get(p, -1))
        return Marks(offsets, max((p for p in (self.newest, highest_pos) if p is not None), default=None))


def history_rows(df: DataFrame, contract: TableContract) -> DataFrame:
    """The batch's changes as history rows: one per (key, position), the delete marker replaced by the op."""
    # A redelivered change (at-least-once capture) repeats its position: keep one, the first Kafka copy.
    w = Window.partitionBy(*contract.key, ev.META_POS).orderBy(F.col(ev.META_OFFSET).asc())
    out = df.withColumn("_h_rn", F.row_number().over(w)).where("_h_rn = 1").drop("_h_rn")
    # _hoodie_is_deleted = true would make Hudi delete the history row itself.
    if H.DELETE_MARKER_COLUMN in out.columns:
        out = out.drop(H.DELETE_MARKER_COLUMN)
    return out.withColumn(H.HISTORY_PARTITION_COLUMN, F.date_format(F.col(ev.META_INGEST_TS), "yyyy-MM-dd"))


def write_history(
    df: DataFrame, contract: TableContract, lake_root: str, *, batch_id: int | str | None = None, forward: bool = False, bulk: bool = False,
    marks: Marks | None = None,
) -> None:
    """Append every change of ``df`` to the table's history (idempotent under replay).

    ``forward``: the caller checked that every change is newer than the history's newest (see
    ``newest_position``), so the batch cannot repeat one and the global duplicate check is skipped.
    ``bulk``: the history does not exist yet, so the rows go straight to files (``bulk_insert``).
    ``marks``: how far the history reaches with this write (the stream knows: ``applied_marks`` plus
    the batch), recorded in the commit for the next start to read.
    """
    if not contract.key:
        return  # an append-only table (no key) is its own change log: nothing to add
    rows = align_to_table(history_rows(df, contract), contract.history_path(lake_root))
    opts = H.history_write_options(contract, forward=forward, bulk=bulk)
    opts[H.AVRO_SCHEMA] = avro_schema(rows, contract.history_table)
    if batch_id is not None:
        opts["_cdclake_batch_id"] = str(batch_id)
    if marks is not None:
        opts[H.HISTORY_OFFSETS_META] = json.dumps({"topic": contract.topic(), "offsets": {str(p): o for p, o in marks.offsets.items()}})
        if marks.newest is not None:
            opts[H.HISTORY_NEWEST_POS_META] = marks.newest
    rows.write.format("hudi").options(**opts).mode("append").save(contract.history_path(lake_root))


def avro_schema(df: DataFrame, table: str) -> str:
    """The writer schema in Hudi's own naming (record ``<table>_record`` in namespace ``hoodie.<table>``)."""
    jvm = df.sparkSession.sparkContext._jvm
    schema = jvm.org.apache.hudi.AvroConversionUtils.convertStructTypeToAvroSchema(
        df._jdf.schema(), f"{table}_record", f"hoodie.{table}"
    )
    return schema.toString()


def applied_marks(spark, contract: TableContract, lake_root: str) -> Marks:
    """How far the table's history reaches, from its newest commit when the stream recorded it there.

    Scanning the history for its greatest offsets and position reads every row it ever took, at each
    start of the job; the stream records both in each history commit. The scan stays the answer when
    the newest commit does not carry them (written by a dead-letter replay, a cascade or an older
    version) or carries another topic's: marks behind the rows would let a re-read batch skip the
    replay checks. Clustering commits add no row and are passed over.
    """
    path = contract.history_path(lake_root)
    if not contract.key or not table_exists(spark, path):
        return Marks()
    commit = newest_commit(spark, path, skip_operations=(H.CLUSTER_OPERATION,)) or {}
    extra = commit.get("extraMetadata") or {}
    recorded = json.loads(extra.get(H.HISTORY_OFFSETS_META) or "null")
    if recorded and recorded.get("topic") == contract.topic():
        return Marks({int(p): int(o) for p, o in recorded["offsets"].items()}, extra.get(H.HISTORY_NEWEST_POS_META))
    return Marks(applied_offsets(spark, contract, lake_root), newest_position(spark, contract, lake_root))


def applied_offsets(spark, contract: TableContract, lake_root: str) -> dict[int, int]:
    """Kafka partition -> the highest offset of the table's topic whose change the history holds."""
    if not contract.key or not table_exists(spark, contract.history_path(lake_root)):
        return {}
    rows = (
        read_history(spark, contract, lake_root)
        .where(F.col(ev.META_TOPIC) == F.lit(contract.topic()))
        .groupBy(ev.META_PARTITION)
        .agg(F.max(ev.META_OFFSET).alias("hi"))
        .collect()
    )
    return {r[ev.META_PARTITION]: r["hi"] for r in rows}


def newest_position(spark, contract: TableContract, lake_root: str) -> str | None:
    """The greatest source position the table's history holds (None: no history yet)."""
    if not contract.key or not table_exists(spark, contract.history_path(lake_root)):
        return None
    return read_history(spark, contract, lake_root).agg(F.max(ev.META_POS)).first()[0]


def read_history(spark, contract: TableContract, lake_root: str) -> DataFrame:
    return spark.read.format("hudi").load(contract.history_path(lake_root))
