"""Poison among real changes: every good change lands, every bad record is a dead letter with its
reason and exact Kafka coordinates, the job keeps going, and `dlq replay` lands what a fixed
contract now accepts.

Real changes flow into poison.orders (MariaDB -> Debezium) in three rounds; after each round's
changes the test produces, with confluent-kafka into the same topics: malformed JSON, a record of
a topic without a contract, a decimal too wide for its column, a value of the wrong JSON type and a
row image without its key. The job runs (available-now) after each round with one checkpoint.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.source import connect
from lakehouse_schemas.contract import load_contracts
from spark_jobs import dlq
from spark_jobs.lake import read_table
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql

pytestmark = pytest.mark.e2e

ORDERS, EXTRAS = "poison.poison.orders", "poison.poison.extras"


def _event(table: str, after: dict, pos: int) -> bytes:
    return json.dumps(
        {
            "before": None,
            "after": after,
            "source": {"db": "poison", "table": table, "file": "mysql-bin.000001", "pos": pos, "row": 0, "snapshot": "false", "ts_ms": 1700000000000},
            "op": "c",
            "ts_ms": 1700000000000,
        }
    ).encode()


def _poison(r: int) -> list[tuple[str, bytes | None, bytes, str, bool]]:
    """(topic, key, value, reason fragment, replayable after the extras contract is added)."""
    return [
        (ORDERS, b'{"id":900}', b'{"before":null,"after":{"id":9' + str(r).encode(), "malformed JSON", False),
        (EXTRAS, json.dumps({"id": r}).encode(), _event("extras", {"id": r, "label": f"extra {r} ✓"}, 4 + r), "no contract for topic", True),
        (ORDERS, json.dumps({"id": 1000 + r}).encode(), _event("orders", {"id": 1000 + r, "amount": "123456789.99", "note": "too wide"}, 4), "value of amount does not fit decimal(10,2)", False),
        (ORDERS, json.dumps({"id": 2000 + r}).encode(), _event("orders", {"id": 2000 + r, "amount": "1.00", "created": "yesterday"}, 4), "value of created does not fit datetime(6)", False),
        (ORDERS, None, _event("orders", {"amount": "3.00", "note": "no key"}, 4), "record key ['id'] is null", False),
    ]


def _produce(settings, messages) -> list[tuple[str, int, int]]:
    coords: list[tuple[str, int, int]] = []
    errors: list[str] = []

    def done(err, msg):
        if err:
            errors.append(str(err))
        else:
            coords.append((msg.topic(), msg.partition(), msg.offset()))

    p = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers, "enable.idempotence": True})
    for topic, key, value, *_ in messages:
        p.produce(topic, value=value, key=key, on_delivery=done)
        p.flush(30)  # one at a time: coords[i] belongs to messages[i]
    assert not errors and len(coords) == len(messages), errors
    return coords


def _source_orders(settings) -> dict[int, tuple]:
    with connect(settings, admin=True, database="poison") as conn, conn.cursor() as cur:
        cur.execute("SELECT id, amount, note, created FROM orders")
        return {r[0]: tuple(r) for r in cur.fetchall()}


def _lake_orders(spark, settings, contract) -> dict[int, tuple]:
    rows = read_table(spark, contract, settings.lake_root).select("id", "amount", "note", "created").collect()
    return {r["id"]: tuple(r) for r in rows}


def test_poison_goes_to_dead_letters_and_replays(own_capture, spark, tmp_path):
    settings = own_capture("poison", server_id=184078)
    contracts = load_contracts(directory=FIXTURES / "contracts" / "poison")
    orders = contracts[0]
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FIXTURES / "poison" / "schema.sql")
    dbz.register(settings, contracts)
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers})
    for f in admin.create_topics([NewTopic(EXTRAS, 1, 1)]).values():
        f.result()

    expected: dict[tuple[str, int, int], tuple[str, bool]] = {}
    next_id, total_dead = 100, 0
    for r in range(1, 4):
        stmts = [f"INSERT INTO orders VALUES ({next_id + i}, {r}{i}.{i:02d}, 'round {r} 😀', '2024-0{r}-0{i + 1} 10:00:00.{i:06d}')" for i in range(6)]
        stmts += [f"UPDATE orders SET amount = amount + 0.01, note = 'updated in {r}' WHERE id IN ({next_id}, {next_id + 1}, 1)"]
        stmts += [f"DELETE FROM orders WHERE id = {next_id + 2}"]
        next_id += 10
        gtid = run_sql(settings, stmts)
        messages = _poison(r)
        for coord, (_, _, _, reason, replayable) in zip(_produce(settings, messages), messages, strict=True):
            expected[coord] = (reason, replayable)
        pipeline.drain_capture(settings, gtid=gtid)
        stats = pipeline.apply_to_lake(spark, settings, contracts)  # the job goes on: no exception, every round
        assert stats.dead_letters == len(messages), stats
        total_dead += stats.dead_letters
        # Every good change landed: the lake equals the source after each round.
        assert _lake_orders(spark, settings, orders) == _source_orders(settings)

    letters = {(d["topic"], d["partition"], d["offset"]): d for d in dlq.list_dead_letters(spark, settings.lake_root)}
    assert set(letters) == set(expected), (sorted(letters), sorted(expected))
    for coord, (reason, _) in expected.items():
        d = letters[coord]
        assert reason in d["reason"], (coord, d["reason"])
        assert d["id"] == ":".join(map(str, coord)) and d["status"] == dlq.PENDING and d["value"]
        assert d["table"] == ("poison.extras" if coord[0] == EXTRAS else "poison.orders")
    shown = dlq.show(spark, settings.lake_root, next(iter(letters.values()))["id"])
    assert shown is not None and shown["reason"]
    assert total_dead == len(expected) == 15

    # The operator adds the missing contract and replays: the replayable ones land, the rest stay pending.
    fixed = tmp_path / "contracts"
    shutil.copytree(FIXTURES / "contracts" / "poison", fixed)
    shutil.copy(FIXTURES / "poison" / "extras.yaml", fixed / "extras.yaml")
    fixed_contracts = load_contracts(directory=fixed)
    result = dlq.replay(spark, settings.lake_root, fixed_contracts)
    replayable = {c for c, (_, ok) in expected.items() if ok}
    assert result.replayed == len(replayable) == 3 and result.still_failing == len(expected) - 3
    extras = next(c for c in fixed_contracts if c.table == "extras")
    assert {r["id"]: r["label"] for r in read_table(spark, extras, settings.lake_root).collect()} == {
        r: f"extra {r} ✓" for r in (1, 2, 3)
    }
    after = {(d["topic"], d["partition"], d["offset"]): d for d in dlq.list_dead_letters(spark, settings.lake_root, status=None)}
    assert {c for c, d in after.items() if d["status"] == dlq.REPLAYED} == replayable
    assert {c for c, d in after.items() if d["status"] == dlq.PENDING} == set(expected) - replayable
    # Replaying again changes nothing; orders still equal the source.
    again = dlq.replay(spark, settings.lake_root, fixed_contracts)
    assert again.replayed == 0 and again.still_failing == len(expected) - 3
    assert _lake_orders(spark, settings, orders) == _source_orders(settings)
    assert all(isinstance(v[1], Decimal) for v in _lake_orders(spark, settings, orders).values())


def test_every_malformed_corpus_case_is_a_dead_letter_and_the_job_goes_on(own_capture, spark):
    """Issue 15: each case of tests/malformed.py, produced into a live table topic between real changes,
    is a dead letter with a reason; the job goes on, the next good change applies, the lake equals the source."""
    from tests.e2e.support import assert_reconciled
    from tests.malformed import Envelope, debezium_cases

    settings = own_capture("poison", server_id=184079)
    contracts = load_contracts(directory=FIXTURES / "contracts" / "poison")
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FIXTURES / "poison" / "schema.sql")
    dbz.register(settings, contracts)
    gtid = run_sql(settings, ["INSERT INTO orders VALUES (3, 30.00, 'before the poison', '2024-03-01 00:00:00')"])
    pipeline.drain_capture(settings, gtid=gtid)

    # A change the source never made (id 5000): if any case decoded as a row, the lake would differ from the source.
    base = _event("orders", {"id": 5000, "amount": "1.00", "note": "n", "created": 1704067200000000}, 4).decode()
    cases = [c for c in debezium_cases(Envelope(base, b'{"id":5000}', "id", "amount", "note", "note", "created")) if not c.python_only]
    coords = _produce(settings, [(ORDERS, c.key, c.value) for c in cases])
    gtid = run_sql(settings, ["UPDATE orders SET note = 'after the poison', amount = amount + 0.01 WHERE id IN (1, 3)",
                              "INSERT INTO orders VALUES (4, 40.00, 'after the poison', '2024-03-02 00:00:00')"])
    pipeline.drain_capture(settings, gtid=gtid)
    stats = pipeline.apply_to_lake(spark, settings, contracts)  # the job goes on: no exception
    assert stats.dead_letters == len(cases), stats

    letters = {(d["topic"], d["partition"], d["offset"]): d for d in dlq.list_dead_letters(spark, settings.lake_root)}
    assert set(letters) == set(coords)
    for case, coord in zip(cases, coords, strict=True):
        reason = letters[coord]["reason"]
        assert reason and "\n" not in reason, (case.name, reason)
        print(f"{case.name}: {reason[:120]}")
    assert_reconciled(spark, settings, contracts)
    assert _lake_orders(spark, settings, contracts[0])[4][2] == "after the poison"
