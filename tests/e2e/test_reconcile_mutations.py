"""Reconcile finds exactly what was planted: one changed cell per column of every table, a missing row,
an extra row, a deleted row brought back and a row that differs only in a NULL.

Chinook and the type-torture table are replicated once through the real stack (MariaDB -> Debezium
-> Kafka -> Spark -> Hudi); reconcile must first find them equal. Then every planted difference is
written into the lake by one real Hudi upsert per table (a mutated copy of a row, on a row of its
own, at the row's own source position, so it is not taken for an in-flight change), and reconcile
must report exactly the planted set of (table, key, column), missing and extra keys, and
`cdclake reconcile` must exit 1 naming them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract, load_contracts
from spark_jobs.lake import read_table
from spark_jobs.reconcile import reconcile
from spark_jobs.upsert import write_table
from tests.e2e.support import assert_reconciled, file_lake
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql

pytestmark = pytest.mark.e2e

TORTURE = FIXTURES / "torture"
COPIES = 60  # torture rows: one of its own for every mutated column


def _mutate(c, x):
    """A different value of the same lake type (never NULL: the NULL case is planted separately)."""
    t = c.lake_type
    if t.kind in ("int", "long"):
        return x.bitwiseXOR(F.lit(1)).cast(t.kind)
    if t.kind == "decimal":
        unit = F.lit(10 ** -t.scale if t.scale else 1).cast(f"decimal({t.precision},{t.scale})")
        return F.when(x > 0, x - unit).otherwise(x + unit).cast(f"decimal({t.precision},{t.scale})")
    if t.kind in ("float", "double"):
        return F.when(x == 0, F.lit(1.0)).otherwise(-x).cast(t.kind)
    if t.kind == "boolean":
        return ~x
    if t.kind == "binary":
        return F.concat(x, F.lit(bytearray(b"\x01")))
    if t.kind == "date":
        return F.date_sub(x, 1)
    if t.kind in ("timestamp", "timestamp_ntz"):
        return x - F.expr("INTERVAL 1 SECOND")
    return F.concat(x, F.lit("1"))


def _lake_df(spark, settings, contract: TableContract):
    df = read_table(spark, contract, settings.lake_root)
    return df.select(*[c for c in df.columns if not c.startswith("_hoodie_") or c == H.DELETE_MARKER_COLUMN])


def _plant(spark, settings, contract: TableContract, *, extra_cases: bool):
    """Write one mutated cell per non-key column (plus the row cases); return what reconcile must report.

    Each cell is on a row of its own while the table has rows enough (Employee has 8 rows for 14
    columns: there a row carries several mutated cells, each still reported on its own).
    """
    df = _lake_df(spark, settings, contract)
    key = list(contract.key)
    # A PII column the lake drops has no cell to plant in (reconcile leaves it out on both sides).
    # lake_columns: geometry columns and their SRID columns too (a planted WKB and a planted SRID difference).
    values = [c for c in contract.lake_columns if c.name not in contract.key and c.pii != "drop"]
    rows = df.select(*key, *[F.col(c.name).isNotNull().alias(c.name) for c in values]).orderBy(*key).collect()
    uses: dict[tuple, list] = {}
    special: set[tuple] = set()

    def take(pred, *, alone=False):
        fits = [r for r in rows if tuple(r[k] for k in key) not in special and pred(r)]
        row = min(fits, key=lambda r: len(uses.get(tuple(r[k] for k in key), ()))) if not alone else next(
            r for r in fits if tuple(r[k] for k in key) not in uses
        )
        return tuple(row[k] for k in key)

    def where(k):
        cond = F.lit(True)
        for name, v in zip(key, k, strict=True):
            cond = cond & (F.col(name) == F.lit(v))
        return cond

    t = contract.qualified_source
    planted_cells, parts, missing, extra = set(), [], set(), set()
    if extra_cases:  # rows of their own, before the cells take theirs
        nullable = next(c for c in values if c.nullable)
        k = take(lambda r: r[nullable.name], alone=True)
        special.add(k)
        parts.append(df.where(where(k)).withColumn(nullable.name, F.lit(None).cast(df.schema[nullable.name].dataType)))
        planted_cells.add((t, k, nullable.name))
        k = take(lambda r: True, alone=True)
        special.add(k)
        parts.append(df.where(where(k)).withColumn(H.DELETE_MARKER_COLUMN, F.lit(True)))
        missing.add((t, k))
        new_key = tuple(v + 1_000_000 for v in k)
        copy = df.where(where(k))
        for name, v in zip(key, new_key, strict=True):
            copy = copy.withColumn(name, F.lit(v).cast(df.schema[name].dataType))
        parts.append(copy)
        extra.add((t, new_key))
    for c in values:
        k = take(lambda r, c=c: r[c.name])
        uses.setdefault(k, []).append(c)
        planted_cells.add((t, k, c.name))
    for k, cols in uses.items():
        part = df.where(where(k))
        for c in cols:
            part = part.withColumn(c.name, _mutate(c, F.col(c.name)))
        parts.append(part)
    batch = parts[0]
    for p in parts[1:]:
        batch = batch.unionByName(p)
    write_table(batch, contract, settings.lake_root)
    return planted_cells, missing, extra


def _reported(diffs):
    cells = {(d.table, k, col) for d in diffs for k, col, _, _ in d.different}
    missing = {(d.table, k) for d in diffs for k in d.missing_in_lake}
    extra = {(d.table, k) for d in diffs for k in d.extra_in_lake}
    return cells, missing, extra


def _cli_reconcile(settings, table: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CDCLAKE_LAKE__ROOT": settings.lake_root, "CDCLAKE_SOURCE__NAME": settings.source.name}
    env["CDCLAKE_SOURCE__DATABASES"] = '["' + settings.source.databases[0] + '"]'
    cdclake = Path(sys.executable).with_name("cdclake")
    return subprocess.run([str(cdclake), "reconcile", table], check=False, env=env, capture_output=True, text=True, timeout=600)


def test_reconcile_reports_exactly_the_planted_differences(local_stack, spark, contracts, own_capture):
    # Chinook through the demo capture, into a lake of its own.
    chinook = file_lake(local_stack, "mutations")
    pipeline.wipe_lake(chinook)
    pipeline.fresh_source(chinook, contracts)
    track = next(c for c in contracts if c.table == "Track")
    line = next(c for c in contracts if c.table == "InvoiceLine")
    stats = pipeline.apply_to_lake(spark, chinook, contracts)
    assert stats.dead_letters == 0
    # A deleted row brought back: deleted in the source, applied, then written back into the lake.
    gone = _lake_df(spark, chinook, line).where(F.col("InvoiceLineId") == 2240)
    assert gone.count() == 1
    gone = gone.localCheckpoint()
    pipeline.drain_capture(chinook, run_sql(chinook, ["DELETE FROM Chinook.InvoiceLine WHERE InvoiceLineId = 2240"]))
    pipeline.apply_to_lake(spark, chinook, contracts)

    # The type-torture table through its own capture: every type, 60 more rows (copies of the maxima).
    torture = own_capture("torture", server_id=184079)
    t_contracts = load_contracts(directory=FIXTURES / "contracts" / "torture")
    alltypes = next(c for c in t_contracts if c.table == "alltypes")
    reset_capture(torture)
    pipeline.wipe_lake(torture)
    load_sql_file(torture, TORTURE / "schema.sql")
    load_sql_file(torture, TORTURE / "rows.sql")
    names = ", ".join(f"`{c.name}`" for c in alltypes.columns if c.name != "id")
    run_sql(
        torture,
        # Row 3 holds the documented divergences (zero dates in NOT NULL columns, YEAR 0000 in a snapshot).
        ["DELETE FROM alltypes WHERE id = 3", f"INSERT INTO alltypes (id, {names}) SELECT 1000 + seq, {names} FROM alltypes, seq_0_to_{COPIES - 1} WHERE id = 2"],
    )
    dbz.register(torture, t_contracts)
    # A transaction after the snapshot: once its END is in Kafka, so is the snapshot.
    pipeline.drain_capture(torture, gtid=run_sql(torture, ["INSERT INTO torture.truncme VALUES (9, 'marker')"]))
    assert pipeline.apply_to_lake(spark, torture, t_contracts).dead_letters == 0

    # Equal before anything is planted: the canonical texts agree on every type of both sources.
    assert_reconciled(spark, chinook, contracts)
    assert_reconciled(spark, torture, t_contracts)

    write_table(gone, line, chinook.lake_root)
    want_cells, want_missing, want_extra = set(), set(), {(line.qualified_source, (2240,))}
    for c in contracts:
        if c.mode != "current_state" or len(c.key) == len(c.columns):
            continue
        cells, missing, extra = _plant(spark, chinook, c, extra_cases=c is track)
        want_cells |= cells
        want_missing |= missing
        want_extra |= extra
    cells, missing, extra = _plant(spark, torture, alltypes, extra_cases=True)
    want_cells |= cells
    want_missing |= missing
    want_extra |= extra
    assert len([w for w in want_cells if w[0] == alltypes.qualified_source]) == len(alltypes.lake_columns)  # every column, and one NULL

    got = _reported(reconcile(spark, chinook, contracts)), _reported(reconcile(spark, torture, t_contracts))
    got_cells, got_missing, got_extra = got[0][0] | got[1][0], got[0][1] | got[1][1], got[0][2] | got[1][2]
    assert got_cells == want_cells, f"not reported: {sorted(want_cells - got_cells)}; not planted: {sorted(got_cells - want_cells)}"
    assert got_missing == want_missing
    assert got_extra == want_extra

    done = _cli_reconcile(chinook, "Track")
    assert done.returncode == 1, done.stdout + done.stderr
    for table, key, column in sorted(w for w in want_cells if w[0] == track.qualified_source):
        assert f"different {table} key {key} column {column}:" in done.stdout, done.stdout
    [(_, missing_key)] = [m for m in want_missing if m[0] == track.qualified_source]
    assert f"missing in lake {track.qualified_source} key {missing_key}" in done.stdout
