"""MySQL column types: parsed once, mapped to a logical lake type in one table.

The docs' type-mapping table is generated from ``LAKE_TYPES``'s rows
(``cdclake contracts types``), so the docs cannot drift from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdc.errors import ContractError

_TYPE_RE = re.compile(r"^\s*([a-zA-Z ]+?)\s*(?:\(([^)]*)\))?\s*(unsigned)?\s*(zerofill)?\s*$", re.I)


@dataclass(frozen=True)
class MySQLType:
    base: str  # lower-case: int, decimal, varchar, datetime, ...
    args: tuple[str, ...] = ()
    unsigned: bool = False

    @property
    def precision(self) -> int | None:
        return int(self.args[0]) if self.args and self.args[0].isdigit() else None

    @property
    def scale(self) -> int:
        return int(self.args[1]) if len(self.args) > 1 else 0

    def __str__(self) -> str:
        a = f"({','.join(self.args)})" if self.args else ""
        return f"{self.base}{a}{' unsigned' if self.unsigned else ''}"


ALIASES = {
    "integer": "int",
    "dec": "decimal",
    "numeric": "decimal",
    "fixed": "decimal",
    "bool": "boolean",
    "real": "double",
    "double precision": "double",
    "character": "char",
    "nvarchar": "varchar",
    "nchar": "char",
    "national varchar": "varchar",
    "national char": "char",
}


def parse_mysql_type(text: str) -> MySQLType:
    m = _TYPE_RE.match(text)
    if not m:
        raise ContractError(f"cannot parse column type {text!r}", next_step="use a MySQL type such as 'decimal(10,2)'", type=text)
    base = ALIASES.get(m.group(1).lower().strip(), m.group(1).lower().strip())
    args = tuple(a.strip().strip("'") for a in m.group(2).split(",")) if m.group(2) else ()
    if base == "decimal" and not args:
        args = ("10", "0")
    return MySQLType(base=base, args=args, unsigned=bool(m.group(3)))


# Logical lake types. Spark/Hudi types and the Debezium JSON wire encoding per type
# are in spark_jobs.schema; this keeps `cdc` free of pyspark.
@dataclass(frozen=True)
class LakeType:
    kind: str  # int, long, decimal, double, float, boolean, string, binary, date, timestamp_ntz, timestamp, time_micros
    precision: int | None = None
    scale: int | None = None
    wire: str = "json"  # how Debezium (our connector settings) encodes it in JSON: see WIRE_*


# Debezium JSON encodings under the connector settings cdc.capture.debezium renders.
WIRE_NUMBER = "number"
WIRE_STRING = "string"
WIRE_DECIMAL_STRING = "decimal_string"  # decimal.handling.mode=string
WIRE_BASE64 = "base64"
WIRE_EPOCH_DAYS = "epoch_days"
WIRE_EPOCH_MILLIS = "epoch_millis"  # io.debezium.time.Timestamp (DATETIME(0..3))
WIRE_EPOCH_MICROS = "epoch_micros"  # io.debezium.time.MicroTimestamp (DATETIME(4..6))
WIRE_ZONED_STRING = "zoned_string"  # io.debezium.time.ZonedTimestamp (TIMESTAMP)
WIRE_MICROS = "micros"  # io.debezium.time.MicroTime (TIME)
WIRE_BOOLEAN = "boolean"

SPARK_MAX_DECIMAL_PRECISION = 38


def lake_type(t: MySQLType) -> LakeType:
    b = t.base
    if b in ("tinyint", "smallint", "mediumint", "year"):
        return LakeType("int", wire=WIRE_NUMBER)
    if b == "int":
        return LakeType("long" if t.unsigned else "int", wire=WIRE_NUMBER)
    if b == "bigint":
        # BIGINT UNSIGNED max (2^64-1) does not fit a long: bigint.unsigned.handling.mode=precise.
        return LakeType("decimal", 20, 0, wire=WIRE_DECIMAL_STRING) if t.unsigned else LakeType("long", wire=WIRE_NUMBER)
    if b == "decimal":
        p, s = t.precision or 10, t.scale
        if p > SPARK_MAX_DECIMAL_PRECISION:
            # Spark decimals stop at 38 digits; keep the exact digits as text instead of rounding.
            return LakeType("string", wire=WIRE_DECIMAL_STRING)
        return LakeType("decimal", p, s, wire=WIRE_DECIMAL_STRING)
    if b in ("float", "double"):
        return LakeType("double", wire=WIRE_NUMBER)
    if b == "boolean":
        return LakeType("int", wire=WIRE_NUMBER)  # MySQL BOOLEAN is TINYINT(1)
    if b == "bit":
        n = t.precision or 1
        return LakeType("boolean", wire=WIRE_BOOLEAN) if n == 1 else LakeType("binary", wire=WIRE_BASE64)
    if b in ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"):
        return LakeType("string", wire=WIRE_STRING)
    if b in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"):
        return LakeType("binary", wire=WIRE_BASE64)
    if b == "date":
        return LakeType("date", wire=WIRE_EPOCH_DAYS)
    if b == "datetime":
        fsp = t.precision or 0
        return LakeType("timestamp_ntz", wire=WIRE_EPOCH_MICROS if fsp > 3 else WIRE_EPOCH_MILLIS)
    if b == "timestamp":
        return LakeType("timestamp", wire=WIRE_ZONED_STRING)
    if b == "time":
        return LakeType("long", wire=WIRE_MICROS)
    if b in ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"):
        return LakeType("binary", wire="geometry")
    raise ContractError(f"MySQL type {t} has no lake mapping", next_step="add it to lakehouse_schemas/types.py", type=str(t))
