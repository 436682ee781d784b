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

from cdc.access.pii import MASK_SUFFIX, lake_view, pii_key, protect_rows
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.types import GEOMETRY_TYPES
from spark_jobs.lake import completed_instants, has_commits, read_table


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

    chunks: int = 0  # key-range chunks of the table (chunked reconcile); 0: compared as a whole
    chunks_checked: int = 0  # chunks whose checksums were compared (fewer than ``chunks`` with --sample)
    chunks_differing: int = 0  # chunks whose checksums differ, compared row by row
    unexplained_chunks: int = 0  # checksums differ, yet no row differs and none is in flight

    @property
    def equal(self) -> bool:
        return not (
            self.missing_in_lake or self.extra_in_lake or self.different or self.hash_mismatches or self.unexplained_chunks
        )

    def summary(self, limit: int = 5) -> str:
        flight = f" ({self.in_flight} in flight)" if self.in_flight else ""
        if self.chunks:
            sampled = f", sample of {self.chunks_checked}/{self.chunks} chunks" if self.chunks_checked < self.chunks else ""
            flight += f" [{self.chunks} chunk(s){sampled}, {self.chunks_differing} compared row by row]"
        if self.equal:
            return f"{self.table}: {self.source_rows} rows, equal{flight}"
        unexplained = f"{self.unexplained_chunks} chunk checksum(s) differ with no differing row; " if self.unexplained_chunks else ""
        return (
            f"{self.table}: source {self.source_rows} rows, lake {self.lake_rows}{flight}; {unexplained}"
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
            cols = ", ".join(f"{_sql_select(c)} AS `{c.name}`" for c in view.columns)
            cur.execute(f"SELECT {cols} FROM `{contract.database}`.`{contract.table}`")
            rows[contract.qualified_source] = _keyed(view, protect_rows(view, cur.fetchall(), key))
        cur.execute("COMMIT")
    return SourceSnapshot(file, pos, gtid, rows)


def _sql_select(c) -> str:
    """The source's value of lake column ``c``: geometry as WKB and its SRID (a plain SELECT gives MariaDB's SRID + WKB form)."""
    if c.srid_of:
        return f"ST_SRID(`{c.wire_name}`)"
    if c.is_geometry:
        return f"ST_AsBinary(`{c.wire_name}`)"
    return f"`{c.wire_name}`"


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
            # Equal means the same value of the same type: 1 is not 1.0 or Decimal(1), a wall clock not an instant.
            if a != b or type(a) is not type(b):
                diff.different.append((k, c.name, a, b))
    return diff


# --- Canonical text: one definition, rendered in SQL (MariaDB and MySQL) and in Spark -------------
#
# Every compared cell becomes a text that both sides render byte for byte the same; a row's text is
# its cells, each as ``<characters>:<text>`` or ``N`` for NULL (so NULL, '' and 'NULL' differ and no
# value can run into the next one). A row digest is the MD5 of that text; a chunk's checksum is its
# row count and the XOR of two 32-bit words of every row digest.

FLOAT_KINDS = ("float", "double")
MANTISSA = 4503599627370496  # 2**52: a double's mantissa as an exact integer


def _sql_float(x: str) -> str:
    # Exact, and independent of how either side prints a double: sign, 53-bit mantissa, power of two.
    # LOG2 may be off by one next to a power of two on either side, so the exponent is corrected.
    a = f"ABS({x})"
    e0 = f"FLOOR(LOG2({a}))"
    e = f"({e0} + IF({a} * POW(2, -{e0}) >= 2, 1, IF({a} * POW(2, -{e0}) < 1, -1, 0)))"
    m = f"CAST({a} * POW(2, -{e}) * {MANTISSA} AS DECIMAL(20,0))"
    return f"IF({x} = 0, '0', CONCAT(IF({x} < 0, '-', ''), {m}, 'p', {e}))"


def _spark_float(x):
    a = F.abs(x)
    e0 = F.floor(F.log2(a))
    scaled = a * F.pow(F.lit(2.0), -e0)
    e = e0 + F.when(scaled >= 2, 1).when(scaled < 1, -1).otherwise(0)
    m = (a * F.pow(F.lit(2.0), -e) * F.lit(float(MANTISSA))).cast("decimal(20,0)").cast("string")
    text = F.concat(F.when(x < 0, "-").otherwise(""), m, F.lit("p"), e.cast("string"))
    return F.when(x.isNull(), None).when(x == 0, "0").otherwise(text)


def sql_text(c, pii: tuple[bytes, bytes] | None = None) -> str:
    """The canonical text of column ``c`` as a MariaDB/MySQL expression (session time_zone +00:00)."""
    col = f"`{c.wire_name}`"
    t, base = c.lake_type, c.mysql_type.base
    if base in GEOMETRY_TYPES:
        return f"HEX(ST_AsBinary({col}))"  # a plain SELECT returns the server's SRID + WKB form
    if c.srid_of:  # the lake's SRID column of geometry column ``col``
        return f"CAST(ST_SRID({col}) AS CHAR)"
    if base == "bit" and t.kind == "binary":  # HEX of a BIT is of its number: pad to the lake's ceil(n/8) bytes
        return f"LPAD(HEX({col}), {2 * (((c.mysql_type.precision or 1) + 7) // 8)}, '0')"
    if t.kind == "binary":
        return f"HEX({col})"
    if t.kind == "boolean" or base == "year":
        return f"CAST({col} + 0 AS CHAR)"
    if base == "time":
        micros = f"(HOUR({col}) * 3600000000 + MINUTE({col}) * 60000000 + SECOND({col}) * 1000000 + MICROSECOND({col}))"
        return f"CAST(IF({col} < 0, -1, 1) * {micros} AS CHAR)"
    if t.kind in FLOAT_KINDS:
        return _sql_float(f"({col} + 0E0)")
    if t.kind in ("int", "long", "decimal") or base == "decimal":
        return f"CAST({col} AS CHAR)"
    zero = f"CAST({col} AS CHAR) LIKE '0000-00-00%'"  # zero dates are NULL in the lake (docs/types.md)
    if t.kind == "date":
        return f"IF({zero}, NULL, DATE_FORMAT({col}, '%Y-%m-%d'))"
    if t.kind == "timestamp_ntz":
        return f"IF({zero}, NULL, DATE_FORMAT({col}, '%Y-%m-%d %H:%i:%s.%f'))"
    if t.kind == "timestamp":
        return f"IF({zero}, NULL, CAST(CAST(UNIX_TIMESTAMP({col}) * 1000000 AS DECIMAL(24,0)) AS CHAR))"
    text = f"CONVERT({col} USING utf8mb4)"  # CHAR/TEXT/ENUM/SET/JSON and DECIMAL wider than 38: the text
    if c.pii == "mask":
        return f"CONCAT(LEFT({text}, 1), '{MASK_SUFFIX}')"
    if c.pii == "hash" and pii:
        ipad, opad = pii
        inner = f"UNHEX(SHA2(CONCAT(UNHEX('{ipad.hex()}'), {text}), 256))"
        return f"SHA2(CONCAT(UNHEX('{opad.hex()}'), {inner}), 256)"
    return text


def spark_text(c, df_columns) -> Any:
    """The canonical text of column ``c`` of a lake table, as a Spark expression (same bytes as ``sql_text``)."""
    t = c.lake_type
    if c.name not in df_columns:  # the contract has it, the lake table not yet: NULL, a difference
        return F.lit(None).cast("string")
    x = F.col(f"`{c.name}`")
    if t.kind == "binary":
        return F.hex(x)
    if t.kind == "boolean":
        return x.cast("int").cast("string")
    if t.kind in FLOAT_KINDS:
        return _spark_float(x.cast("double"))
    if t.kind == "date":
        return F.date_format(x, "yyyy-MM-dd")
    if t.kind == "timestamp_ntz":
        return F.date_format(x, "yyyy-MM-dd HH:mm:ss.SSSSSS")
    if t.kind == "timestamp":
        return F.unix_micros(x).cast("string")
    if t.kind == "decimal":
        return _spark_decimal(x, t.scale)
    return x.cast("string")


def _spark_decimal(x, scale: int):
    # A cast prints 0E-10 and -1E-10; SQL prints the plain digits with every digit of the scale.
    # format_number formats the exact BigDecimal (US grouping commas, removed here).
    return F.regexp_replace(F.format_number(x, scale), ",", "")


def _sql_cell(text: str) -> str:
    return f"COALESCE(CONCAT(CHAR_LENGTH({text}), ':', {text}), 'N')"


def _spark_cell(text):
    return F.coalesce(F.concat(F.length(text).cast("string"), F.lit(":"), text), F.lit("N"))


def sql_row_text(columns, pii=None) -> str:
    return "CONCAT(" + ", ".join(_sql_cell(sql_text(c, pii)) for c in columns) + ")"


def spark_row_text(columns, df_columns):
    return F.concat(*[_spark_cell(spark_text(c, df_columns)) for c in columns])


# --- Chunks of key ranges ---------------------------------------------------------------------------

CHUNK_ROWS = 50_000
CHUNKABLE = ("int", "long", "decimal", "date", "string")


def _key_columns(contract: TableContract):
    by_name = {c.name: c for c in contract.columns}
    return [by_name[k] for k in contract.key]


def chunkable(contract: TableContract) -> bool:
    """Keys of these lake kinds order the same in SQL and Spark (strings compared as bytes on both sides)."""
    return all(c.lake_type.kind in CHUNKABLE for c in _key_columns(contract))


def _sql_key(c) -> str:
    # Strings by their bytes: the server's collation (case-insensitive, accent folding) is not Spark's order.
    return f"CAST(`{c.wire_name}` AS BINARY)" if c.lake_type.kind == "string" else f"`{c.wire_name}`"


def _sql_after(keys, bound) -> tuple[str, list]:
    """``key > bound`` (lexicographic over a composite key), with parameters."""
    if bound is None:
        return "1=1", []
    cols = [_sql_key(c) for c in keys]
    if len(cols) == 1:
        return f"{cols[0]} > %s", [_sql_param(keys[0], bound[0])]
    return f"({', '.join(cols)}) > ({', '.join(['%s'] * len(cols))})", [_sql_param(c, v) for c, v in zip(keys, bound, strict=True)]


def _sql_param(c, v):
    return v.encode("utf-8") if c.lake_type.kind == "string" and isinstance(v, str) else v


def _sql_range(keys, lo, hi) -> tuple[str, list]:
    after, p1 = _sql_after(keys, lo)
    if hi is None:
        return after, p1
    upto, p2 = _sql_after(keys, hi)
    return f"{after} AND NOT ({upto})", p1 + p2


def _spark_gt(keys, bound):
    """``key > bound`` over the lake's key columns (strings compare by UTF-8 bytes in Spark)."""
    cond = None
    for i in reversed(range(len(keys))):
        col = F.col(f"`{keys[i].name}`")
        here = col > F.lit(bound[i])
        cond = here if cond is None else here | ((col == F.lit(bound[i])) & cond)
    return cond


def _spark_chunk_id(keys, bounds: list[tuple]):
    """Index of the chunk a lake row falls in: a balanced tree of comparisons, log2(chunks) deep."""

    def build(lo: int, hi: int):
        if lo == hi:
            return F.lit(lo)
        mid = (lo + hi) // 2
        return F.when(~_spark_gt(keys, bounds[mid]), build(lo, mid)).otherwise(build(mid + 1, hi))

    return build(0, len(bounds))


def source_bounds(cur, contract: TableContract, chunk_rows: int) -> list[tuple]:
    """Upper keys of every chunk but the last, read as every ``chunk_rows``-th key (an index range scan each)."""
    keys = _key_columns(contract)
    order = ", ".join(_sql_key(c) for c in keys)
    names = ", ".join(f"`{c.wire_name}`" for c in keys)
    bounds: list[tuple] = []
    while True:
        where, params = _sql_after(keys, bounds[-1] if bounds else None)
        cur.execute(
            f"SELECT {names} FROM `{contract.database}`.`{contract.table}` WHERE {where} ORDER BY {order} LIMIT 1 OFFSET %s",
            [*params, chunk_rows - 1],
        )
        row = cur.fetchone()
        if row is None:
            return bounds
        bounds.append(tuple(v.decode("utf-8") if isinstance(v, bytes | bytearray) else v for v in row))


def pick_sample(table: str, chunks: int, fraction: float | None) -> list[int]:
    """A deterministic sample of chunk indexes (the same every run), at least one chunk."""
    if fraction is None or fraction >= 1:
        return list(range(chunks))
    import zlib

    scores = sorted((zlib.crc32(f"{table}/{i}".encode()), i) for i in range(chunks))
    n = max(1, round(chunks * fraction))
    return sorted(i for _, i in scores[:n])


@dataclass(frozen=True)
class ChunkSum:
    rows: int
    x1: int
    x2: int
    in_flight: int = 0


def _sql_chunk_sum(cur, contract, view, where, params, pii) -> ChunkSum:
    digest = _escaped(f"MD5({sql_row_text(view.columns, pii)})")
    cur.execute(
        "SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT(h, 8), 16, 10) AS UNSIGNED)), 0), "
        "COALESCE(BIT_XOR(CAST(CONV(SUBSTRING(h, 9, 8), 16, 10) AS UNSIGNED)), 0) "
        f"FROM (SELECT {digest} AS h FROM `{contract.database}`.`{contract.table}` WHERE {where}) AS d",
        params,
    )
    n, x1, x2 = cur.fetchone()
    return ChunkSum(int(n), int(x1), int(x2))


def _lake_chunk_sums(df, view, keys, bounds, chosen: list[int], newer_than: str | None) -> dict[int, ChunkSum]:
    from cdc.events import META_POS

    h = F.md5(spark_row_text(view.columns, df.columns))
    flight = (F.col(META_POS) >= F.lit(newer_than)).cast("int") if newer_than else F.lit(0)
    rows = df.select(_spark_chunk_id(keys, bounds).alias("_chunk"), h.alias("_h"), flight.alias("_flight"))
    if len(chosen) <= len(bounds):
        rows = rows.where(F.col("_chunk").isin(chosen))
    agg = rows.groupBy("_chunk").agg(
        F.count(F.lit(1)).alias("n"),
        F.bit_xor(F.conv(F.substring("_h", 1, 8), 16, 10).cast("long")).alias("x1"),
        F.bit_xor(F.conv(F.substring("_h", 9, 8), 16, 10).cast("long")).alias("x2"),
        F.sum("_flight").alias("f"),
    )
    return {r["_chunk"]: ChunkSum(r["n"], r["x1"], r["x2"], int(r["f"] or 0)) for r in agg.collect()}


def _escaped(sql: str) -> str:
    # Queries with parameters: the driver formats them with %, so DATE_FORMAT's % must be doubled.
    return sql.replace("%", "%%")


def _texts(rows) -> list[tuple]:
    # A text the server types as binary (an expression over a binary string) arrives as bytes.
    return [tuple(v.decode("utf-8") if isinstance(v, bytes | bytearray) else v for v in r) for r in rows]


def _key_value(c, text):
    return int(text) if text is not None and c.lake_type.kind in ("int", "long") else text


def _chunk_rows_compare(cur, df, contract, view, keys, where, params, chunk_filter, newer_than, pii):
    """One differing chunk, row by row, as canonical texts: (source rows, lake rows, in-flight keys)."""
    from cdc.events import META_POS

    kidx = [i for i, c in enumerate(view.columns) if c.name in view.key]
    cols = _escaped(", ".join(sql_text(c, pii) for c in view.columns))
    cur.execute(f"SELECT {cols} FROM `{contract.database}`.`{contract.table}` WHERE {where}", params)

    def keyed(rows):
        return {tuple(_key_value(view.columns[i], r[i]) for i in kidx): tuple(r) for r in rows}

    src = keyed(_texts(cur.fetchall()))
    texts = [spark_text(c, df.columns).alias(f"_c{i}") for i, c in enumerate(view.columns)]
    pos = F.col(META_POS) if newer_than else F.lit(None).cast("string")
    lake_all = [tuple(r) for r in df.where(chunk_filter).select(*texts, pos.alias("_pos")).collect()]
    flight = {k for k, r in keyed(lake_all).items() if newer_than and r[-1] >= newer_than}
    lake = {k: r[:-1] for k, r in keyed(lake_all).items() if k not in flight}
    return {k: v for k, v in src.items() if k not in flight}, lake, flight


def reconcile(
    spark: SparkSession,
    settings: Settings,
    contracts: list[TableContract],
    *,
    sample: float | None = None,
    chunk_rows: int = CHUNK_ROWS,
    log=None,
) -> list[TableDiff]:
    """Compare every current-state table in chunks of key ranges, the source read in one consistent snapshot.

    Per chunk, the source computes a checksum in SQL and the lake the same checksum in Spark; only
    chunks whose checksums differ are read row by row (memory bounded by ``chunk_rows``). Lake rows
    changed at or after the snapshot's binlog position are in flight and left out on both sides.
    ``sample`` (0..1): a deterministic sample of the chunks. Append-only tables (a change log, no
    current state) are not compared: see docs/guarantees.md.
    """
    import time

    from cdc.access.pii import pads

    log = log or (lambda m: None)
    contracts = [c for c in contracts if c.mode == "current_state"]
    key = pii_key(settings) if any(c.pii == "hash" for t in contracts for c in t.columns) else None
    pii = pads(key) if key else None
    diffs = []
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute("SET NAMES utf8mb4")
        cur.execute("SET time_zone = '+00:00'")  # TIMESTAMP columns as UTC instants, like the lake
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        file, pos, gtid = _snapshot_position(cur)
        newer_than = SourceSnapshot(file, pos, gtid, {}).sort_key if file else None
        log(f"source read at {file}:{pos} (gtid {gtid}); lake rows changed after it are in flight")
        for contract in contracts:
            view = comparable_view(contract)
            keys = _key_columns(view)
            bounds = source_bounds(cur, view, chunk_rows) if chunkable(view) else []
            chunks = len(bounds) + 1
            chosen = pick_sample(view.qualified_source, chunks, sample)
            diff = TableDiff(view.qualified_source, 0, 0, chunks=chunks, chunks_checked=len(chosen))
            path = contract.table_path(settings.lake_root)
            # Every read of this table below sees one lake snapshot: its newest completed commit now. The job
            # commits while reconcile runs, and a plain read resolves the schema and lists the files in two
            # steps: a commit widening a column between them gives an INT32 schema over an INT64 file.
            instants = completed_instants(spark, path)
            df = read_table(spark, contract, settings.lake_root, as_of=instants[-1]) if instants else None
            lake_sums = _lake_chunk_sums(df, view, keys, bounds, chosen, newer_than) if df is not None else {}
            started = last = time.monotonic()
            for n, i in enumerate(chosen, 1):
                lo = bounds[i - 1] if i > 0 else None
                hi = bounds[i] if i < len(bounds) else None
                where, params = _sql_range(keys, lo, hi)
                src_sum = _sql_chunk_sum(cur, contract, view, where, params, pii)
                lake_sum = lake_sums.get(i, ChunkSum(0, 0, 0))
                diff.source_rows += src_sum.rows
                diff.lake_rows += lake_sum.rows
                if (src_sum.rows, src_sum.x1, src_sum.x2) != (lake_sum.rows, lake_sum.x1, lake_sum.x2):
                    diff.chunks_differing += 1
                    _compare_chunk(cur, df, view, keys, bounds, i, where, params, newer_than, pii, diff, contract)
                if time.monotonic() - last > 10:
                    last = time.monotonic()
                    log(f"  {view.qualified_source}: chunk {n}/{len(chosen)}, {diff.source_rows} source rows, {last - started:.0f}s")
            diffs.append(diff)
        cur.execute("COMMIT")
    return diffs


def _compare_chunk(cur, df, view, keys, bounds, i, where, params, newer_than, pii, diff: TableDiff, contract) -> None:
    if df is None:  # no lake table yet: every source row of the chunk is missing
        kidx = [j for j, c in enumerate(view.columns) if c.name in view.key]
        cur.execute(f"SELECT {_escaped(', '.join(sql_text(c, pii) for c in view.columns))} FROM `{contract.database}`.`{contract.table}` WHERE {where}", params)
        src, lake, flight = {tuple(_key_value(view.columns[j], r[j]) for j in kidx): r for r in _texts(cur.fetchall())}, {}, set()
    else:
        chunk_filter = _spark_chunk_id(keys, bounds) == F.lit(i)
        src, lake, flight = _chunk_rows_compare(cur, df, contract, view, keys, where, params, chunk_filter, newer_than, pii)
    part = compare(view, src, lake, in_flight=len(flight))
    diff.in_flight += part.in_flight
    diff.missing_in_lake += part.missing_in_lake
    diff.extra_in_lake += part.extra_in_lake
    diff.different += part.different
    diff.hash_mismatches += part.hash_mismatches
    if part.equal and not flight:
        diff.unexplained_chunks += 1
