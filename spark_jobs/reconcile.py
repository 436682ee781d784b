"""Source vs lake: row counts, then a hash per row (key and every column), then the differing keys.

The source side is read inside one ``START TRANSACTION WITH CONSISTENT SNAPSHOT``, so every
table is compared at the same binlog position (MariaDB reports it as
``binlog_snapshot_file``/``binlog_snapshot_position``). Lake rows whose change is newer than
that position are "in flight" (the source moved on after the snapshot) and are left out of
the comparison instead of being reported as differences. Values are normalised to exact
Python types on both sides (DECIMAL as Decimal, DATETIME naive, TIMESTAMP UTC) before hashing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from cdc.access.pii import lake_view, pii_key, protect_rows
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import has_commits, read_table


@dataclass(frozen=True)
class SourceSnapshot:
    """The source's rows of several tables, all read at one binlog position."""

    binlog_file: str | None
    binlog_pos: int
    gtid: str | None
    rows: dict[str, dict[tuple, tuple]]

    @property
    def sort_key(self) -> str:
        from cdc.events import SourcePosition

        return SourcePosition(file=self.binlog_file, pos=self.binlog_pos, snapshot=False).sort_key


@dataclass
class TableDiff:
    table: str
    source_rows: int
    lake_rows: int
    missing_in_lake: list = field(default_factory=list)
    extra_in_lake: list = field(default_factory=list)
    different: list = field(default_factory=list)  # (key, column, source value, lake value)
    hash_mismatches: int = 0
    in_flight: int = 0  # lake rows changed after the source snapshot position, not compared

    @property
    def differing_keys(self) -> list:
        keys = {d[0] for d in self.different}
        return sorted(set(self.missing_in_lake) | set(self.extra_in_lake) | keys, key=repr)

    @property
    def equal(self) -> bool:
        return not (self.missing_in_lake or self.extra_in_lake or self.different)

    def summary(self, limit: int = 5) -> str:
        flight = f" ({self.in_flight} in flight)" if self.in_flight else ""
        if self.equal:
            return f"{self.table}: {self.source_rows} rows, equal{flight}"
        return (
            f"{self.table}: source {self.source_rows} rows, lake {self.lake_rows}{flight}; "
            f"{self.hash_mismatches} row hash(es) differ, differing keys {self.differing_keys[:limit]}; "
            f"missing in lake {self.missing_in_lake[:limit]}, extra in lake {self.extra_in_lake[:limit]}, "
            f"different {self.different[:limit]}"
        )


def normalise(value: Any, type_base: str) -> Any:
    """One comparable Python value per MySQL type, whichever side it came from."""
    if value is None:
        return None
    if isinstance(value, bytearray):
        value = bytes(value)
    if type_base == "time" and isinstance(value, dt.timedelta):
        return value // dt.timedelta(microseconds=1)
    if type_base == "bit" and isinstance(value, bytes):
        return int.from_bytes(value, "big") if len(value) > 1 else bool(value[0])
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return value
    return value


def comparable_view(contract: TableContract) -> TableContract:
    """The lake's columns that the source still has: retired (dropped-in-source) columns are the lake's alone."""
    view = lake_view(contract)
    if not any(c.retired for c in view.columns):
        return view
    return view.model_copy(update={"columns": view.source_columns})


def source_rows(settings: Settings, contract: TableContract) -> dict[tuple, tuple]:
    return source_snapshot(settings, [contract]).rows[contract.qualified_source]


def source_snapshot(settings: Settings, contracts: list[TableContract]) -> SourceSnapshot:
    """Read every contract's table in one consistent snapshot and note its binlog position."""
    # PII: the source side gets the lake's protection (hash/mask/drop), so protected columns compare exactly.
    key = pii_key(settings) if any(c.pii == "hash" for t in contracts for c in t.columns) else None
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")  # TIMESTAMP columns as UTC, like the lake
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        file, pos, gtid = _snapshot_position(cur)
        rows = {}
        for contract in contracts:
            view = comparable_view(contract)
            # A renamed column is read under its source name and compared under the lake's.
            cols = ", ".join(f"`{c.wire_name}` AS `{c.name}`" for c in view.columns)
            cur.execute(f"SELECT {cols} FROM `{contract.database}`.`{contract.table}`")
            rows[contract.qualified_source] = _keyed(view, protect_rows(view, cur.fetchall(), key))
        cur.execute("COMMIT")
    return SourceSnapshot(file, pos, gtid, rows)


def _snapshot_position(cur) -> tuple[str | None, int, str | None]:
    cur.execute("SHOW STATUS LIKE 'binlog_snapshot_%'")  # MariaDB: the snapshot's exact binlog coordinates
    status = {k.lower(): v for k, v in cur.fetchall()}
    file, pos = status.get("binlog_snapshot_file"), int(status.get("binlog_snapshot_position") or 0)
    gtid = None
    with contextlib.suppress(Exception):  # MySQL has no gtid_binlog_pos; the file/position still apply
        cur.execute("SELECT @@gtid_binlog_pos")
        gtid = cur.fetchone()[0]
    if not file:  # MySQL: no snapshot status variables; the master position is the best available
        cur.execute("SHOW MASTER STATUS")
        row = cur.fetchone()
        file, pos = (row[0], int(row[1])) if row else (None, 0)
    return file, pos, gtid


def lake_rows(
    spark: SparkSession,
    settings: Settings,
    contract: TableContract,
    *,
    as_of: str | None = None,
    newer_than: str | None = None,
) -> tuple[dict[tuple, tuple], set[tuple]]:
    """The lake's rows by key, and the keys left out because their change is at or after ``newer_than``."""
    from cdc.events import META_POS

    path = contract.table_path(settings.lake_root)
    if not has_commits(spark, path):
        return {}, set()  # not written yet, or its first commit is still in flight
    df = read_table(spark, contract, settings.lake_root, as_of=as_of)
    # A column the contract has but the lake table not yet (the job has not applied the evolved
    # contract): NULL there, so it shows as a difference instead of failing the comparison.
    cols = [F.col(c.name) if c.name in df.columns else F.lit(None).alias(c.name) for c in contract.columns]
    in_flight: set[tuple] = set()
    if newer_than is not None:
        newer = df.where(df[META_POS] >= newer_than).select(*cols)
        in_flight = set(_keyed(contract, [tuple(r) for r in newer.collect()]))
        df = df.where(df[META_POS] < newer_than)
    df = df.select(*cols)
    return _keyed(contract, [tuple(r) for r in df.collect()]), in_flight


def _keyed(contract: TableContract, rows) -> dict[tuple, tuple]:
    bases = [c.mysql_type.base for c in contract.columns]
    idx = [i for i, c in enumerate(contract.columns) if c.name in contract.key]
    out = {}
    for r in rows:
        norm = tuple(normalise(v, b) for v, b in zip(r, bases, strict=True))
        out[tuple(norm[i] for i in idx)] = norm
    return out


def row_hash(row: tuple) -> str:
    """A hash of one normalised row; type names are part of it, so 1 and Decimal('1') differ."""
    h = hashlib.sha256()
    for v in row:
        h.update(type(v).__name__.encode())
        h.update(b"\x1f")
        h.update(repr(v).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def compare(
    contract: TableContract, src: dict[tuple, tuple], lake: dict[tuple, tuple], *, in_flight: int = 0
) -> TableDiff:
    diff = TableDiff(contract.qualified_source, len(src), len(lake), in_flight=in_flight)
    diff.missing_in_lake = sorted(set(src) - set(lake), key=repr)
    diff.extra_in_lake = sorted(set(lake) - set(src), key=repr)
    common = set(src) & set(lake)
    # Hashes first: only the keys whose hashes differ are compared column by column.
    suspects = [k for k in common if row_hash(src[k]) != row_hash(lake[k])]
    diff.hash_mismatches = len(suspects)
    for k in sorted(suspects, key=repr):
        for c, a, b in zip(contract.columns, src[k], lake[k], strict=True):
            if a != b or type(a) is not type(b) and a is not None:
                if isinstance(a, int) and isinstance(b, int):
                    continue
                diff.different.append((k, c.name, a, b))
    return diff


def reconcile(
    spark: SparkSession, settings: Settings, contracts: list[TableContract], *, snapshot: SourceSnapshot | None = None
) -> list[TableDiff]:
    """Compare every current-state table; the source is read at one consistent position unless ``snapshot`` is given.

    Append-only tables (a change log, no current state) are not compared: see docs/guarantees.md.
    """
    contracts = [c for c in contracts if c.mode == "current_state"]
    snap = snapshot or source_snapshot(settings, contracts)
    diffs = []
    for c in map(comparable_view, contracts):
        lake, in_flight = lake_rows(spark, settings, c, newer_than=snap.sort_key if snap.binlog_file else None)
        # A key the lake already has in a newer version is compared on neither side.
        src = {k: v for k, v in snap.rows[c.qualified_source].items() if k not in in_flight}
        diffs.append(compare(c, src, lake, in_flight=len(in_flight)))
    return diffs
