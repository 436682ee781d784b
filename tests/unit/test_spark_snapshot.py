"""History, snapshots and as-of queries on real Hudi tables in local Spark, against an independent oracle.

The oracle replays the same changes one by one into a dict (what the source held), recording the
state at instants and at each day's end. History writes go through ``write_history`` in batches with
different ingest days, including a replay of a batch on a later day. No servers needed (local files).
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from decimal import Decimal

import pytest

from cdc import events as ev
from cdc.catalog.glue import table_definitions
from cdc.query.asof import AsOf, LakeTable, check_trino, rewrite, to_spark
from cdc.settings import LakeSettings, Settings, TimeTravelSettings
from lakehouse_schemas.contract import TableContract

CONTRACT = TableContract.from_yaml(
    """
source: tt
database: Shop
table: Item
target_database: tt
target_table: item
key: [id]
domain: general
columns:
- {name: id, type: int, nullable: false}
- {name: amount, type: "decimal(10,2)"}
- {name: label, type: varchar(20)}
- {name: at, type: datetime}
"""
)
COLS = ["id", "amount", "label", "at"]
DAYS = [dt.date(2025, 10, 1), dt.date(2025, 10, 2), dt.date(2025, 10, 3)]


def _pos(n: int, snapshot: bool = False) -> str:
    return ev.SourcePosition(file="mysql-bin.000001", pos=1000 + n * 10, snapshot=snapshot).sort_key


def _changes() -> list[dict]:
    """Origin snapshot reads (taken later in wall time than the simulated days), then three days of changes."""
    out = []
    snap_ts = dt.datetime(2025, 10, 20, 9, 0)  # the initial snapshot ran after the days the workload simulates
    for i in range(1, 7):
        out.append({"id": i, "amount": Decimal(f"{i}.10"), "label": f"orig{i}", "at": dt.datetime(2024, 1, i), "op": "r", "pos": _pos(0, True), "ts": snap_ts, "snap": True})
    n = 1
    for d, day in enumerate(DAYS):
        base = dt.datetime.combine(day, dt.time(8, 0))
        script = [
            ("u", 1, f"d{d}-a"), ("c", 10 + d, f"new{d}"), ("u", 2 + d, f"d{d}-b"), ("d", 4 + d if d < 2 else 10, "before-image"),
            ("u", 1, f"d{d}-c"),
        ]
        for k, (op, key, label) in enumerate(script):
            ts = base + dt.timedelta(hours=3 * k)
            out.append({"id": key, "amount": Decimal(f"{d}{k}.{k}5"), "label": label, "at": ts, "op": op, "pos": _pos(n), "ts": ts, "snap": False})
            n += 1
        # two changes in the same second, ordered only by position
        ts = base + dt.timedelta(hours=15)
        out.append({"id": 6, "amount": Decimal(f"7.7{d}"), "label": "tie1", "at": ts, "op": "u", "pos": _pos(n), "ts": ts, "snap": False})
        out.append({"id": 6, "amount": Decimal(f"8.8{d}"), "label": "tie2", "at": ts, "op": "u", "pos": _pos(n + 1), "ts": ts, "snap": False})
        n += 2
    # a primary-key change: delete(old) + create(new) at one binlog position
    ts = dt.datetime(2025, 10, 3, 23, 59, 59)
    out.append({"id": 3, "amount": None, "label": "d1-b", "at": None, "op": "d", "pos": _pos(n), "ts": ts, "snap": False})
    out.append({"id": 30, "amount": Decimal("3.30"), "label": "moved", "at": None, "op": "c", "pos": _pos(n), "ts": ts, "snap": False})
    return out


def _oracle(changes: list[dict], upper: dt.datetime) -> dict[int, tuple]:
    state: dict[int, tuple] = {}
    for c in sorted(changes, key=lambda c: (c["pos"], c["op"] != "d")):
        if c["snap"] or c["ts"] <= upper:
            if c["op"] == "d":
                state.pop(c["id"], None)
            else:
                state[c["id"]] = tuple(c[k] for k in COLS)
    return state


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("tt") / uuid.uuid4().hex[:8]
    settings = Settings(lake=LakeSettings(root=root.resolve().as_uri()), timetravel=TimeTravelSettings(day_zone="UTC", snapshot_retention_days=0))
    yield spark, settings
    shutil.rmtree(root, ignore_errors=True)


def _frame(spark, changes, ingest: dt.datetime):
    rows = [
        (c["id"], c["amount"], c["label"], c["at"], c["op"], c["pos"], c["ts"], ingest, c["snap"], "tt.Shop.Item", 0, i, c["op"] == "d")
        for i, c in enumerate(changes)
    ]
    schema = (
        "id int, amount decimal(10,2), label string, at timestamp_ntz, _cdc_op string, _cdc_pos string, _cdc_commit_ts timestamp, "
        "_cdc_ingest_ts timestamp, _cdc_snapshot boolean, _cdc_topic string, _cdc_partition int, _cdc_offset long, _hoodie_is_deleted boolean"
    )
    return spark.createDataFrame(rows, schema)


def _rows(df) -> dict[int, tuple]:
    return {r["id"]: tuple(r[c] for c in COLS) for r in df.collect()}


def test_history_snapshots_and_as_of_equal_the_oracle(lake):
    from spark_jobs import snapshot
    from spark_jobs.history import read_history, write_history
    from spark_jobs.lake import register_time_travel_tables

    spark, settings = lake
    changes = _changes()
    batches = [changes[:6], changes[6:20], changes[20:]]
    for i, b in enumerate(batches):
        write_history(_frame(spark, b, dt.datetime(2025, 10, 20 + i, 10)), CONTRACT, settings.lake_root, batch_id=i)
    # replay: the first two batches again, on a later ingest day, plus one redelivered duplicate inside the batch
    write_history(_frame(spark, batches[0] + batches[1] + batches[1][:1], dt.datetime(2025, 10, 25, 10)), CONTRACT, settings.lake_root, batch_id=0)
    history = read_history(spark, CONTRACT, settings.lake_root)
    assert history.count() == len(changes)  # each change landed once
    assert {r[0] for r in history.select("_cdc_ingest_date").distinct().collect()} == {"2025-10-20", "2025-10-21", "2025-10-22"}
    deletes = history.where("_cdc_op = 'd'").collect()
    assert {r["id"] for r in deletes} == {4, 5, 10, 3} and all(r["label"] is not None for r in deletes)  # the before image

    built = snapshot.build(spark, settings, [CONTRACT], DAYS[0], DAYS[-1], log=lambda m: None)
    assert [r.action for r in built] == ["written"] * 3
    register_time_travel_tables(spark, settings, [CONTRACT])
    t = LakeTable.from_contract(CONTRACT)

    for day in DAYS:
        want = _oracle(changes, dt.datetime.combine(day, dt.time(23, 59, 59, 999999)))
        part = spark.table("tt_general.item_snapshot").where(f"snapshot_date = '{day}'")
        assert _rows(part) == want, day
        direct = rewrite("SELECT * FROM tt.item", [t], AsOf.parse(day.isoformat()), plan="snapshot_day")
        assert _rows(spark.sql(direct.sql)) == want

    instants = [dt.datetime(2025, 9, 30, 12), dt.datetime(2025, 10, 1, 8), dt.datetime(2025, 10, 2, 10, 30), dt.datetime(2025, 10, 2, 23, 0),
                dt.datetime(2025, 10, 3, 14, 0), dt.datetime(2025, 10, 3, 23, 59, 59), dt.datetime(2025, 12, 1)]
    for instant in instants:
        want = _oracle(changes, instant)
        as_of = AsOf.parse(instant.isoformat(sep=" "), "UTC")
        spark_sql = rewrite("SELECT i.* FROM tt.item AS i", [t], as_of, plan="history").sql
        got = _rows(spark.sql(spark_sql))
        assert got == want, instant
        # exact Python types on the way out
        for row in got.values():
            assert row[1] is None or isinstance(row[1], Decimal)
            assert row[3] is None or (isinstance(row[3], dt.datetime) and row[3].tzinfo is None)
        if instant.date() - dt.timedelta(days=1) in DAYS:
            mixed = rewrite("SELECT * FROM tt_general.item", [t], as_of, plan="snapshot_plus_day").sql
            assert _rows(spark.sql(mixed)) == want, instant
        # the Athena SQL: valid Trino, and run on Spark through the same rewrite it returns the same rows
        athena_sql = rewrite("SELECT i.* FROM tt.item AS i", [t], as_of, plan="history", write="athena").sql
        check_trino(athena_sql)
        assert _rows(spark.sql(to_spark(athena_sql))) == got

    # rebuilding a day is idempotent; retention drops what is older than the cut-off
    before = sorted(tuple(r) for r in spark.table("tt_general.item_snapshot").where("snapshot_date = '2025-10-02'").select(*COLS).collect())
    snapshot.build_day(spark, settings, CONTRACT, DAYS[1], log=lambda m: None)
    after = sorted(tuple(r) for r in spark.read.format("hudi").load(CONTRACT.snapshot_path(settings.lake_root)).where("snapshot_date = '2025-10-02'").select(*COLS).collect())
    assert after == before
    keep2 = settings.model_copy(update={"timetravel": TimeTravelSettings(snapshot_retention_days=2)})
    dropped = snapshot.expire(spark, keep2, [CONTRACT], now=dt.datetime(2025, 10, 5, 1, tzinfo=dt.UTC), log=lambda m: None)
    assert dropped == {"tt_general.item_snapshot": [DAYS[0]]}
    assert snapshot.snapshot_days(spark, settings, CONTRACT) == DAYS[1:]

    # the Glue definitions list exactly the columns the lake wrote, with matching types
    spark_to_hive = {"integer": "int", "long": "bigint", "timestamp_ntz": "timestamp"}
    for gt in table_definitions(CONTRACT, settings.lake_root)[1:]:
        path = CONTRACT.history_path(settings.lake_root) if gt.kind == "history" else CONTRACT.snapshot_path(settings.lake_root)
        schema = spark.read.format("hudi").load(path).schema
        parts = {n for n, _ in gt.partition_keys}
        lake_cols = [(f.name, spark_to_hive.get(f.dataType.typeName(), f.dataType.simpleString())) for f in schema if f.name not in parts]
        assert lake_cols == list(gt.columns), gt.name
