"""Source vs lake, row for row and column for column, with exact Python types on both sides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pyspark.sql import SparkSession

from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract
from spark_jobs.lake import read_table, table_exists


@dataclass
class TableDiff:
    table: str
    source_rows: int
    lake_rows: int
    missing_in_lake: list = field(default_factory=list)
    extra_in_lake: list = field(default_factory=list)
    different: list = field(default_factory=list)  # (key, column, source value, lake value)

    @property
    def equal(self) -> bool:
        return not (self.missing_in_lake or self.extra_in_lake or self.different)

    def summary(self, limit: int = 5) -> str:
        if self.equal:
            return f"{self.table}: {self.source_rows} rows, equal"
        return (
            f"{self.table}: source {self.source_rows} rows, lake {self.lake_rows}; "
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


def source_rows(settings: Settings, contract: TableContract) -> dict[tuple, tuple]:
    cols = ", ".join(f"`{c.name}`" for c in contract.columns)
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")  # TIMESTAMP columns as UTC, like the lake
        cur.execute(f"SELECT {cols} FROM `{contract.database}`.`{contract.table}`")
        rows = cur.fetchall()
    return _keyed(contract, rows)


def lake_rows(spark: SparkSession, settings: Settings, contract: TableContract, *, as_of: str | None = None) -> dict[tuple, tuple]:
    if not table_exists(spark, contract.table_path(settings.lake_root)):
        return {}
    df = read_table(spark, contract, settings.lake_root, as_of=as_of).select(*[c.name for c in contract.columns])
    return _keyed(contract, [tuple(r) for r in df.collect()])


def _keyed(contract: TableContract, rows) -> dict[tuple, tuple]:
    bases = [c.mysql_type.base for c in contract.columns]
    idx = [i for i, c in enumerate(contract.columns) if c.name in contract.key]
    out = {}
    for r in rows:
        norm = tuple(normalise(v, b) for v, b in zip(r, bases, strict=True))
        out[tuple(norm[i] for i in idx)] = norm
    return out


def compare(contract: TableContract, src: dict[tuple, tuple], lake: dict[tuple, tuple]) -> TableDiff:
    diff = TableDiff(contract.qualified_source, len(src), len(lake))
    diff.missing_in_lake = sorted(set(src) - set(lake), key=repr)
    diff.extra_in_lake = sorted(set(lake) - set(src), key=repr)
    for k in sorted(set(src) & set(lake), key=repr):
        for c, a, b in zip(contract.columns, src[k], lake[k], strict=True):
            if a != b or type(a) is not type(b) and a is not None:
                if isinstance(a, int) and isinstance(b, int):
                    continue
                diff.different.append((k, c.name, a, b))
    return diff


def reconcile(spark: SparkSession, settings: Settings, contracts: list[TableContract]) -> list[TableDiff]:
    return [compare(c, source_rows(settings, c), lake_rows(spark, settings, c)) for c in contracts]
