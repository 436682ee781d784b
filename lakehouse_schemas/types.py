"""MySQL column types: parsed once (``parse_mysql_type``) and mapped to a logical lake type (``lake_type``),
plus the Debezium wire encodings (``WIRE_*``, ``wire_encoding``) the decoders read them in.

The full table, with examples and losses, is docs/types.md.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from cdc.errors import ContractError

_TYPE_RE = re.compile(r"^\s*([a-zA-Z ]+?)\s*(?:\(([^)]*)\))?\s*(unsigned)?\s*(zerofill)?\s*$", re.IGNORECASE)


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


# Logical lake types. Spark/Hudi types are in spark_jobs.schema; this keeps `cdc` free of pyspark.
@dataclass(frozen=True)
class LakeType:
    kind: str  # int, long, decimal, double, float, boolean, string, binary, date, timestamp_ntz, timestamp
    precision: int | None = None
    scale: int | None = None
    wire: str = "json"  # the Debezium JSON encoding under CONNECTOR_MODES: see WIRE_* and wire_encoding()


@dataclass(frozen=True)
class LakeKind:
    """One logical lake type and its name in every engine that reads the lake: the one type map.

    ``spark``: pyspark's ``DataType.typeName()`` (spark_jobs/schema.py builds the Spark type from it, so
    this module needs no pyspark); ``hive``: the Glue/Hive column type Athena reads; ``trino``: the type
    Athena (Trino) reports in query results; ``python``: the Python type of a value (reconcile, Athena rows).
    """

    name: str
    spark: str
    hive: str
    trino: str
    python: type


LAKE_KINDS: dict[str, LakeKind] = {
    k.name: k
    for k in (
        LakeKind("string", "string", "string", "varchar", str),
        LakeKind("int", "integer", "int", "integer", int),
        LakeKind("long", "long", "bigint", "bigint", int),
        LakeKind("float", "float", "float", "real", float),
        LakeKind("double", "double", "double", "double", float),
        LakeKind("boolean", "boolean", "boolean", "boolean", bool),
        LakeKind("binary", "binary", "binary", "varbinary", bytes),
        LakeKind("date", "date", "date", "date", datetime.date),
        LakeKind("timestamp", "timestamp", "timestamp", "timestamp", datetime.datetime),
        # A wall clock: Hive/Glue has one timestamp type; Athena reads both as UTC (docs/types.md).
        LakeKind("timestamp_ntz", "timestamp_ntz", "timestamp", "timestamp", datetime.datetime),
        LakeKind("decimal", "decimal", "decimal", "decimal", Decimal),
    )
}


def hive_type(t: LakeType) -> str:
    """The Glue/Hive column type of a lake type."""
    if t.kind == "decimal":
        return f"decimal({t.precision},{t.scale})"
    return LAKE_KINDS[t.kind].hive


# Debezium JSON encodings. Which one a column arrives in depends on its MySQL type and the
# connector's type-handling modes (DebeziumModes); the lake type never does.
WIRE_NUMBER = "number"
WIRE_STRING = "string"
WIRE_DECIMAL_STRING = "decimal_string"  # decimal.handling.mode=string: "12.30"
WIRE_DECIMAL_NUMBER = "decimal_number"  # precise + value.converter.decimal.format=NUMERIC: 12.30
WIRE_DECIMAL_BASE64 = "decimal_base64"  # precise + decimal.format=BASE64: unscaled two's complement bytes
WIRE_DECIMAL_DOUBLE = "decimal_double"  # decimal.handling.mode=double: lossy by Debezium's design
WIRE_UNSIGNED_LONG = "unsigned_long"  # bigint.unsigned.handling.mode=long: 2^63..2^64-1 arrive negative
WIRE_BASE64 = "base64"  # bytes, in the binary.handling.mode's text form
WIRE_BITS = "bits"  # BIT(n>1): io.debezium.data.Bits, little-endian bytes
WIRE_EPOCH_DAYS = "epoch_days"
WIRE_EPOCH_MILLIS = "epoch_millis"  # io.debezium.time.Timestamp / Connect Timestamp
WIRE_EPOCH_MICROS = "epoch_micros"  # io.debezium.time.MicroTimestamp (DATETIME(4..6))
WIRE_ZONED_STRING = "zoned_string"  # io.debezium.time.ZonedTimestamp (TIMESTAMP), always UTC text
WIRE_MICROS = "micros"  # io.debezium.time.MicroTime (TIME)
WIRE_MILLIS_TIME = "millis_time"  # io.debezium.time.Time / Connect Time (TIME, adaptive 0..3 or connect)
WIRE_BOOLEAN = "boolean"
WIRE_GEOMETRY = "geometry"  # {"wkb": <bytes>, "srid": n}
WIRE_SRID = "srid"  # the srid field of a geometry struct; no SRID (srid null) is SRID 0

SPARK_MAX_DECIMAL_PRECISION = 38
# MySQL keeps the zero TIMESTAMP ('0000-00-00 00:00:00') as epoch 0, which is outside TIMESTAMP's
# range (from 1970-01-01 00:00:01 UTC): Debezium's binlog reader then sends the epoch, its snapshot
# reader null. Both become NULL in the lake, like every other zero date.
ZERO_TIMESTAMP_EPOCH = "1970-01-01T00:00:00Z"
# YEAR 0000: Debezium's binlog reader sends 1900 (not a valid YEAR); the lake keeps 0.
YEAR_ZERO_ON_WIRE = 1900


@dataclass(frozen=True)
class DebeziumModes:
    """The connector's type-handling settings; the decoders accept every combination listed here."""

    decimal_handling: str = "string"  # precise | string | double
    decimal_format: str = "numeric"  # value.converter.decimal.format: numeric | base64 (only with precise)
    time_precision: str = "adaptive_time_microseconds"  # adaptive | adaptive_time_microseconds | connect
    bigint_unsigned: str = "precise"  # precise | long
    binary_handling: str = "base64"  # base64 | base64-url-safe | hex

    def __post_init__(self) -> None:
        allowed = {
            "decimal_handling": ("precise", "string", "double"),
            "decimal_format": ("numeric", "base64"),
            "time_precision": ("adaptive", "adaptive_time_microseconds", "connect"),
            "bigint_unsigned": ("precise", "long"),
            "binary_handling": ("base64", "base64-url-safe", "hex"),
        }
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ContractError(
                    f"unsupported Debezium mode {name}={getattr(self, name)!r}", next_step=f"use one of {values}", mode=name
                )

    @classmethod
    def from_connector_config(cls, config: dict[str, str]) -> DebeziumModes:
        return cls(
            decimal_handling=config.get("decimal.handling.mode", "precise"),
            decimal_format=config.get("value.converter.decimal.format", "BASE64").lower(),
            time_precision=config.get("time.precision.mode", "adaptive_time_microseconds"),
            bigint_unsigned=config.get("bigint.unsigned.handling.mode", "long"),
            binary_handling=config.get("binary.handling.mode", "bytes").replace("bytes", "base64"),
        )


# What cdc.capture.debezium renders (and the docs' table describes). The decoders default to these.
CONNECTOR_MODES = DebeziumModes()
CONNECTOR_TYPE_SETTINGS = {
    "decimal.handling.mode": CONNECTOR_MODES.decimal_handling,
    "time.precision.mode": CONNECTOR_MODES.time_precision,
    "bigint.unsigned.handling.mode": CONNECTOR_MODES.bigint_unsigned,
    "binary.handling.mode": CONNECTOR_MODES.binary_handling,
    # BIGINT UNSIGNED (precise) is a Connect Decimal: a bare JSON number, not base64 bytes.
    "value.converter.decimal.format": CONNECTOR_MODES.decimal_format.upper(),
    # YEAR 0000: the JDBC drivers read YEAR as a java.sql.Date by default and fail on it during the
    # snapshot; Debezium's time adjuster would turn 0 into 2000. The year number passes through as is.
    "driver.yearIsDateType": "false",
    "enable.time.adjuster": "false",
    # Debezium skips truncates by default; the lake applies them (the table is emptied as of the truncate).
    "skipped.operations": "none",
}

# The lake keeps a geometry column's SRID in a sibling INT column named <column>__srid (docs/types.md,
# "Spatial values"). It has no MySQL type of its own: "srid" is this module's name for it, never a source type.
SRID_TYPE = "srid"
SRID_SUFFIX = "__srid"
GEOMETRY_TYPES = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection")
TEXT_TYPES = ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json")
BINARY_TYPES = ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob")


def lake_type(t: MySQLType) -> LakeType:
    """The lake type of a MySQL type (independent of the connector modes), with its default wire form."""
    kind, precision, scale = _lake_kind(t)
    return LakeType(kind, precision, scale, wire=wire_encoding(t, CONNECTOR_MODES))


def _lake_kind(t: MySQLType) -> tuple[str, int | None, int | None]:
    b = t.base
    if b in ("tinyint", "smallint", "mediumint", "year", "boolean", SRID_TYPE):
        return "int", None, None  # MySQL BOOLEAN is TINYINT(1): 0/1 (and any other tinyint) as stored
    if b == "int":
        return ("long" if t.unsigned else "int"), None, None
    if b == "bigint":
        # BIGINT UNSIGNED max (2^64-1) does not fit a long.
        return ("decimal", 20, 0) if t.unsigned else ("long", None, None)
    if b == "decimal":
        p, s = t.precision or 10, t.scale
        if p > SPARK_MAX_DECIMAL_PRECISION:
            # Spark decimals stop at 38 digits; keep the exact digits as text instead of rounding.
            return "string", None, None
        return "decimal", p, s
    if b == "float":
        # FLOAT(p) with p > 24 is a DOUBLE in MySQL; plain FLOAT is a 4-byte float, kept as one.
        return ("double" if (t.precision or 0) > 24 and len(t.args) == 1 else "float"), None, None
    if b == "double":
        return "double", None, None
    if b == "bit":
        # BIT(1) is a flag; BIT(n) keeps MySQL's own bytes (big-endian, ceil(n/8) of them, as SELECT returns them).
        return ("boolean" if (t.precision or 1) == 1 else "binary"), None, None
    if b in TEXT_TYPES:
        return "string", None, None
    if b in BINARY_TYPES or b in GEOMETRY_TYPES:
        return "binary", None, None  # geometry: OGC WKB, as ST_AsBinary returns it
    if b == "date":
        return "date", None, None
    if b == "datetime":
        return "timestamp_ntz", None, None  # a wall clock
    if b == "timestamp":
        return "timestamp", None, None  # an instant (UTC)
    if b == "time":
        return "long", None, None  # microseconds, signed: TIME spans -838:59:59 .. 838:59:59
    raise ContractError(f"MySQL type {t} has no lake mapping", next_step="add it to lakehouse_schemas/types.py", type=str(t))


def wire_encoding(t: MySQLType, modes: DebeziumModes = CONNECTOR_MODES) -> str:
    """How Debezium's JsonConverter (schemas on or off) puts a value of ``t`` into JSON under ``modes``."""
    b = t.base
    kind, _, _ = _lake_kind(t)
    if b == "bigint" and t.unsigned:
        if modes.bigint_unsigned == "long":
            return WIRE_UNSIGNED_LONG
        return WIRE_DECIMAL_BASE64 if modes.decimal_format == "base64" else WIRE_DECIMAL_NUMBER
    if b == "decimal":
        if modes.decimal_handling == "string":
            return WIRE_DECIMAL_STRING
        if modes.decimal_handling == "double":
            return WIRE_DECIMAL_DOUBLE
        return WIRE_DECIMAL_BASE64 if modes.decimal_format == "base64" else WIRE_DECIMAL_NUMBER
    if b == "bit":
        return WIRE_BOOLEAN if kind == "boolean" else WIRE_BITS
    if b in BINARY_TYPES:
        return WIRE_BASE64
    if b in GEOMETRY_TYPES:
        return WIRE_GEOMETRY
    if b == SRID_TYPE:
        return WIRE_SRID
    if b in TEXT_TYPES:
        return WIRE_STRING
    if b == "date":
        return WIRE_EPOCH_DAYS
    if b == "datetime":
        fsp = t.precision or 0
        if modes.time_precision == "connect" or fsp <= 3:
            return WIRE_EPOCH_MILLIS
        return WIRE_EPOCH_MICROS
    if b == "timestamp":
        return WIRE_ZONED_STRING
    if b == "time":
        fsp = t.precision or 0
        if modes.time_precision == "connect" or (modes.time_precision == "adaptive" and fsp <= 3):
            return WIRE_MILLIS_TIME
        return WIRE_MICROS
    return WIRE_NUMBER
