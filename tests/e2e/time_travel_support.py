"""The time-travel scenario shared by the Spark (test_time_travel.py) and Trino (test_trino.py) tests.

See test_time_travel.py for what it records and why; built once per pytest process.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

import pytest

from cdc.access.pii import lake_view
from cdc.devstack import pipeline
from cdc.query.asof import LakeTable
from cdc.settings import LakeSettings
from cdc.source import connect
from spark_jobs import snapshot
from spark_jobs.lake import register_time_travel_tables
from spark_jobs.reconcile import _keyed, compare, source_snapshot

TABLES = ("Invoice", "InvoiceLine")
# A general-domain table the workload leaves alone: joins across domains as of an instant, and the
# workgroups' Trino catalogs each refused one side.
UNCHANGED = ("Customer",)
TX_PER_DAY = 6


def _lake(settings):
    # On the local S3 server: Trino (tests/e2e/test_trino.py) reads this same lake through Glue's s3:// locations.
    run = uuid.uuid4().hex[:8]
    return settings.model_copy(update={"lake": LakeSettings(root=f"s3a://lake/tt-{run}/lake", checkpoint_root=f"s3a://lake/tt-{run}/checkpoints")})


class DayWorkload:
    """Transactions at chosen past instants on one connection (SET TIMESTAMP sets the binlog event time)."""

    def __init__(self, settings, seed: int = 3) -> None:
        self.conn = connect(settings, admin=True, database="Chinook", autocommit=False)
        self.rng = random.Random(seed)
        self.stamps: set[dt.datetime] = set()
        with self.conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")

    def _ids(self, cur, table: str, col: str) -> list[int]:
        cur.execute(f"SELECT `{col}` FROM `{table}`")
        return sorted(r[0] for r in cur.fetchall())

    def transaction(self, at: dt.datetime) -> None:
        rng = self.rng
        with self.conn.cursor() as cur:
            cur.execute("SET TIMESTAMP = %s", (int(at.replace(tzinfo=dt.UTC).timestamp()),))
            cur.execute("BEGIN")
            invoices = self._ids(cur, "Invoice", "InvoiceId")
            lines = self._ids(cur, "InvoiceLine", "InvoiceLineId")
            for inv in rng.sample(invoices, 2):
                cur.execute(
                    "UPDATE Invoice SET Total = Total + %s, BillingCity = %s, BillingPostalCode = %s WHERE InvoiceId = %s",
                    (Decimal(rng.randint(1, 999)) / 100, f"City{rng.randint(1, 99)}", f"P{rng.randint(1000, 9999)}", inv),
                )
            new_inv = invoices[-1] + 1
            cur.execute(
                "INSERT INTO Invoice (InvoiceId, CustomerId, InvoiceDate, BillingAddress, BillingCity, BillingCountry, Total) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (new_inv, rng.randint(1, 59), at.replace(microsecond=0), f"{rng.randint(1, 99)} Main St", "Lisbon", "Portugal", Decimal("0.00")),
            )
            for i in range(rng.randint(1, 3)):
                cur.execute(
                    "INSERT INTO InvoiceLine (InvoiceLineId, InvoiceId, TrackId, UnitPrice, Quantity) VALUES (%s, %s, %s, %s, %s)",
                    (lines[-1] + 1 + i, new_inv, rng.randint(1, 3500), Decimal("0.99"), rng.randint(1, 4)),
                )
            cur.execute("UPDATE InvoiceLine SET Quantity = Quantity + 1 WHERE InvoiceLineId = %s", (rng.choice(lines),))
            cur.execute("DELETE FROM InvoiceLine WHERE InvoiceLineId = %s", (rng.choice(lines),))
            if rng.random() < 0.5:  # an invoice goes away with its lines
                victim = rng.choice(invoices[:-5])
                cur.execute("DELETE FROM InvoiceLine WHERE InvoiceId = %s", (victim,))
                cur.execute("DELETE FROM Invoice WHERE InvoiceId = %s", (victim,))
            cur.execute("COMMIT")
        self.stamps.add(at)

    def close(self) -> None:
        self.conn.close()


def _lake_state(spark, view, sql: str) -> dict:
    return _keyed(view, [tuple(r)[: len(view.columns)] for r in spark.sql(sql).collect()])


def _assert_same(view, recorded: dict, lake: dict, what: str) -> None:
    diff = compare(view, recorded, lake)
    assert diff.equal, f"{what}: {diff.summary()}"
    assert lake == recorded, what
    # exact Python types: money is Decimal, DATETIME is naive
    for row in list(lake.values())[:50]:
        for v, c in zip(row, view.columns, strict=True):
            if v is not None and c.mysql_type.base == "decimal":
                assert isinstance(v, Decimal), (what, c.name, v)
            if v is not None and c.mysql_type.base == "datetime":
                assert isinstance(v, dt.datetime) and v.tzinfo is None, (what, c.name, v)


@pytest.fixture(scope="session")
def travelled(local_stack, spark, contracts):
    """The lake after three simulated days, and the source states recorded on the way (shared by the Spark and Trino tests)."""
    settings = _lake(local_stack)
    chosen = [c for c in contracts if c.table in TABLES + UNCHANGED]
    views = {c.qualified_source: lake_view(c) for c in chosen}
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, chosen)
    pipeline.apply_to_lake(spark, settings, chosen)

    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=9 - i) for i in range(3)]  # inside the default snapshot retention
    day0 = days[0] - dt.timedelta(days=1)
    recorded_at: dict[dt.datetime, dict] = {}
    day_end: dict[dt.date, dict] = {}
    initial = source_snapshot(settings, chosen).rows
    recorded_at[dt.datetime.combine(day0, dt.time(12))] = initial  # before any simulated change: the initial snapshot
    day_end[day0] = initial

    work = DayWorkload(settings)
    try:
        for d, day in enumerate(days):
            stamps = [dt.datetime.combine(day, dt.time(1 + 4 * k, 7 * k, 11)) for k in range(TX_PER_DAY - 1)]
            if d == 1:
                stamps[0] = dt.datetime.combine(day, dt.time(0, 0, 0))  # exactly on the boundary: belongs to this day
            stamps.append(dt.datetime.combine(day, dt.time(23, 59, 59)))  # the day's last second
            for k, at in enumerate(stamps):
                work.transaction(at)
                if k == 2:  # an instant between two transactions of the day
                    recorded_at[at + dt.timedelta(minutes=30)] = source_snapshot(settings, chosen).rows
                if k == 3:  # the instant of a transaction itself includes it
                    recorded_at[at] = source_snapshot(settings, chosen).rows
            day_end[day] = source_snapshot(settings, chosen).rows
    finally:
        work.close()
    stamps = set(work.stamps)

    pipeline.drain_capture(settings)
    stats = pipeline.apply_to_lake(spark, settings, chosen)
    assert stats.dead_letters == 0

    # the binlog event times really moved: every streamed change carries one of the set timestamps
    from spark_jobs.history import read_history

    for c in (c for c in chosen if c.table in TABLES):
        h = read_history(spark, c, settings.lake_root).where("NOT _cdc_snapshot")
        seen = {r[0] for r in h.select("_cdc_commit_ts").distinct().collect()}
        assert seen and seen <= stamps, f"{c.table}: commit times {sorted(seen)[:5]} not the simulated ones"
        assert {s.date() for s in seen} <= set(days)
    assert len(stamps) == 3 * TX_PER_DAY

    built = snapshot.build(spark, settings, chosen, day0, days[-1], log=print)
    assert all(r.action == "written" and r.rows > 0 for r in built)
    register_time_travel_tables(spark, settings, chosen)
    tables = [LakeTable.from_contract(c) for c in chosen]

    yield {"settings": settings, "chosen": chosen, "views": views, "recorded_at": recorded_at, "day_end": day_end, "tables": tables}
    pipeline.wipe_lake(settings)


def _invoices_without_lines(state: dict) -> int:
    with_lines = {row[1] for row in state["Chinook.InvoiceLine"].values()}
    return sum(1 for k in state["Chinook.Invoice"] if k[0] not in with_lines)
