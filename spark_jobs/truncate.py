"""TRUNCATE TABLE applied to the lake: the current-state table is emptied as of the truncate's source position.

A truncate (Debezium op ``t``, no row image, null Kafka key) removes every row the table held
*at that position*. In one micro-batch that means: rows already in the lake with an older
``_cdc_pos``, and the batch's own changes before the truncate; changes after it apply as usual.
Each removed row becomes a change ``t`` at the truncate's position: in the current-state table a
delete (ordered like any other change, so a replay never removes a newer row), in the change
history the row's last image, the way a delete is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from cdc import events as ev
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN

TRUNCATE = ev.Op.TRUNCATE.value


@dataclass(frozen=True)
class Resolved:
    changes: DataFrame  # every row change of the batch (history gets all of them)
    after: DataFrame  # the changes the current-state table applies (after the last truncate)
    removed: DataFrame | None  # one op-``t`` row per key the last truncate removed, or None


def resolve(df: DataFrame, contract: TableContract, current: DataFrame | None) -> Resolved:
    """Split a decoded batch around its last truncate. ``current``: the lake table as it is (or None)."""
    changes = df.where(F.col(ev.META_OP) != F.lit(TRUNCATE))
    last = df.where(F.col(ev.META_OP) == F.lit(TRUNCATE)).orderBy(F.col(ev.META_POS).desc()).limit(1).collect()
    if not last or not contract.key or getattr(contract, "mode", "current_state") != "current_state":
        # An append-only table is its own change log: the truncate is not a removal there.
        return Resolved(changes=changes, after=changes, removed=None)
    t = last[0]
    pos = t[ev.META_POS]
    cols = df.columns
    before = changes.where(F.col(ev.META_POS) < F.lit(pos)).select(*cols)
    candidates = before
    if current is not None:
        lake = current.where(F.col(ev.META_POS) < F.lit(pos))
        candidates = candidates.unionByName(
            lake.select(*[F.col(c) if c in lake.columns else F.lit(None).cast(df.schema[c].dataType).alias(c) for c in cols])
        )
    # The key's last state before the truncate; a key whose last change was a delete is already gone.
    w = Window.partitionBy(*contract.key).orderBy(F.col(ev.META_POS).desc(), F.col(ev.META_OFFSET).desc())
    last_state = candidates.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")
    last_state = last_state.where(~F.coalesce(F.col(DELETE_MARKER_COLUMN), F.lit(False)))
    stamp = {
        ev.META_OP: F.lit(TRUNCATE),
        ev.META_POS: F.lit(pos),
        ev.META_COMMIT_TS: F.lit(t[ev.META_COMMIT_TS]).cast("timestamp"),
        ev.META_SNAPSHOT: F.lit(False),
        ev.META_TOPIC: F.lit(t[ev.META_TOPIC]),
        ev.META_PARTITION: F.lit(t[ev.META_PARTITION]).cast(df.schema[ev.META_PARTITION].dataType),
        ev.META_OFFSET: F.lit(t[ev.META_OFFSET]).cast(df.schema[ev.META_OFFSET].dataType),
        DELETE_MARKER_COLUMN: F.lit(True),
    }
    removed = last_state.select(*[stamp[c].alias(c) if c in stamp else F.col(c) for c in cols])
    after = changes.where(F.col(ev.META_POS) > F.lit(pos))
    return Resolved(changes=changes, after=after, removed=removed)
