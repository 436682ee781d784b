"""Foreign-key cascades the binlog does not carry, applied to the child tables' current state and history.

InnoDB applies ON UPDATE / ON DELETE ``CASCADE`` and ``SET NULL`` below the binlog (MariaDB and
MySQL alike): a parent key change or delete reaches Kafka, the child rows it changed do not. The
job derives them here, in Spark, from the batch's parent changes and the children's lake state:

* a parent *transition* is a change that moves or removes referenced values: a delete, a key
  change (Debezium's delete + create at the same source position) or an update of referenced
  columns (the before image decoded from the record);
* each transition is joined on the foreign-key columns to the child rows the lake holds from
  *before* it (``_cdc_pos`` lower than the parent's), the only rows InnoDB could have changed;
* the derived child change sits just after the parent change (its position plus ``CASCADE_SUFFIX``)
  and carries the parent's commit time and Kafka coordinates; it is written through the same
  history + ordered upsert path. A derived change that alters columns a grandchild references is
  itself a transition: cascades go down every level.

Derivation repeats until it finds nothing (a row whose parent key changed twice in one batch moves
twice). Snapshot reads are never transitions. A truncate is refused by InnoDB on a referenced table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cdc import events as ev
from lakehouse_schemas.contract import ForeignKey, TableContract
from lakehouse_schemas.hudi_options import DELETE_MARKER_COLUMN

# Sorts after the parent's position and before any later one (positions are fixed-width strings).
CASCADE_SUFFIX = ":c"
# Derivation rounds per edge and batch: each round moves rows one parent change further along a chain.
MAX_ROUNDS = 8
ACTIONS = ("CASCADE", "SET NULL")
_POS, _REMOVED = "_t_pos", "_t_removed"
_CARRY = (ev.META_COMMIT_TS, ev.META_TOPIC, ev.META_PARTITION, ev.META_OFFSET)

Log = Callable[[str], None]


@dataclass(frozen=True)
class Edge:
    parent: TableContract
    child: TableContract
    fk: ForeignKey


def edges(contracts: list[TableContract]) -> list[Edge]:
    """Foreign keys with a CASCADE / SET NULL action whose parent and child both have contracts of one source."""
    by_source = {(c.source, c.qualified_source.lower()): c for c in contracts}
    out = []
    for child in contracts:
        for fk in child.foreign_keys:
            parent = by_source.get((child.source, fk.qualified_ref.lower()))
            if parent is not None and fk.cascades and child.mode == "current_state":
                out.append(Edge(parent, child, fk))
    return out


def _b(col: str) -> str:
    return f"_t_b_{col}"


def _a(col: str) -> str:
    return f"_t_a_{col}"


def referenced(parent: TableContract, es: list[Edge]) -> list[str]:
    return sorted({c for e in es if e.parent.qualified_source == parent.qualified_source for c in e.fk.ref_columns})


def transitions(changes: DataFrame, parent: TableContract, ref_cols: list[str]) -> DataFrame:
    """Decoded parent changes (with ``_kafka_value``) -> one row per change that moves or removes referenced values."""
    from spark_jobs.decode import to_lake_value
    from spark_jobs.schema import debezium_document

    streamed = changes.where(~F.col(ev.META_SNAPSHOT))
    op = F.col(ev.META_OP)
    carry = [F.col(c) for c in _CARRY]
    deletes = streamed.where(op == ev.Op.DELETE.value)
    creates = streamed.where(op == ev.Op.CREATE.value)
    # A primary-key change is a delete and a create from the same row event (same position).
    key_change = deletes.alias("d").join(creates.alias("c"), F.col(f"d.{ev.META_POS}") == F.col(f"c.{ev.META_POS}"))
    moved = key_change.select(
        F.col(f"d.{ev.META_POS}").alias(_POS), F.lit(False).alias(_REMOVED), *[F.col(f"d.{c}") for c in _CARRY],
        *[F.col(f"d.{c}").alias(_b(c)) for c in ref_cols], *[F.col(f"c.{c}").alias(_a(c)) for c in ref_cols],
    )
    removed = deletes.join(creates.select(ev.META_POS), ev.META_POS, "left_anti").select(
        F.col(ev.META_POS).alias(_POS), F.lit(True).alias(_REMOVED), *carry,
        *[F.col(c).alias(_b(c)) for c in ref_cols], *[F.lit(None).cast(changes.schema[c].dataType).alias(_a(c)) for c in ref_cols],
    )
    # An update of referenced columns that are not the record key: the before image is in the record.
    updates = streamed.where(op == ev.Op.UPDATE.value)
    if set(ref_cols) <= set(parent.key):
        return moved.unionByName(removed)
    typed = F.from_json(F.col("_kafka_value").cast("string"), debezium_document(parent))
    envelope = F.when(typed.getField("payload").isNotNull(), typed.getField("payload")).otherwise(typed.dropFields("schema", "payload"))
    before = envelope.getField("before")
    upd = updates.select(
        F.col(ev.META_POS).alias(_POS), F.lit(False).alias(_REMOVED), *carry,
        *[to_lake_value(before.getField(parent.column(c).wire_name), parent.column(c)).alias(_b(c)) for c in ref_cols],
        *[F.col(c).alias(_a(c)) for c in ref_cols],
    )
    changed = F.lit(False)
    for c in ref_cols:
        changed = changed | ~F.col(_b(c)).eqNullSafe(F.col(_a(c)))
    return moved.unionByName(removed).unionByName(upd.where(changed))


def derive(trans: DataFrame, edge: Edge, state: DataFrame) -> DataFrame:
    """The child changes one round of ``trans`` causes in the child rows of ``state`` (the lake's current state).

    Returns rows of the child's columns + meta + delete marker, plus ``_t_old_<col>`` (the row before).
    """
    child, fk = edge.child, edge.fk
    t = trans.where(
        F.when(F.col(_REMOVED), F.lit(fk.on_delete in ACTIONS)).otherwise(F.lit(fk.on_update in ACTIONS))
    )
    cond = F.col(f"s.{ev.META_POS}") < F.col(f"t.{_POS}")
    for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
        cond = cond & (F.col(f"s.{col}") == F.col(f"t.{_b(ref)}"))
    joined = state.alias("s").join(t.alias("t"), cond)
    # Several transitions for one child row (a chain in one batch): the earliest first, the next round goes on.
    first = F.min(F.col(f"t.{_POS}")).over(_key_window(child))
    joined = joined.withColumn("_t_first", first).where(F.col(f"t.{_POS}") == F.col("_t_first"))
    removed = F.col(f"t.{_REMOVED}")
    action = F.when(removed, F.lit(fk.on_delete)).otherwise(F.lit(fk.on_update))
    deleted = removed & (action == "CASCADE")
    new_values = {}
    for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
        dtype = state.schema[col].dataType
        new_values[col] = F.when(deleted, F.col(f"s.{col}")).when(action == "SET NULL", F.lit(None).cast(dtype)).otherwise(
            F.col(f"t.{_a(ref)}").cast(dtype)
        )
    cols = [new_values.get(c.name, F.col(f"s.{c.name}")).alias(c.name) for c in child.lake_columns]
    old = [F.col(f"s.{c.name}").alias(f"_t_old_{c.name}") for c in child.lake_columns]
    return joined.select(
        *cols,
        *old,
        F.when(deleted, F.lit(ev.Op.DELETE.value)).otherwise(F.lit(ev.Op.UPDATE.value)).alias(ev.META_OP),
        F.concat(F.col(f"t.{_POS}"), F.lit(CASCADE_SUFFIX)).alias(ev.META_POS),
        *[F.col(f"t.{c}").alias(c) for c in _CARRY],
        F.current_timestamp().alias(ev.META_INGEST_TS),
        F.lit(False).alias(ev.META_SNAPSHOT),
        deleted.alias(DELETE_MARKER_COLUMN),
    )


def _key_window(child: TableContract):
    from pyspark.sql import Window

    return Window.partitionBy(*[F.col(f"s.{k}") for k in child.key])


def as_changes(derived: DataFrame, child: TableContract, fk: ForeignKey) -> DataFrame:
    """Derived rows -> the child's change rows. A cascade that changes key columns moves the row: delete + create."""
    names = [c.name for c in child.lake_columns]
    meta = [ev.META_OP, ev.META_POS, *_CARRY, ev.META_INGEST_TS, ev.META_SNAPSHOT, DELETE_MARKER_COLUMN]
    plain = derived.select(*names, *meta)
    if not set(fk.columns) & set(child.key):
        return plain
    key_moved = F.col(ev.META_OP) == ev.Op.UPDATE.value
    stays = plain.where(~key_moved)
    moved = derived.where(key_moved)
    gone = moved.select(
        *[F.col(f"_t_old_{n}").alias(n) for n in names], F.lit(ev.Op.DELETE.value).alias(ev.META_OP),
        *[c for c in meta[1:-1]], F.lit(True).alias(DELETE_MARKER_COLUMN),
    )
    born = moved.select(*names, F.lit(ev.Op.CREATE.value).alias(ev.META_OP), *meta[1:])
    return stays.unionByName(gone).unionByName(born)


def child_transitions(derived: DataFrame, child: TableContract, ref_cols: list[str]) -> DataFrame:
    """The derived child changes as transitions of the child (for its own children)."""
    removed = F.col(ev.META_OP) == ev.Op.DELETE.value
    out = derived.select(
        F.col(ev.META_POS).alias(_POS), removed.alias(_REMOVED), *_CARRY,
        *[F.col(f"_t_old_{c}").alias(_b(c)) for c in ref_cols],
        *[F.when(removed, F.lit(None)).otherwise(F.col(c)).alias(_a(c)) for c in ref_cols],
    )
    changed = F.col(_REMOVED)
    for c in ref_cols:
        changed = changed | ~F.col(_b(c)).eqNullSafe(F.col(_a(c)))
    return out.where(changed)


def write_changes(changes: DataFrame, child: TableContract, lake_root: str, batch_id: int | str) -> None:
    """History + ordered upsert, as for the child's own changes; no PII step: the values come from the lake, already protected."""
    from spark_jobs import history
    from spark_jobs.upsert import latest_per_key, write_table

    history.write_history(_like_table(changes, child.history_path(lake_root)), child, lake_root, batch_id=batch_id)
    write_table(latest_per_key(_like_table(changes, child.table_path(lake_root)), child), child, lake_root, batch_id=batch_id)


def _like_table(df: DataFrame, path: str) -> DataFrame:
    """``df`` with the table's nullability: literals are non-nullable, and a writer schema that says so
    cannot read the table's existing (nullable) Avro records ("Malformed data. Length is negative")."""
    from spark_jobs.lake import has_commits

    spark = df.sparkSession
    if not has_commits(spark, path):
        return df
    existing = spark.read.format("hudi").load(path)
    shared = [c for c in df.columns if c in existing.columns]
    return df.unionByName(existing.select(*shared).limit(0), allowMissingColumns=True)


def apply(
    batch_changes: list[tuple[TableContract, DataFrame]],
    contracts: list[TableContract],
    lake_root: str,
    batch_id: int | str,
    log: Log = print,
) -> int:
    """Apply the cascades of the batch's parent changes (after every table's own changes); the child rows written."""
    from spark_jobs.lake import read_table, table_exists

    es = edges(contracts)
    if not es:
        return 0
    pending: list[tuple[TableContract, DataFrame]] = []
    for contract, changes in batch_changes:
        mine = [e for e in es if e.parent.qualified_source == contract.qualified_source]
        if mine:
            pending.append((contract, transitions(changes, contract, referenced(contract, mine))))
    total = 0
    depth = 0
    while pending and depth < len(contracts):
        depth += 1
        found: list[tuple[TableContract, DataFrame]] = []
        for parent, trans in pending:
            trans = trans.persist()
            try:
                if not trans.limit(1).count():
                    continue
                for edge in (e for e in es if e.parent.qualified_source == parent.qualified_source):
                    child = edge.child
                    if not table_exists(trans.sparkSession, child.table_path(lake_root)):
                        continue
                    grand = [e for e in es if e.parent.qualified_source == child.qualified_source]
                    for _ in range(MAX_ROUNDS):
                        state = read_table(trans.sparkSession, child, lake_root)
                        # Materialised: the write below changes the state it was derived from.
                        derived = derive(trans, edge, state).localCheckpoint()
                        n = derived.count()
                        if not n:
                            break
                        write_changes(as_changes(derived, child, edge.fk), child, lake_root, batch_id)
                        total += n
                        log(f"batch {batch_id}: {n} row(s) of {child.qualified_source} changed by {edge.fk.name} "
                            f"(ON UPDATE {edge.fk.on_update} / ON DELETE {edge.fk.on_delete}) of {parent.qualified_source}")
                        if grand:
                            found.append((child, child_transitions(derived, child, referenced(child, grand))))
            finally:
                trans.unpersist()
        pending = found
    return total
