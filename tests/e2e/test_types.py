"""Every MySQL type through the real stack: MariaDB -> Debezium -> Kafka -> Spark -> Hudi.

The type-torture table (tests/fixtures/torture/schema.sql) holds every type with its minimum,
maximum, zero, negative, NULL and maximum-precision values, written in non-UTC session time
zones. After the snapshot and after updates, a primary-key change, deletes and a truncate, the
lake equals the source value for value, compared in Python with exact types (docs/types.md says
which Python/Spark type each MySQL type becomes, and the documented exceptions checked here).
"""

from __future__ import annotations

import os
import struct
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.source import connect, reflect_contracts, table_bytes
from lakehouse_schemas.contract import TableContract, load_contracts
from spark_jobs.lake import read_table
from spark_jobs.schema import lake_spark_type
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql, sql_statements
from tests.support import capture_torture

pytestmark = pytest.mark.e2e

TORTURE = FIXTURES / "torture"


def _select(c) -> str:
    # Geometry as OGC WKB and the SRID apart: a plain SELECT gives MariaDB's SRID + WKB form.
    if c.srid_of:
        return f"ST_SRID(`{c.srid_of}`) AS `{c.name}`"
    return f"ST_AsBinary(`{c.name}`) AS `{c.name}`" if c.is_geometry else f"`{c.name}`"


def _source_rows(settings, contract: TableContract) -> dict[int, dict]:
    cols = ", ".join(_select(c) for c in contract.lake_columns)
    with connect(settings, admin=True, database="torture") as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")  # TIMESTAMP values come back as UTC instants
        cur.execute(f"SELECT {cols} FROM `{contract.table}`")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {r["id"]: r for r in rows}


def _defaults(settings, table: str) -> dict[str, str]:
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='torture' AND TABLE_NAME=%s", (table,)
        )
        return {n: (d or "").strip("'") for n, d in cur.fetchall()}


def _lake_rows(spark, settings, contract: TableContract) -> dict[int, dict]:
    df = read_table(spark, contract, settings.lake_root)
    for c in contract.lake_columns:  # exact lake types, not only equal values
        assert df.schema[c.name].dataType == lake_spark_type(c.lake_type), (c.name, df.schema[c.name].dataType)
    # Instants as epoch microseconds: collected datetimes would be in the driver's local zone.
    sel = [F.unix_micros(c.name).alias(c.name) if c.lake_type.kind == "timestamp" else F.col(c.name) for c in contract.lake_columns]
    return {r["id"]: r.asDict() for r in df.select(*sel, "_cdc_snapshot").collect()}


def _is_zero_date(v) -> bool:
    return isinstance(v, str) and v.startswith("0000-00-00")


def _expected(c, v, *, snapshot: bool, defaults: dict[str, str]):
    """The lake value docs/types.md promises for source value ``v`` of column ``c``."""
    t, mt = c.lake_type, c.mysql_type
    if _is_zero_date(v):
        if c.nullable:
            return None  # zero dates are NULL in the lake
        v = defaults[c.name]  # NOT NULL zero dates: Debezium sends the column default (documented)
        return date.fromisoformat(v) if mt.base == "date" else datetime.fromisoformat(v)
    if v is None:
        return None
    if mt.base == "year" and v == 0 and snapshot:
        return 2000  # YEAR 0000 in the initial snapshot: Debezium reports 2000 (documented limitation)
    if t.kind == "float":
        return struct.unpack("f", struct.pack("f", float(v)))[0]
    if t.kind == "boolean":
        return bool(int.from_bytes(v, "big"))
    if t.kind == "timestamp":
        return (v - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    if mt.base == "time":
        return v // timedelta(microseconds=1)
    if t.kind == "decimal":
        return Decimal(v)
    if mt.base == "decimal":  # wider than 38 digits: the exact plain text, every digit of the scale
        return format(v, "f")
    if t.kind == "binary":
        return bytes(v)
    return v


def _assert_lake_equals_source(spark, settings, contract) -> int:
    src, lake = _source_rows(settings, contract), _lake_rows(spark, settings, contract)
    assert sorted(lake) == sorted(src), f"{contract.table}: keys differ: lake {sorted(lake)} source {sorted(src)}"
    defaults = _defaults(settings, contract.table)
    for k, srow in src.items():
        lrow = lake[k]
        for c in contract.lake_columns:
            want = _expected(c, srow[c.name], snapshot=lrow["_cdc_snapshot"], defaults=defaults)
            got = lrow[c.name]
            got = bytes(got) if isinstance(got, bytearray) else got
            assert got == want, f"{contract.table} id={k} {c.name} ({c.type}): lake {got!r} != source {srow[c.name]!r} (expected {want!r})"
            if want is not None:
                assert type(got) is type(want), (c.name, type(got), type(want))
    return len(src)


def _assert_null_over_default(spark, settings, contract, ids) -> None:
    """Rows ``ids`` hold NULL in every column that has a DEFAULT, in the lake (not the DEFAULT)."""
    lake = _lake_rows(spark, settings, contract)
    for k in ids:
        not_null = {c.name: lake[k][c.name] for c in contract.columns if c.name != "id" and lake[k][c.name] is not None}
        assert not not_null, f"nulldefaults id={k}: NULL arrived as the DEFAULT: {not_null}"


def test_every_type_replicates_exactly(own_capture, spark):
    settings = own_capture("torture", server_id=184077)
    contracts = load_contracts(directory=FIXTURES / "contracts" / "torture")
    by_table = {c.table: c for c in contracts}
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, TORTURE / "schema.sql")
    load_sql_file(settings, TORTURE / "rows.sql")  # session time_zone +05:30
    # `contracts init` records the spatial types as the source has them; the lake derives their SRID columns.
    drafted = next(c for c in reflect_contracts(settings, "torture") if c.table == "alltypes")
    assert {c.name: c.type for c in drafted.columns if c.is_geometry} == {"g": "geometry", "pt": "point", "ls": "linestring", "pg": "polygon"}
    assert [c.name for c in drafted.lake_columns if c.srid_of] == ["g__srid", "pt__srid", "ls__srid", "pg__srid"]
    # A small keyed table is drafted with one hash bucket (its source size from information_schema).
    assert drafted.buckets == 1 and TableContract.draft_buckets(table_bytes(settings, "torture")["alltypes"]) == 1
    dbz.register(settings, contracts)
    pipeline.drain_capture(settings, gtid=run_sql(settings, ["INSERT INTO torture.truncme VALUES (9, 'marker')"]))

    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.dead_letters == 0
    assert _assert_lake_equals_source(spark, settings, by_table["alltypes"]) == 6
    assert _assert_lake_equals_source(spark, settings, by_table["truncme"]) == 3
    assert _assert_lake_equals_source(spark, settings, by_table["nulldefaults"]) == 2
    _assert_null_over_default(spark, settings, by_table["nulldefaults"], ids=(2,))
    snap = _lake_rows(spark, settings, by_table["alltypes"])
    # The SRID is kept beside the WKB: 4326, 3857 and 0 (Debezium leaves SRID 0 out) from the snapshot.
    assert (snap[2]["g__srid"], snap[6]["pg__srid"], snap[1]["ls__srid"], snap[4]["g__srid"]) == (4326, 3857, 0, None)
    _assert_reconcile_equal(spark, settings, contracts)

    # Updates (max -> max-1, emoji, zero dates), a primary-key change, deletes, inserts and a
    # truncate, in session time_zone -08:00.
    gtid = run_sql(settings, sql_statements(TORTURE / "changes.sql"), time_zone="-08:00")
    pipeline.drain_capture(settings, gtid=gtid)
    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.dead_letters == 0 and stats.records >= 11
    n = _assert_lake_equals_source(spark, settings, by_table["alltypes"])
    assert n == 7  # 1, 2, 4, 6, 7, 8, 60 (9: inserted, then deleted)
    # Truncate: rows before it are gone (also ones from the same batch), rows after it are there.
    assert _assert_lake_equals_source(spark, settings, by_table["truncme"]) == 2
    # NULL over a DEFAULT, by UPDATE (1) and INSERT (3); 4 keeps every DEFAULT.
    assert _assert_lake_equals_source(spark, settings, by_table["nulldefaults"]) == 4
    _assert_null_over_default(spark, settings, by_table["nulldefaults"], ids=(1, 2, 3))

    lake = _lake_rows(spark, settings, by_table["alltypes"])
    assert lake[7]["biu"] == Decimal(18446744073709551615)  # BIGINT UNSIGNED max survives
    assert lake[7]["d65"] == "99999999999999999999999999999999999.999999999999999999999999999999"
    assert lake[2]["vc"] == "🎉 updated"
    # Streamed spatial changes: an SRID-only update (same WKB), geometry set to NULL (its SRID too), an insert.
    assert lake[1]["ls"] == snap[1]["ls"] and (snap[1]["ls__srid"], lake[1]["ls__srid"]) == (0, 4326)
    assert all(lake[2][c] is None for c in ("g", "g__srid", "pt", "pt__srid", "ls", "ls__srid", "pg", "pg__srid"))
    assert (lake[8]["g__srid"], lake[8]["pt__srid"], lake[8]["ls__srid"]) == (4326, 3857, 0)
    _assert_reconcile_equal(spark, settings, contracts)
    if os.environ.get("TORTURE_RECAPTURE") == "1":  # the unit fixture from this very run
        capture_torture.capture(settings)


def _assert_reconcile_equal(spark, settings, contracts) -> None:
    """`cdclake reconcile` finds the spatial columns equal (WKB and SRID) and truncme equal.

    The other torture columns hold documented divergences (NOT NULL zero dates, YEAR 0000 in the
    snapshot) that reconcile rightly reports; tests/e2e/test_reconcile_mutations.py covers them all.
    """
    by_table = {c.table: c for c in contracts}
    alltypes = by_table["alltypes"]
    spatial = alltypes.model_copy(update={"columns": tuple(c for c in alltypes.columns if c.name == "id" or c.is_geometry)})
    diffs = pipeline.compare_all(spark, settings, [spatial, by_table["truncme"]])
    assert len(diffs) == 2 and all(d.equal for d in diffs), [d.summary() for d in diffs if not d.equal]
    assert diffs[0].source_rows >= 6
