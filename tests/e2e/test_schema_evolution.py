"""Schema changes made in the source while changes flow and ONE streaming query keeps running.

MariaDB -> Debezium -> Kafka -> a single continuous Structured Streaming query (never
restarted) -> Hudi. While a writer thread keeps inserting, updating and deleting rows:

1. ADD COLUMN (nullable, and NOT NULL with a DEFAULT): the table's events drift, so the table is
   blocked (parked in the dead-letter table) while the other table keeps flowing; `contracts sync`
   adds the columns, the job replays the parked events first, and a backfill re-reads the rows
   the DEFAULT filled in the source.
2. Widening INT -> BIGINT, VARCHAR(20) -> VARCHAR(200), DECIMAL(10,2) -> DECIMAL(12,2) (within the
   contract's lake_precision): values that no longer fit are dead letters until `contracts sync`
   widens the contract; then the job replays them.
3. DROP COLUMN under `on_missing_column: null` (the lake keeps the column and its past values) and
   a declared RENAME COLUMN (the lake keeps its column name); DROP COLUMN under `park`: only that
   table stops, `contracts sync` refuses it, and it flows again once the contract's policy changes.
4. A new table with a contract is picked up without a restart of the job (the connector is
   re-registered with it, and a backfill brings the rows it had before); one without is reported.

After every step `reconcile` must find zero differences.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
import yaml

from cdc.capture import debezium as dbz
from cdc.capture import recovery
from cdc.contract_sync import sync_contracts
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.source import connect, reflect_contracts, uncontracted_tables
from lakehouse_schemas.contract import TableContract, load_contracts
from spark_jobs import dlq, stream
from spark_jobs.lake import read_table
from spark_jobs.reconcile import reconcile
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql

pytestmark = pytest.mark.e2e

WAIT_S = 300


class Writer:
    """Random inserts/updates/deletes on orders and items (columns every schema version has), until stopped."""

    def __init__(self, settings, next_id: int = 1000):
        self.settings = settings
        self.next_id = next_id
        self.rng = random.Random(7)
        self.stop_flag = threading.Event()
        self.errors: list[BaseException] = []
        self.count = 0
        self.thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            with connect(self.settings, admin=True, autocommit=True, database="evolve") as conn, conn.cursor() as cur:
                while not self.stop_flag.is_set():
                    table = self.rng.choice(["orders", "items"])
                    op = self.rng.random()
                    if op < 0.4:
                        self.next_id += 1
                        if table == "orders":
                            cur.execute("INSERT INTO orders (id, qty, amount, note) VALUES (%s, %s, %s, %s)",
                                        (self.next_id, self.rng.randint(1, 99), f"{self.rng.randint(1, 9999)}.{self.rng.randint(0, 99):02d}", "new"))
                        else:
                            cur.execute("INSERT INTO items (id, label) VALUES (%s, %s)", (self.next_id, f"item {self.next_id}"))
                    elif op < 0.9:
                        if table == "orders":
                            cur.execute("UPDATE orders SET qty = qty + 1, note = %s ORDER BY RAND() LIMIT 1", (f"u{self.count}",))
                        else:
                            cur.execute("UPDATE items SET label = %s ORDER BY RAND() LIMIT 1", (f"label {self.count}",))
                    else:
                        cur.execute(f"DELETE FROM {table} WHERE id > 100 ORDER BY RAND() LIMIT 1")
                    self.count += 1
                    time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.errors.append(exc)

    def start(self) -> None:
        self.stop_flag.clear()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_flag.set()
        assert self.thread is not None
        self.thread.join(30)
        assert not self.errors, self.errors


def _write_contracts(directory: Path, contracts: list[TableContract]) -> None:
    for c in contracts:
        (directory / f"{c.table}.yaml").write_text(c.to_yaml())


def _edit_contract(directory: Path, table: str, **changes) -> None:
    path = directory / f"{table}.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(TableContract.model_validate(data).to_yaml())


def _check_query(query) -> None:
    if not query.isActive:
        raise AssertionError(f"the streaming query stopped: {query.exception()}")


def _drain(settings) -> None:
    """Everything committed so far is in Kafka: a marker transaction's END record is (DDL has no END record)."""
    gtid = run_sql(settings, [f"REPLACE INTO marker VALUES (1, {time.monotonic_ns() % 2**31})"])
    pipeline.drain_capture(settings, gtid=gtid)


def _wait_equal(spark, settings, query, contracts_fn, tables: list[str]) -> None:
    """Until the lake equals the source for ``tables`` (the streaming query is applying in the background)."""
    _drain(settings)
    deadline = time.monotonic() + WAIT_S
    bad: list[str] = []
    while time.monotonic() < deadline:
        _check_query(query)
        chosen = [c for c in contracts_fn() if c.table in tables]
        assert len(chosen) == len(tables), [c.table for c in chosen]
        diffs = reconcile(spark, settings, chosen)
        bad = [d.summary() for d in diffs if not d.equal]
        if not bad:
            return
        time.sleep(2)
    raise AssertionError("lake never converged to the source:\n" + "\n".join(bad))


def _wait_dead_letters(spark, settings, query, table: str, fragment: str) -> list[dict]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        _check_query(query)
        letters = [d for d in dlq.list_dead_letters(spark, settings.lake_root, table=table) if fragment in d["reason"]]
        if letters:
            return letters
        time.sleep(2)
    raise AssertionError(f"no pending dead letter of {table} with {fragment!r} within {WAIT_S}s")


def test_schema_changes_while_changes_flow(own_capture, spark, tmp_path):
    settings = own_capture("evolve", server_id=184093)
    directory = tmp_path / "contracts"  # the folder the running job re-reads (CDCLAKE_CONTRACTS_DIR/<source> in production)
    directory.mkdir()
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FIXTURES / "evolve" / "schema.sql")
    run_sql(settings, [
        *(f"INSERT INTO orders VALUES ({i}, {i}, {i}.25, 'n{i}', 'old{i}', 'name{i}')" for i in range(1, 61)),
        *(f"INSERT INTO items VALUES ({i}, 'item {i}', {i}.50)" for i in range(1, 41)),
    ])
    drafts = {c.table: c for c in reflect_contracts(settings, "evolve", source="evolve")}
    orders = drafts["orders"].model_copy(update={
        "on_missing_column": "null",
        "columns": tuple(c.model_copy(update={"lake_precision": 14}) if c.name == "amount" else c for c in drafts["orders"].columns),
    })
    _write_contracts(directory, [orders, drafts["items"], drafts["marker"]])
    contracts_fn = stream.contract_reloader(directory)
    dbz.register(settings, contracts_fn())
    _drain(settings)

    query, stats = stream.start(spark, settings, contracts_fn, trigger="continuous", interval="2 seconds")
    writer = Writer(settings)
    try:
        # -- 0. baseline while changes flow
        writer.start()
        time.sleep(3)
        writer.stop()
        _wait_equal(spark, settings, query, contracts_fn, ["orders", "items"])

        # -- 1. ADD COLUMN nullable and with a DEFAULT: orders stops, items goes on
        writer.start()
        time.sleep(1)
        run_sql(settings, ["ALTER TABLE orders ADD COLUMN c_null VARCHAR(10) NULL, ADD COLUMN c_def INT NOT NULL DEFAULT 7"])
        run_sql(settings, ["UPDATE orders SET c_null = 'set', c_def = 8 WHERE id IN (1, 2, 3)"])
        time.sleep(2)
        writer.stop()
        parked = _wait_dead_letters(spark, settings, query, "evolve.orders", "schema drift")
        assert "c_def, c_null" in parked[0]["reason"] and "contracts sync" in parked[0]["reason"]
        _wait_equal(spark, settings, query, contracts_fn, ["items"])  # the other table is not affected
        # orders is stopped: every change after the drift is parked, none applied
        lake_ids = {r["id"] for r in read_table(spark, orders, settings.lake_root).select("id").collect()}
        assert lake_ids, "orders had rows before the drift"
        result = sync_contracts(settings, directory, ["orders"])
        assert not result[0].problems and any("c_def" in a for a in result[0].advice), result[0]
        request = recovery.backfill(settings, [next(c for c in contracts_fn() if c.table == "orders")])
        recovery.wait_backfill(settings, request)
        _wait_equal(spark, settings, query, contracts_fn, ["orders", "items"])
        assert not dlq.list_dead_letters(spark, settings.lake_root, table="evolve.orders"), "parked events were replayed"

        # -- 2. widening
        writer.start()
        time.sleep(1)
        run_sql(settings, [
            "ALTER TABLE orders MODIFY qty BIGINT NOT NULL, MODIFY note VARCHAR(200), MODIFY amount DECIMAL(12,2) NOT NULL",
            f"UPDATE orders SET qty = {2**40}, note = '{'w' * 150}', amount = 9999999999.99 WHERE id IN (4, 5)",
        ])
        time.sleep(1)
        writer.stop()
        _wait_dead_letters(spark, settings, query, "evolve.orders", "does not fit")
        result = sync_contracts(settings, directory, ["orders"])
        assert not result[0].problems, result[0].problems
        widened = next(c for c in contracts_fn() if c.table == "orders")
        assert widened.column("qty").type == "bigint" and widened.column("amount").lake_type.precision == 14
        _wait_equal(spark, settings, query, contracts_fn, ["orders", "items"])
        lake = read_table(spark, widened, settings.lake_root)
        assert dict(lake.dtypes)["qty"] == "bigint" and dict(lake.dtypes)["amount"] == "decimal(14,2)"

        # -- 3. DROP (null policy) + RENAME on orders; DROP under park on items: only items stops
        writer.start()
        time.sleep(1)
        run_sql(settings, [
            "ALTER TABLE orders DROP COLUMN legacy",
            "ALTER TABLE orders RENAME COLUMN old_name TO new_name",
            "UPDATE orders SET new_name = 'renamed' WHERE id IN (6, 7)",
            "ALTER TABLE items DROP COLUMN price",
        ])
        time.sleep(2)
        writer.stop()
        _wait_dead_letters(spark, settings, query, "evolve.orders", "new_name")
        _wait_dead_letters(spark, settings, query, "evolve.items", "no longer sends column(s) price")
        refused = sync_contracts(settings, directory, ["items"])
        assert refused[0].problems and "on_missing_column: park" in refused[0].problems[0]
        result = sync_contracts(settings, directory, ["orders"], {"orders": {"old_name": "new_name"}})
        assert not result[0].problems, result[0].problems
        _wait_equal(spark, settings, query, contracts_fn, ["orders"])  # orders flows again; items is still stopped
        assert dlq.list_dead_letters(spark, settings.lake_root, table="evolve.items")
        _edit_contract(directory, "items", on_missing_column="null")
        assert not sync_contracts(settings, directory, ["items"])[0].problems
        _wait_equal(spark, settings, query, contracts_fn, ["orders", "items"])
        now = {c.table: c for c in contracts_fn()}
        assert now["orders"].column("legacy").retired and now["orders"].column("old_name").source_name == "new_name"
        rows = {r["id"]: r for r in read_table(spark, now["orders"], settings.lake_root).collect()}
        assert rows[6]["old_name"] == "renamed"  # the lake keeps its column name
        kept = [r for i, r in rows.items() if i <= 60 and r["legacy"] == f"old{i}"]
        assert kept, "rows not changed since the DROP keep their past values of the dropped column"

        # -- 4. new tables: with a contract (picked up, no restart) and without (reported)
        run_sql(settings, [
            "CREATE TABLE fresh (id INT PRIMARY KEY, v VARCHAR(10))",
            "CREATE TABLE stray (id INT PRIMARY KEY)",
            *(f"INSERT INTO fresh VALUES ({i}, 'old{i}')" for i in range(100, 110)),  # rows from before it was captured
        ])
        fresh = next(c for c in reflect_contracts(settings, "evolve", source="evolve") if c.table == "fresh")
        _write_contracts(directory, [fresh])
        dbz.register(settings, contracts_fn())  # returns once the connector runs with the new include list
        writer.start()
        run_sql(settings, [*(f"INSERT INTO fresh VALUES ({i}, 'v{i}')" for i in range(20)), "UPDATE fresh SET v = 'x' WHERE id < 5",
                           "DELETE FROM fresh WHERE id = 19", "DELETE FROM fresh WHERE id = 100", "INSERT INTO stray VALUES (1)"])
        # Its rows from before the capture started arrive through a backfill (incremental snapshot).
        recovery.wait_backfill(settings, recovery.backfill(settings, [fresh]))
        time.sleep(2)
        writer.stop()
        _wait_equal(spark, settings, query, contracts_fn, ["orders", "items", "fresh", "marker"])
        assert uncontracted_tables(settings, contracts_fn()) == ["evolve.stray"]
        assert not dlq.list_dead_letters(spark, settings.lake_root), "every parked event was replayed"
        _check_query(query)
    finally:
        if writer.thread and writer.thread.is_alive():
            writer.stop_flag.set()
        query.stop()
    assert stats.batches > 5
    # A final reconcile over every table, from a fresh reading of the contracts.
    final = load_contracts(directory=directory)
    diffs = reconcile(spark, settings, final)
    assert all(d.equal for d in diffs), [d.summary() for d in diffs if not d.equal]
