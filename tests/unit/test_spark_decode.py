"""The two decoders must agree: Spark-native (the stream) and Python (CLI, dead letters, tests).

The same messages go through both; every converted value and the ordering key must be equal.
Runs a plain local Spark session (no Kafka, no Hudi jars needed).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from cdc.decoders.debezium import decode_debezium as py_decode
from cdc.events import KafkaOrigin
from lakehouse_schemas.contract import TableContract
from tests.support.ordering import latest_per_key as py_latest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "debezium"

TYPES = TableContract.from_yaml(
    """
source: s
database: db
table: T
target_database: db
target_table: t
key: [id]
columns:
- {name: id, type: int}
- {name: ubig, type: bigint unsigned}
- {name: money, type: "decimal(10,2)"}
- {name: wide, type: "decimal(65,30)"}
- {name: dt0, type: datetime}
- {name: dt6, type: "datetime(6)"}
- {name: ts3, type: "timestamp(3)"}
- {name: d, type: date}
- {name: b, type: "varbinary(8)"}
- {name: flag, type: "bit(1)"}
- {name: txt, type: "varchar(20)"}
- {name: f, type: double}
"""
)


def _msg(op, after, before=None, file="mysql-bin.000001", pos=100, row=0, snapshot="false"):
    return json.dumps(
        {
            "before": before,
            "after": after,
            "source": {"file": file, "pos": pos, "row": row, "snapshot": snapshot, "ts_ms": 1700000000123, "db": "db", "table": "T"},
            "op": op,
            "ts_ms": 1700000000999,
        }
    )


ROW = {
    "id": 1,
    "ubig": 18446744073709551615,
    "money": "12345678.91",
    "wide": "12345678901234567890123456789012345.123456789012345678901234567890",
    "dt0": 1609459200000,
    "dt6": 1609459200123456,
    "ts3": "2021-01-01T10:00:00.123Z",
    "d": 18628,
    "b": "AAEC/w==",
    "flag": True,
    "txt": "Grüße 😀",
    "f": 1.5,
}


# Also under ANSI mode (Spark 4's default): a value that does not fit must still become a dead letter.
pytestmark = pytest.mark.usefixtures("ansi")


def _spark_decode(spark, contract, values):
    from spark_jobs.decode import decode_debezium

    rows = [("t", 0, i, None, v.encode() if v is not None else None) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    return decode_debezium(df, contract).orderBy("_cdc_offset").collect()


def _aware(v):
    return v.replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo is None else v


def test_every_type_decodes_identically(spark):
    values = [
        _msg("c", ROW),
        _msg("u", {**ROW, "money": "0.01", "dt6": 0, "txt": None}, before=ROW, file="mysql-bin.000009", pos=999999, row=3),
        _msg("d", None, before=ROW, file="mysql-bin.000010", pos=4),
        _msg("r", {**ROW, "ubig": 0, "flag": False}, snapshot="true"),
    ]
    got = _spark_decode(spark, TYPES, values)
    for i, (value, srow) in enumerate(zip(values, got, strict=True)):
        ev = py_decode(value, contract=TYPES, origin=KafkaOrigin(topic="t", partition=0, offset=i))
        assert srow["_cdc_error"] is None
        assert srow["_cdc_pos"] == ev.position.sort_key
        assert srow["_cdc_op"] == ev.op.value
        assert srow["_hoodie_is_deleted"] == ev.is_delete
        image = ev.row_image
        for c in TYPES.columns:
            s_val, p_val = srow[c.name], image[c.name]
            if isinstance(s_val, bytearray):
                s_val = bytes(s_val)
            if c.lake_type.kind == "timestamp":
                s_val, p_val = _aware(s_val), _aware(p_val)
            assert s_val == p_val, (i, c.name, s_val, p_val)
            assert type(s_val) is type(p_val) or s_val is None, (c.name, type(s_val), type(p_val))
    assert got[0]["money"].__class__.__name__ == "Decimal"  # money never becomes a double
    assert got[0]["ubig"] == 18446744073709551615  # BIGINT UNSIGNED max survives


def test_binlog_rotation_orders_numerically(spark):
    values = [
        _msg("u", ROW, before=ROW, file="mysql-bin.000010", pos=4),
        _msg("u", ROW, before=ROW, file="mysql-bin.000009", pos=999999),
    ]
    got = _spark_decode(spark, TYPES, values)
    assert got[0]["_cdc_pos"] > got[1]["_cdc_pos"]


def test_bad_messages_carry_a_reason(spark):
    values = ["{not json", _msg("x", ROW), _msg("c", {**ROW, "id": None}), _msg("c", {**ROW, "money": "123456789.123"})]
    got = _spark_decode(spark, TYPES, values)
    reasons = [r["_cdc_error"] for r in got]
    assert all(reasons), reasons
    assert "malformed" in reasons[0] and "unknown op" in reasons[1] and "null" in reasons[2] and "money" in reasons[3]


def test_latest_per_key_matches_python_model(spark):
    from spark_jobs.upsert import latest_per_key

    rng = random.Random(3)
    values, pos = [], 100
    for _ in range(200):
        k = rng.randint(1, 15)
        pos += rng.randint(1, 50)
        op = rng.choice(["c", "u", "d"])
        img = {**ROW, "id": k, "money": f"{rng.randint(0, 9999)}.{rng.randint(0, 99):02d}"}
        file = f"mysql-bin.{(pos // 1000) + 1:06d}"
        values.append(_msg(op, None if op == "d" else img, before=img if op != "c" else None, file=file, pos=pos % 1000))
    order = list(range(len(values)))
    rng.shuffle(order)
    shuffled = [values[i] for i in order]
    from spark_jobs.decode import decode_debezium

    rows = [("t", 0, i, None, v.encode()) for i, v in enumerate(shuffled)]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    spark_latest = {r["id"]: (r["_cdc_pos"], r["_cdc_op"]) for r in latest_per_key(decode_debezium(df, TYPES), TYPES).collect()}
    events = [py_decode(v, contract=TYPES, origin=KafkaOrigin(topic="t", partition=0, offset=i)) for i, v in enumerate(shuffled)]
    model = {k[0]: (e.position.sort_key, e.op.value) for k, e in py_latest(events, TYPES.key).items()}
    assert spark_latest == model


def test_real_captured_fixtures_decode_identically(spark):
    from lakehouse_schemas import load_contracts

    contracts = {c.table: c for c in load_contracts("chinook")}
    for name, table in (("invoice-1-snapshot-read", "Invoice"), ("genre-1-update", "Genre"), ("genre-1-delete", "Genre")):
        value = (FIXTURES / f"{name}.value.json").read_text()
        srow = _spark_decode(spark, contracts[table], [value])[0]
        ev = py_decode(value, contract=contracts[table])
        assert srow["_cdc_pos"] == ev.position.sort_key
        for c in contracts[table].columns:
            assert srow[c.name] == ev.row_image[c.name], (name, c.name)


def test_commit_time_zero_falls_back_to_the_envelope_in_both_decoders(spark):
    """source.ts_ms 0 means unknown: the envelope's ts_ms (1700000000999) is the commit time, not 1970."""
    values = [_msg("c", ROW).replace('"ts_ms": 1700000000123', '"ts_ms": 0'), _msg("c", ROW)]
    got = _spark_decode(spark, TYPES, values)
    want = [dt.datetime(2023, 11, 14, 22, 13, 20, 999000, tzinfo=dt.UTC), dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC)]
    for i, (value, srow) in enumerate(zip(values, got, strict=True)):
        ev = py_decode(value, contract=TYPES, origin=KafkaOrigin(topic="t", partition=0, offset=i))
        assert ev.commit_ts == want[i] and _aware(srow["_cdc_commit_ts"]) == want[i], (i, ev.commit_ts, srow["_cdc_commit_ts"])
