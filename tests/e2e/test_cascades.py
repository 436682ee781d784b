"""Foreign-key cascades (no row events in the binlog) and a second source beside Chinook, on the real stack.

tests/fixtures/fkdemo: region -> store (part of store's key) -> sale, and region -> note (ON DELETE
SET NULL). A parent key change and a parent delete cascade two levels; a key changed twice in one
batch moves its children twice. Contracts come from `contracts init` (reflect_contracts), which
records the foreign keys. Every case ends with reconcile equal.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.source import check_source, reflect_contracts
from spark_jobs import stream
from spark_jobs.cascade import CASCADE_SUFFIX
from spark_jobs.lake import read_table
from tests.e2e.support import assert_reconciled
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql, sql_statements

pytestmark = pytest.mark.e2e

FK = FIXTURES / "fkdemo"


def _rows(spark, settings, contract, *cols):
    return sorted(tuple(r) for r in read_table(spark, contract, settings.lake_root).select(*cols).collect())


def _start_fkdemo(settings):
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FK / "schema.sql")
    return {c.table: c for c in reflect_contracts(settings, "fkdemo", source=settings.source.name)}


def test_contracts_record_foreign_keys_and_check_lists_them(own_capture):
    settings = own_capture("fkdemo", server_id=None)
    by_table = _start_fkdemo(settings)
    fks = {fk.name: fk for c in by_table.values() for fk in c.foreign_keys}
    assert set(fks) == {"fk_store_region", "fk_sale_store", "fk_note_region"}
    sale = fks["fk_sale_store"]
    assert (sale.columns, sale.ref_table, sale.ref_columns, sale.on_update, sale.on_delete) == (
        ("region_code", "store_no"), "store", ("region_code", "store_no"), "CASCADE", "CASCADE"
    )
    assert (fks["fk_note_region"].on_update, fks["fk_note_region"].on_delete) == ("CASCADE", "SET NULL")
    findings = {f.check: f for f in check_source(settings, list(by_table.values())) if f.check.startswith("foreign key")}
    assert set(findings) == {"foreign key fkdemo.store.fk_store_region", "foreign key fkdemo.sale.fk_sale_store", "foreign key fkdemo.note.fk_note_region"}
    assert all(f.ok for f in findings.values()), [f.detail for f in findings.values()]
    # A contract without its foreign keys fails the check, naming the fix.
    bare = [c.model_copy(update={"foreign_keys": ()}) if c.table == "note" else c for c in by_table.values()]
    bad = [f for f in check_source(settings, bare) if f.check == "foreign key fkdemo.note.fk_note_region"]
    assert bad and not bad[0].ok and "contracts init" in bad[0].fix


def test_parent_key_change_and_delete_cascade_two_levels(own_capture, spark):
    settings = own_capture("fkdemo", server_id=None)
    by_table = _start_fkdemo(settings)
    contracts = list(by_table.values())
    dbz.register(settings, contracts)
    pipeline.drain_capture(settings, gtid=run_sql(settings, ["INSERT INTO fkdemo.note VALUES (9, NULL, 'marker')"]))
    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.dead_letters == 0
    assert_reconciled(spark, settings, contracts)

    gtid = run_sql(settings, sql_statements(FK / "changes.sql"))
    pipeline.drain_capture(settings, gtid=gtid)
    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.dead_letters == 0
    assert_reconciled(spark, settings, contracts)
    # What the binlog never carried, spelled out: keys moved two levels down, deletes, SET NULL.
    assert _rows(spark, settings, by_table["store"], "region_code", "store_no") == [("AP2", 1), ("EUR", 1), ("EUR", 2)]
    assert _rows(spark, settings, by_table["sale"], "id", "region_code", "store_no") == [
        (1, "EUR", 1), (2, "EUR", 1), (3, "EUR", 2), (5, "AP2", 1), (6, "EUR", 2)
    ]
    assert _rows(spark, settings, by_table["note"], "id", "region_code") == [(1, "EUR"), (2, None), (3, None), (4, None), (9, None)]
    # The child's own later change is not overwritten by the cascade before it.
    assert _rows(spark, settings, by_table["note"], "id", "txt")[0] == (1, "eu note, later")
    assert _rows(spark, settings, by_table["sale"], "id", "amount")[0] == (1, Decimal("11.00"))
    # History: the cascaded changes sit just after their parent change, a moved key as delete + create.
    def cascaded(table, where):
        hist = spark.read.format("hudi").load(by_table[table].history_path(settings.lake_root))
        return {(r["_cdc_op"], r["region_code"]) for r in hist.where(where & F.col("_cdc_pos").endswith(CASCADE_SUFFIX)).collect()}

    # AP -> APAC -> AP2 in one batch: the store's key moves twice (delete + create), the sale follows twice.
    assert cascaded("store", F.col("store_no") == 1) == {("d", "EU"), ("c", "EUR"), ("d", "US"), ("d", "AP"), ("c", "APAC"), ("d", "APAC"), ("c", "AP2")}
    assert cascaded("sale", F.col("id") == 5) == {("u", "APAC"), ("u", "AP2")}
    assert cascaded("sale", F.col("id") == 4) == {("d", "US")}


def test_two_sources_stream_at_once_into_one_lake(local_stack, own_capture, spark, contracts):
    """Chinook and fkdemo on one server, each with its own derived server id and signal table, two
    streaming queries at once into one lake; registering the second leaves the first running."""
    from tests.e2e.support import file_lake

    chinook = file_lake(local_stack, "two-sources")
    fk = own_capture("fkdemo", server_id=None).model_copy(update={"lake": chinook.lake})
    assert chinook.source.effective_server_id != fk.source.effective_server_id
    pipeline.wipe_lake(chinook)
    pipeline.fresh_source(chinook, contracts)
    fk_contracts = list(_start_fkdemo(fk).values())
    dbz.register(fk, fk_contracts)
    dbz.wait_running(chinook)  # the first connector survived the second one's registration
    pipeline.drain_capture(fk, gtid=run_sql(fk, ["INSERT INTO fkdemo.note VALUES (9, NULL, 'marker')"]))
    g1 = run_sql(chinook, ["UPDATE Chinook.Genre SET Name = 'Rock (two sources)' WHERE GenreId = 1"])
    g2 = run_sql(fk, sql_statements(FK / "changes.sql"))
    pipeline.drain_capture(chinook, gtid=g1)
    pipeline.drain_capture(fk, gtid=g2)
    for s in (chinook, fk):
        assert {t["state"] for t in dbz.ConnectClient(s).status(dbz.connector_name(s))["tasks"]} == {"RUNNING"}

    q1, st1 = stream.start(spark, chinook, contracts, trigger="available-now", log=print)
    q2, st2 = stream.start(spark, fk, fk_contracts, trigger="available-now", log=print)
    for q in (q1, q2):
        q.awaitTermination()
        assert q.exception() is None, q.exception()
    assert st1.dead_letters == 0 and st2.dead_letters == 0
    assert_reconciled(spark, chinook, contracts)
    assert_reconciled(spark, fk, fk_contracts)
