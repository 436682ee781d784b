"""Evolving a contract to a changed source table, under the contract's policies.

The contract is the lake's schema, so a source ALTER reaches the lake as a reviewed contract
change (``cdclake contracts sync``); the running job re-reads contracts every batch and replays
the events it parked meanwhile. What is allowed, and why:

- ADD COLUMN: added, nullable in the lake (rows written before it have no value for it).
- widening: integer types to a wider integer type (Hudi promotes int to long in place), any
  text length, DECIMAL precision up to the column's lake precision with the same scale (Hudi
  stores a decimal as a fixed-size Avro type and cannot widen it in place: declare
  ``lake_precision`` headroom, or rebuild the table).
- RENAME COLUMN: only when declared (``renames``): the lake keeps its column name and reads
  the new source name (``source_name``); a rename cannot be told from DROP + ADD by the schema.
- DROP COLUMN: ``on_missing_column: null`` keeps the column in the lake (``retired``: its past
  values stay, later changes leave it NULL); ``park`` refuses, so the table stays stopped
  until someone decides.
- Anything else (narrowing, another type, a key change) is refused: the table stays stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.types import LakeType

INT_WIDTH = {"tinyint": 1, "boolean": 1, "smallint": 2, "mediumint": 3, "int": 4, "bigint": 8}


@dataclass(frozen=True)
class SourceColumn:
    """One column as the live source describes it (information_schema.COLUMNS)."""

    name: str
    type: str
    nullable: bool
    default: str | None = None


@dataclass
class Evolution:
    contract: TableContract
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _same_lake(a: LakeType, b: LakeType) -> bool:
    return (a.kind, a.precision, a.scale) == (b.kind, b.precision, b.scale)


def _type_change(old: Column, new_type: str) -> tuple[Column | None, str | None]:
    """(the column with the new type, None) when the lake can take it; (None, why not) otherwise."""
    candidate = old.model_copy(update={"type": new_type})
    try:
        new_lake = candidate.lake_type
    except ValueError:
        new_lake = None
    old_mt, new_mt = old.mysql_type, candidate.mysql_type
    if old_mt.base in INT_WIDTH and new_mt.base in INT_WIDTH:
        if INT_WIDTH[new_mt.base] < INT_WIDTH[old_mt.base] or (old_mt.unsigned and not new_mt.unsigned and INT_WIDTH[new_mt.base] == INT_WIDTH[old_mt.base]):
            return None, f"{old.type} -> {new_type} narrows the integer range"
        if new_lake is not None and (_same_lake(old.lake_type, new_lake) or (old.lake_type.kind, new_lake.kind) == ("int", "long")):
            return candidate, None
        return None, f"{old.type} -> {new_type} changes the lake type {old.lake_type.kind} -> {new_lake.kind if new_lake else '?'}"
    if old_mt.base == "decimal" and new_mt.base == "decimal":
        p_old, p_new = old_mt.precision or 10, new_mt.precision or 10
        if new_mt.scale != old_mt.scale:
            return None, f"{old.type} -> {new_type} changes the scale: the lake would have to rewrite every value"
        if p_new < p_old:
            return None, f"{old.type} -> {new_type} narrows the precision"
        room = old.lake_type.precision or p_old
        if p_new > room:
            return None, (
                f"{old.type} -> {new_type} needs lake precision {p_new} but the lake column is decimal({room},{old_mt.scale}); "
                "Hudi cannot widen a decimal in place: rebuild the table (cdclake capture resnapshot) with lake_precision set"
            )
        return old.model_copy(update={"type": new_type, "lake_precision": room}), None
    if new_lake is not None and _same_lake(old.lake_type, new_lake):
        return candidate, None  # VARCHAR(20) -> VARCHAR(80), CHAR -> VARCHAR, DATETIME(3) -> DATETIME(6), ...
    return None, f"{old.type} -> {new_type} is not a widening the lake can apply"


def evolve(contract: TableContract, source: list[SourceColumn], renames: dict[str, str] | None = None) -> Evolution:
    """The contract for the source's current columns; ``renames`` maps a contract column's old source name to the new one."""
    renames = dict(renames or {})
    by_wire = {c.wire_name: c for c in contract.source_columns}
    src = {s.name: s for s in source}
    out: list[Column] = []
    ev = Evolution(contract)
    where = contract.qualified_source
    for old, new in renames.items():
        if old not in by_wire:
            ev.problems.append(f"{where}: --rename {old}={new}: the contract reads no source column {old!r}")
        elif new not in src:
            ev.problems.append(f"{where}: --rename {old}={new}: the source has no column {new!r}")
    for c in contract.columns:
        if c.retired:
            out.append(c)
            continue
        wire = renames.get(c.wire_name, c.wire_name)
        s = src.get(wire)
        if s is None:
            if c.name in contract.key:
                ev.problems.append(f"{where}: key column {c.name} is gone from the source; the table needs a new contract")
            elif contract.on_missing_column == "null":
                out.append(c.model_copy(update={"retired": True}))
                ev.changes.append(f"{where}: {c.name} dropped in the source: kept in the lake with its past values, NULL for later changes")
            else:
                ev.problems.append(
                    f"{where}: column {c.wire_name} is gone from the source and the contract says on_missing_column: park; "
                    f"choose: --rename {c.wire_name}=<new name> if it was renamed, or set on_missing_column: null to keep it "
                    "in the lake as NULL from now on"
                )
                out.append(c)
            continue
        updated = c
        if wire != c.wire_name:
            updated = updated.model_copy(update={"source_name": None if wire == c.name else wire})
            ev.changes.append(f"{where}: source column {c.wire_name} renamed to {wire}: the lake keeps the name {c.name}")
        norm = s.type.strip().lower()
        if norm != c.type.strip().lower():
            widened, why = _type_change(updated, norm)
            if widened is None:
                ev.problems.append(f"{where}: column {c.name}: {why}")
            else:
                updated = widened
                ev.changes.append(f"{where}: {c.name} {c.type} -> {norm}")
        out.append(updated)
    known = {c.wire_name for c in out if not c.retired}
    lake_names = {c.name for c in out}
    for s in source:
        if s.name in known:
            continue
        name = s.name
        if name in lake_names:  # the lake already uses the name (a retired or renamed column)
            ev.problems.append(f"{where}: new source column {name} clashes with the lake column {name}; add it by hand under another name")
            continue
        out.append(Column(name=name, type=s.type.strip().lower(), nullable=True))
        ev.changes.append(f"{where}: {name} {s.type} added")
        if s.default is not None and s.default.upper() != "NULL":
            ev.advice.append(
                f"{where}: {name} was added with DEFAULT {s.default}: rows not changed since the ALTER hold it in the source "
                f"but NULL in the lake; run `cdclake capture backfill {contract.table}` to re-read them"
            )
    if not ev.problems and ev.changes:
        ev.contract = contract.model_copy(update={"columns": tuple(out)})
        TableContract.model_validate(ev.contract.model_dump())  # the evolved contract must still be a valid one
    return ev
