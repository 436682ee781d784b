"""Schema evolution in Spark: decode_checked with evolved contracts, and the stream parking and replaying a drifted table.

Local Spark with the lake's jars, Hudi tables under a temporary file:// root; no servers.
The oracle applies the same Debezium events one by one, in source order, to a dict.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid

import pytest

from lakehouse_schemas.contract import TableContract

SOURCE = "evo"


def _contract(table: str, columns: str, **extra: str) -> TableContract:
    policy = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return TableContract.from_yaml(
        f"source: {SOURCE}\ndatabase: shop\ntable: {table}\ntarget_database: evo\ntarget_table: {table.lower()}\n"
        f"key: [id]\n{policy}columns:\n{columns}"
    )


ORDERS = _contract("orders", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n")
ORDERS_EMAIL = _contract(
    "orders", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n- {name: email, type: varchar(80)}\n"
)
ITEMS = _contract("items", "- {name: id, type: int, nullable: false}\n- {name: name, type: varchar(20)}\n")
TAGS = _contract("tags", "- {name: id, type: int, nullable: false}\n- {name: tag, type: varchar(20)}\n")


def _msg(op: str, row: dict | None, pos: int, table: str, before: dict | None = None) -> str:
    """A Debezium change event as JsonConverter writes it with schemas disabled."""
    return json.dumps(
        {
            "before": before if op != "d" else row,
            "after": row if op != "d" else None,
            "source": {"file": "mysql-bin.000003", "pos": pos, "row": 0, "snapshot": "false", "ts_ms": 1700000000000 + pos,
                       "db": "shop", "table": table},
            "op": op,
            "ts_ms": 1700000000500 + pos,
        }
    )


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    from cdc.settings import LakeSettings, Settings

    root = tmp_path_factory.mktemp("evo") / uuid.uuid4().hex[:8]
    settings = Settings(lake=LakeSettings(root=root.resolve().as_uri()))
    yield spark, settings.lake_root
    shutil.rmtree(root, ignore_errors=True)


# -- decode_checked ----------------------------------------------------------------------------------
def _decode(spark, contract: TableContract, values: list[str]) -> list:
    from spark_jobs.decode import decode_checked

    rows = [(contract.topic(), 0, i, None, v.encode()) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    return decode_checked(df, contract).orderBy("_cdc_offset").collect()


BASE_COLS = "- {name: id, type: int, nullable: false}\n"


def test_renamed_column_is_read_through_its_source_name(lake):
    spark, _ = lake
    renamed = _contract("r", BASE_COLS + "- {name: note, type: varchar(20), source_name: remark}\n")
    old_image = _msg("c", {"id": 1, "note": "old name"}, 10, "r")
    got = _decode(spark, renamed, [_msg("c", {"id": 1, "remark": "hello"}, 10, "r"),
                                   _msg("d", {"id": 2, "remark": "bye"}, 11, "r"), old_image])
    assert [(r["id"], r["note"], r["_cdc_error"]) for r in got[:2]] == [(1, "hello", None), (2, "bye", None)]
    assert "remark" not in got[0].asDict()  # the lake column keeps its name
    # An image with the old name does not match the contract: drift, never a silent NULL.
    assert got[2]["_cdc_error"].startswith("schema drift: shop.r has column(s) not in the contract: note;")
    assert "no longer sends" not in got[2]["_cdc_error"]


def test_renamed_key_column_is_read_through_its_source_name(lake):
    spark, _ = lake
    renamed = _contract("rk", "- {name: id, type: int, nullable: false, source_name: order_id}\n- {name: note, type: text}\n")
    got = _decode(spark, renamed, [_msg("u", {"order_id": 7, "note": "x"}, 10, "rk")])
    assert [(r["id"], r["note"], r["_cdc_error"]) for r in got] == [(7, "x", None)]


def test_retired_column_decodes_as_null_without_drift(lake):
    spark, _ = lake
    retired = _contract("t", BASE_COLS + "- {name: note, type: varchar(20), retired: true}\n- {name: qty, type: int}\n",
                        on_missing_column="'null'")
    got = _decode(spark, retired, [_msg("c", {"id": 1, "qty": 3}, 10, "t")])
    assert [(r["id"], r["note"], r["qty"], r["_cdc_error"]) for r in got] == [(1, None, 3, None)]


def test_retired_column_coming_back_is_drift(lake):
    # The retired column is no longer read: a value for it would be lost, so the event is parked.
    spark, _ = lake
    retired = _contract("t", BASE_COLS + "- {name: note, type: varchar(20), retired: true}\n", on_missing_column="'null'")
    got = _decode(spark, retired, [_msg("c", {"id": 1, "note": "back"}, 10, "t")])
    assert got[0]["note"] is None
    assert got[0]["_cdc_error"].startswith("schema drift: shop.t has column(s) not in the contract: note;")


def test_extra_column_is_drift_naming_it(lake):
    spark, _ = lake
    got = _decode(spark, ORDERS, [_msg("c", {"id": 1, "note": "a", "email": "e", "age": 3}, 10, "orders"),
                                  _msg("c", {"id": 2, "note": "b"}, 11, "orders")])
    assert got[0]["_cdc_error"].startswith("schema drift: shop.orders has column(s) not in the contract: age, email;")
    assert got[1]["_cdc_error"] is None and (got[1]["id"], got[1]["note"]) == (2, "b")


def test_missing_column_is_drift_under_park_and_null_under_null(lake):
    spark, _ = lake
    missing = [_msg("u", {"id": 1}, 10, "orders")]
    parked = _decode(spark, ORDERS, missing)[0]
    assert parked["_cdc_error"].startswith("schema drift: shop.orders no longer sends column(s) note (contract on_missing_column: park)")
    lenient = ORDERS.model_copy(update={"on_missing_column": "null"})
    kept = _decode(spark, lenient, missing)[0]
    assert (kept["id"], kept["note"], kept["_cdc_error"]) == (1, None, None)


# -- the stream: park a drifted table, replay it when its contract changes ---------------------------
KAFKA_SCHEMA = "key binary, value binary, topic string, partition int, offset long, timestamp timestamp"


class Feed:
    """Debezium events per topic with Kafka offsets, and the oracle: every event applied in source order."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}
        self.events: list[tuple[int, str, str, dict]] = []  # (pos, topic, op, row)
        self.pos = 100

    def event(self, contract: TableContract, op: str, row: dict) -> tuple:
        self.pos += 10
        topic = contract.topic()
        offset = self.offsets.get(topic, 0)
        self.offsets[topic] = offset + 1
        self.events.append((self.pos, topic, op, row))
        key = json.dumps({"id": row["id"]}).encode()
        value = _msg(op, row, self.pos, contract.table).encode()
        return (key, value, topic, 0, offset, dt.datetime(2025, 1, 1))

    def expected(self, contract: TableContract) -> dict[int, tuple]:
        state: dict[int, tuple] = {}
        for _, topic, op, row in sorted(self.events, key=lambda e: e[0]):
            if topic != contract.topic():
                continue
            if op == "d":
                state.pop(row["id"], None)
            else:
                state[row["id"]] = tuple(row.get(c.name) for c in contract.columns)
        return state


def _lake_rows(spark, contract: TableContract, lake_root: str) -> dict[int, tuple]:
    from spark_jobs.lake import read_table

    rows = read_table(spark, contract, lake_root).select(*(c.name for c in contract.columns)).collect()
    out = {r["id"]: tuple(r) for r in rows}
    assert len(out) == len(rows), "one row per key"
    return out


def _dead(spark, lake_root: str, topic: str) -> list[tuple[int, str, str]]:
    from spark_jobs.dlq import list_dead_letters

    return [(d["offset"], d["status"], d["reason"]) for d in list_dead_letters(spark, lake_root, status=None) if d["topic"] == topic]


def _job(lake, contracts: list[TableContract], log=lambda m: None):
    """A batch function over a fresh lake whose contracts the test swaps between batches (as a reloaded folder would)."""
    from spark_jobs.stream import BatchStats, make_batch_fn

    spark, root = lake
    lake_root = f"{root.rstrip('/')}/stream-{uuid.uuid4().hex[:6]}"
    current = {"contracts": contracts}
    process = make_batch_fn(lambda: current["contracts"], lake_root, BatchStats(), log)
    return spark, lake_root, current, process, Feed()


def test_stream_parks_a_drifted_table_and_replays_it_when_the_contract_changes(lake):
    logs: list[str] = []
    spark, lake_root, current, process, feed = _job(lake, [ORDERS, ITEMS], logs.append)  # TAGS has no contract yet

    def run(batch_id: int, records: list[tuple]) -> None:
        process(spark.createDataFrame(records, KAFKA_SCHEMA), batch_id)

    # batch 0: both tables as their contracts say; a topic without a contract is parked.
    run(0, [
        feed.event(ORDERS, "c", {"id": 1, "note": "a"}),
        feed.event(ORDERS, "c", {"id": 2, "note": "b"}),
        feed.event(ITEMS, "c", {"id": 1, "name": "x"}),
        feed.event(TAGS, "c", {"id": 1, "tag": "t1"}),
        feed.event(ORDERS, "c", {"id": 3, "note": "c"}),
    ])
    assert _lake_rows(spark, ORDERS, lake_root) == feed.expected(ORDERS) == {1: (1, "a"), 2: (2, "b"), 3: (3, "c")}
    assert _lake_rows(spark, ITEMS, lake_root) == feed.expected(ITEMS)
    tags_dead = _dead(spark, lake_root, TAGS.topic())
    assert [(o, s) for o, s, _ in tags_dead] == [(0, "pending")] and tags_dead[0][2].startswith("no contract for topic evo.shop.tags")

    # batch 1: ALTER TABLE orders ADD email. The first event with it blocks orders; the later one waits
    # behind it. items goes on in the same batch; tags is still without a contract.
    run(1, [
        feed.event(ORDERS, "u", {"id": 1, "note": "a2", "email": "e1"}),
        feed.event(ITEMS, "u", {"id": 1, "name": "y"}),
        feed.event(ORDERS, "u", {"id": 2, "note": "b2", "email": "e2"}),
        feed.event(TAGS, "u", {"id": 1, "tag": "t2"}),
        feed.event(ORDERS, "d", {"id": 3, "note": "c", "email": None}),
    ])
    assert _lake_rows(spark, ORDERS, lake_root) == {1: (1, "a"), 2: (2, "b"), 3: (3, "c")}  # nothing of batch 1 applied
    assert _lake_rows(spark, ITEMS, lake_root) == feed.expected(ITEMS) == {1: (1, "y")}
    parked = _dead(spark, lake_root, ORDERS.topic())
    assert [(o, s) for o, s, _ in parked] == [(3, "pending"), (4, "pending"), (5, "pending")]
    assert all(r.startswith("schema drift: shop.orders has column(s) not in the contract: email;") for _, _, r in parked), parked
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, TAGS.topic())] == [(0, "pending"), (1, "pending")]

    # batch 2, while the contract still lags: later orders events are parked as "table blocked".
    run(2, [feed.event(ORDERS, "u", {"id": 1, "note": "a3", "email": "e1"})])
    assert _lake_rows(spark, ORDERS, lake_root) == {1: (1, "a"), 2: (2, "b"), 3: (3, "c")}
    blocked = [d for d in _dead(spark, lake_root, ORDERS.topic()) if d[0] == 6]
    assert blocked and blocked[0][1] == "pending" and blocked[0][2].startswith("table blocked after an earlier schema drift")

    # `cdclake contracts sync` adds the column; tags gets a contract. Batch 3: the parked events are replayed
    # first, then the new ones: the lake equals every event applied in source order.
    current["contracts"] = [ORDERS_EMAIL, ITEMS, TAGS]
    run(3, [
        feed.event(ORDERS_EMAIL, "u", {"id": 2, "note": "b3", "email": "e2"}),
        feed.event(ORDERS_EMAIL, "c", {"id": 4, "note": "d", "email": "e4"}),
        feed.event(TAGS, "c", {"id": 2, "tag": "t3"}),
    ])
    want = feed.expected(ORDERS_EMAIL)
    assert want == {1: (1, "a3", "e1"), 2: (2, "b3", "e2"), 4: (4, "d", "e4")}
    assert _lake_rows(spark, ORDERS_EMAIL, lake_root) == want
    assert _lake_rows(spark, TAGS, lake_root) == feed.expected(TAGS) == {1: (1, "t2"), 2: (2, "t3")}
    assert _lake_rows(spark, ITEMS, lake_root) == feed.expected(ITEMS)
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, ORDERS.topic())] == [(3, "replayed"), (4, "replayed"), (5, "replayed"), (6, "replayed")]
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, TAGS.topic())] == [(0, "replayed"), (1, "replayed")]
    assert any("evo.shop.orders: contract changed" in m and "unblocked" in m for m in logs), logs


def test_events_before_the_alter_in_the_drifting_batch_are_not_lost(lake):
    spark, lake_root, current, process, feed = _job(lake, [ORDERS])
    # One micro-batch holds a change from before ALTER TABLE orders ADD email and one from after it.
    process(spark.createDataFrame([
        feed.event(ORDERS, "c", {"id": 1, "note": "before alter"}),
        feed.event(ORDERS, "c", {"id": 2, "note": "after alter", "email": "e2"}),
    ], KAFKA_SCHEMA), 0)
    # The change from before the ALTER applies at once; only the drifting one (and what follows) is parked.
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, ORDERS.topic())] == [(1, "pending")]
    current["contracts"] = [ORDERS_EMAIL]
    process(spark.createDataFrame([], KAFKA_SCHEMA), 1)
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, ORDERS.topic())] == [(1, "replayed")]
    assert _lake_rows(spark, ORDERS_EMAIL, lake_root) == feed.expected(ORDERS_EMAIL)


ORDERS_EMAIL_PHONE = _contract(
    "orders",
    "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n- {name: email, type: varchar(80)}\n"
    "- {name: phone, type: varchar(20)}\n",
)


def test_two_alters_while_blocked_replay_in_one_go(lake):
    """ADD email, then ADD phone while the table is blocked; one contract sync covers both."""
    spark, lake_root, current, process, feed = _job(lake, [ORDERS])
    process(spark.createDataFrame([feed.event(ORDERS, "c", {"id": 1, "note": "before"})], KAFKA_SCHEMA), 0)
    process(spark.createDataFrame([
        feed.event(ORDERS, "c", {"id": 2, "note": "after email", "email": "e2"}),
        feed.event(ORDERS, "u", {"id": 1, "note": "after email", "email": "e1"}),
    ], KAFKA_SCHEMA), 1)
    process(spark.createDataFrame([
        feed.event(ORDERS, "c", {"id": 3, "note": "after phone", "email": "e3", "phone": "p3"}),
    ], KAFKA_SCHEMA), 2)
    assert [s for _, s, _ in _dead(spark, lake_root, ORDERS.topic())] == ["pending"] * 3
    current["contracts"] = [ORDERS_EMAIL_PHONE]  # park policy: a missing column is a DROP, unless it came later
    process(spark.createDataFrame([], KAFKA_SCHEMA), 3)
    assert [s for _, s, _ in _dead(spark, lake_root, ORDERS.topic())] == ["replayed"] * 3
    assert _lake_rows(spark, ORDERS_EMAIL_PHONE, lake_root) == feed.expected(ORDERS_EMAIL_PHONE) == {
        1: (1, "after email", "e1", None), 2: (2, "after email", "e2", None), 3: (3, "after phone", "e3", "p3"),
    }


ORDERS_GEO = _contract(
    "orders", "- {name: id, type: int, nullable: false}\n- {name: note, type: varchar(20)}\n- {name: spot, type: point}\n"
)


def test_a_geometry_column_added_later_brings_its_srid_column(lake):
    """ALTER TABLE orders ADD spot POINT: after the contract sync the lake has spot (WKB) and spot__srid."""
    import base64
    import struct

    from spark_jobs.lake import read_table

    spark, lake_root, current, process, feed = _job(lake, [ORDERS])
    process(spark.createDataFrame([feed.event(ORDERS, "c", {"id": 1, "note": "before"})], KAFKA_SCHEMA), 0)
    wkb = struct.pack("<BIdd", 1, 1, 2.3522, 48.8566)
    spot = {"x": 2.3522, "y": 48.8566, "wkb": base64.b64encode(wkb).decode(), "srid": 4326}
    process(spark.createDataFrame([
        feed.event(ORDERS_GEO, "c", {"id": 2, "note": "after", "spot": spot}),
        feed.event(ORDERS_GEO, "c", {"id": 3, "note": "srid 0", "spot": dict(spot, srid=None)}),
    ], KAFKA_SCHEMA), 1)
    assert [(o, s) for o, s, _ in _dead(spark, lake_root, ORDERS.topic())] == [(1, "pending"), (2, "pending")]
    current["contracts"] = [ORDERS_GEO]
    process(spark.createDataFrame([], KAFKA_SCHEMA), 2)
    df = read_table(spark, ORDERS_GEO, lake_root)
    assert {f.name: f.dataType.typeName() for f in df.schema if f.name.startswith("spot")} == {"spot": "binary", "spot__srid": "integer"}
    rows = {r["id"]: (r["spot"] and bytes(r["spot"]), r["spot__srid"]) for r in df.collect()}
    assert rows == {1: (None, None), 2: (wkb, 4326), 3: (wkb, 0)}
