"""Every MySQL type: real Debezium records of the type-torture table (tests/fixtures/torture/*.sql ->
tests/fixtures/debezium/torture.jsonl), the other connector modes, and values that do not fit.

The Spark decoder (the stream) and the Python decoder must give the same lake values.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cdc.decoders.debezium import decode_debezium as py_decode
from cdc.errors import DecodeError
from cdc.events import KafkaOrigin, Op
from lakehouse_schemas.contract import TableContract, load_contracts
from lakehouse_schemas.types import DebeziumModes

HERE = Path(__file__).resolve().parents[1] / "fixtures"
CONTRACTS = {c.table: c for c in load_contracts(directory=HERE / "contracts" / "torture")}
RECORDS = [json.loads(line) for line in (HERE / "debezium" / "torture.jsonl").read_text().splitlines()]


# Also under ANSI mode (Spark 4's default): a value that does not fit must still become a dead letter.
pytestmark = pytest.mark.usefixtures("ansi")


def _spark_rows(spark, contract, records, modes=None):
    from pyspark.sql import functions as F

    from spark_jobs.decode import decode_debezium

    rows = [
        (r["topic"], r["partition"], r["offset"], (r["key"] or "").encode() or None, r["value"].encode() if r["value"] else None)
        for r in records
    ]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    out = decode_debezium(df, contract, modes) if modes else decode_debezium(df, contract)
    ts_cols = [c.name for c in contract.columns if c.lake_type.kind == "timestamp"]
    # Instants are compared as epoch microseconds: the collected datetimes would be in the driver's local zone.
    out = out.select("*", *(F.unix_micros(F.col(c)).alias(f"{c}__us") for c in ts_cols))
    return {r["_cdc_offset"]: r.asDict() for r in out.collect()}


def _py(record, contract, modes=None):
    origin = KafkaOrigin(topic=record["topic"], partition=record["partition"], offset=record["offset"])
    kw = {"modes": modes} if modes else {}
    return py_decode(record["value"], key=record["key"], contract=contract, origin=origin, **kw)


def _micros(v: datetime) -> int:
    from datetime import UTC

    return int((v - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000 + v.microsecond


def _assert_same(spark_row, event, contract):
    image = event.row_image
    for c in contract.lake_columns:  # geometry SRID columns too
        s_val, p_val = spark_row[c.name], image[c.name]
        if c.lake_type.kind == "timestamp":
            s_val, p_val = spark_row[f"{c.name}__us"], (None if p_val is None else _micros(p_val))
        if isinstance(s_val, bytearray):
            s_val = bytes(s_val)
        assert s_val == p_val, (event.origin.offset, c.name, s_val, p_val)
        assert s_val is None or type(s_val) is type(p_val), (c.name, type(s_val), type(p_val))


def test_real_torture_records_decode_identically_in_spark_and_python(spark):
    # The captured fixture predates the nulldefaults table, which the e2e type test (tests/e2e/test_types.py) covers.
    captured = {r["topic"].rsplit(".", 1)[1] for r in RECORDS}
    assert captured <= set(CONTRACTS) and "alltypes" in captured
    for table in sorted(captured):
        contract = CONTRACTS[table]
        records = [r for r in RECORDS if r["topic"].endswith(f".{table}") and r["value"] is not None]
        assert records
        got = _spark_rows(spark, contract, records)
        assert set(got) == {r["offset"] for r in records}
        for r in records:
            ev = _py(r, contract)
            row = got[r["offset"]]
            assert row["_cdc_error"] is None, (r["offset"], row["_cdc_error"])
            assert row["_cdc_op"] == ev.op.value and row["_cdc_pos"] == ev.position.sort_key
            if ev.op is not Op.TRUNCATE:
                _assert_same(row, ev, contract)


def test_torture_edge_values():
    at = {(r["topic"].rsplit(".", 1)[1], r["offset"]): r for r in RECORDS}
    c = CONTRACTS["alltypes"]
    mx = _py(at[("alltypes", 1)], c).after  # row 2: every maximum
    assert mx["biu"] == Decimal(18446744073709551615) and type(mx["biu"]) is Decimal
    assert mx["d65"] == "99999999999999999999999999999999999.999999999999999999999999999999"
    assert mx["d38"] == Decimal("9999999999999999999999999999.9999999999")
    assert mx["b64"] == b"\xff" * 8 and mx["b10"] == b"\x03\xff"  # BIT: MySQL's big-endian bytes
    assert mx["vc"] == "Grüße 😀 日本語 𝄞" and mx["e"] == "ü😀" and mx["s"] == "x,y,z"
    assert mx["dt6"] == datetime(9999, 12, 31, 23, 59, 59, 999999)  # DATETIME: wall clock, as written
    assert _micros(mx["ts6"]) == 2147483647999999  # TIMESTAMP: the instant 2038-01-19 03:14:07.999999 UTC
    assert mx["tm"] == (838 * 3600 + 59 * 60 + 59) * 1_000_000 and mx["yr"] == 2155
    assert mx["f"] == pytest.approx(3.40282e38, rel=1e-6)
    mn = _py(at[("alltypes", 0)], c).after  # row 1: every minimum, written with session time_zone +05:30
    assert mn["bi"] == -(2**63) and mn["tm"] == -(838 * 3600 + 59 * 60 + 59) * 1_000_000
    assert _micros(mn["ts0"]) == 1_000_000 and mn["dt0"] == datetime(1000, 1, 1)
    assert mn["d"] == date(1000, 1, 1) and mn["bn"] == b"\x00" * 4  # BINARY(4) keeps its padding
    zero = _py(at[("alltypes", 2)], c).after  # row 3: zero dates (snapshot reader)
    assert zero["d"] is None and zero["dt6"] is None and zero["ts0"] is None
    assert zero["dnn"] == date(2000, 1, 1)  # NOT NULL zero date: Debezium sends the column default
    streamed_zero = _py(at[("alltypes", 7)], c).after  # UPDATE ... ts0 = zero (binlog reader sends the epoch)
    assert streamed_zero["ts0"] is None and streamed_zero["d"] is None and streamed_zero["money"] is None
    deleted = _py(at[("alltypes", 11)], c)
    assert deleted.op is Op.DELETE and deleted.before["yr"] == 0  # YEAR 0000 arrives as 1900 from the binlog
    neg = _py(at[("alltypes", 4)], c).after
    assert neg["tm6"] == -1 and neg["d65"] == "-0.000000000000000000000000000001" and neg["f"] == pytest.approx(1.1)
    assert neg["g"] == base64.b64decode("AQQAAAACAAAAAQEAAAAAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAADwPwAAAAAAAPA/")
    trunc = _py(next(r for r in RECORDS if r["topic"].endswith("truncme") and r["key"] is None), CONTRACTS["truncme"])
    assert trunc.op is Op.TRUNCATE


def _wkb_point(x: float, y: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, x, y)  # OGC WKB, little-endian: what ST_AsBinary returns


def test_torture_spatial_values_keep_wkb_and_srid():
    at = {(r["topic"].rsplit(".", 1)[1], r["offset"]): r for r in RECORDS}
    c = CONTRACTS["alltypes"]
    srid4326 = _py(at[("alltypes", 1)], c).after  # row 2 in the snapshot: every geometry with SRID 4326
    assert srid4326["g"] == _wkb_point(13.405, 52.52) and srid4326["pt"] == _wkb_point(-122.4194, 37.7749)
    assert (srid4326["g__srid"], srid4326["pt__srid"], srid4326["ls__srid"], srid4326["pg__srid"]) == (4326,) * 4
    srid0 = _py(at[("alltypes", 0)], c).after  # row 1: SRID 0, which Debezium leaves out (srid null)
    assert json.loads(at[("alltypes", 0)]["value"])["after"]["ls"]["srid"] is None
    assert (srid0["g"], srid0["g__srid"], srid0["ls__srid"], srid0["pg__srid"]) == (_wkb_point(0, 0), 0, 0, 0)
    empty = _py(at[("alltypes", 5)], c).after  # row 6: GEOMETRYCOLLECTION EMPTY; a polygon in SRID 3857
    assert (empty["g"], empty["g__srid"], empty["pg__srid"]) == (bytes.fromhex("010700000000000000"), 0, 3857)
    nulls = _py(at[("alltypes", 3)], c).after  # row 4: NULL geometry, NULL SRID
    assert all(nulls[k] is None for k in ("g", "g__srid", "pt", "pt__srid", "ls", "ls__srid", "pg", "pg__srid"))
    only_srid = _py(at[("alltypes", 16)], c)  # UPDATE ... ls = the same line in SRID 4326
    assert only_srid.before["ls"] == only_srid.after["ls"] and (only_srid.before["ls__srid"], only_srid.after["ls__srid"]) == (0, 4326)
    to_null = _py(at[("alltypes", 17)], c)  # UPDATE ... SET g = NULL, ... WHERE id = 2
    assert to_null.before["pt__srid"] == 4326 and to_null.after["g"] is None and to_null.after["g__srid"] is None


# ------------------------------------------------------------------- other connector modes

MODES = TableContract.from_yaml(
    """
source: m
database: db
table: modes
target_database: db
target_table: modes
key: [id]
columns:
- {name: id, type: int}
- {name: money, type: "decimal(10,2)"}
- {name: ubig, type: bigint unsigned}
- {name: t3, type: "time(3)"}
- {name: t6, type: "time(6)"}
- {name: dt6, type: "datetime(6)"}
- {name: b, type: "varbinary(8)"}
- {name: bits, type: "bit(16)"}
"""
)
EXPECTED = {
    "id": 1,
    "money": Decimal("-12.34"),
    "ubig": Decimal(18446744073709551615),
    "t3": -1_500_000,
    "t6": 86_400_000_001,
    "b": b"\x00\xfe\xff",
    "bits": b"\x01\x02",
}


def _mode_msg(after: dict) -> dict:
    v = json.dumps({"before": None, "after": after, "source": {"file": "mysql-bin.000001", "pos": 4, "db": "db", "table": "modes"}, "op": "c"})
    return {"topic": "m.db.modes", "partition": 0, "offset": 0, "key": '{"id":1}', "value": v}


@pytest.mark.parametrize(
    "modes,after,dt6",
    [
        (  # decimal precise with the JsonConverter default BASE64 format; time adaptive; unsigned long
            DebeziumModes(decimal_handling="precise", decimal_format="base64", time_precision="adaptive", bigint_unsigned="long"),
            {"id": 1, "money": base64.b64encode((-1234).to_bytes(2, "big", signed=True)).decode(), "ubig": -1,
             "t3": -1500, "t6": 86_400_000_001, "b": "AP7/", "bits": "AgE=", "dt6": 1609459200123456},
            datetime(2021, 1, 1, 0, 0, 0, 123456),
        ),
        (  # decimal precise as NUMERIC; time connect (millis, DATETIME loses micros); binary hex
            DebeziumModes(decimal_handling="precise", decimal_format="numeric", time_precision="connect", binary_handling="hex"),
            {"id": 1, "money": -12.34, "ubig": 18446744073709551615, "t3": -1500, "t6": 86_400_000, "b": "00feff",
             "bits": "0201", "dt6": 1609459200123},
            datetime(2021, 1, 1, 0, 0, 0, 123000),
        ),
        (  # decimal double (lossy by design, exact for this value); binary url-safe base64
            DebeziumModes(decimal_handling="double", binary_handling="base64-url-safe"),
            {"id": 1, "money": -12.34, "ubig": 18446744073709551615, "t3": -1_500_000, "t6": 86_400_000_001,
             "b": "AP7_", "bits": "AgE=", "dt6": 1609459200123456},
            datetime(2021, 1, 1, 0, 0, 0, 123456),
        ),
    ],
)
def test_other_connector_modes(spark, modes, after, dt6):
    rec = _mode_msg(after)
    ev = _py(rec, MODES, modes)
    want = dict(EXPECTED, dt6=dt6)
    if modes.time_precision == "connect":
        want["t6"] = 86_400_000_000  # Connect Time is milliseconds
    assert ev.after == want
    row = _spark_rows(spark, MODES, [rec], modes)[0]
    assert row["_cdc_error"] is None, row["_cdc_error"]
    _assert_same(row, ev, MODES)


def test_schemas_enabled_sample_decodes_in_spark(spark):
    from tests.conftest import shared_dir

    sample = shared_dir() / "cdc-samples" / "debezium" / "docs" / "mysql-create-value-with-schema.json"
    doc = json.loads(sample.read_text())
    payload = doc["payload"]
    contract = TableContract(
        source="mysql-server-1", database=payload["source"]["db"], table=payload["source"]["table"],
        target_database="inventory", target_table="customers", key=("id",),
        columns=[{"name": k, "type": "int" if isinstance(v, int) else "varchar(255)"} for k, v in payload["after"].items()],
    )
    rec = {"topic": "t", "partition": 0, "offset": 0, "key": None, "value": sample.read_text()}
    row = _spark_rows(spark, contract, [rec])[0]
    assert row["_cdc_error"] is None and row["_cdc_op"] == "c"
    assert {k: row[k] for k in payload["after"]} == payload["after"]


# ------------------------------------------------------------------- values that do not fit -> dead letters

BAD = [
    ("money", '"12.345"', "more fraction digits"),  # never rounded
    ("money", '"123456789.00"', "does not fit decimal(10,2)"),  # too wide
    ("ti", '"7"', "does not fit tinyint"),  # wrong JSON type: Spark's from_json alone would give NULL
    ("ti", "300", "out of range"),
    ("i", "1.5", "does not fit int"),
    ("d65", '"1e5"', "does not fit decimal(65,30)"),
    ("ts6", '"yesterday"', "does not fit timestamp(6)"),
    ("b1", '"yes"', "does not fit bit(1)"),
    ("dt6", '"2021-01-01"', "does not fit datetime(6)"),
]


@pytest.mark.parametrize("column,raw,reason", BAD)
def test_values_that_do_not_fit_are_errors_in_both_decoders(spark, column, raw, reason):
    value = (
        '{"before":null,"after":{"id":9,"' + column + '":' + raw + '},"source":{"file":"mysql-bin.000001","pos":4,'
        '"db":"torture","table":"alltypes"},"op":"c"}'
    )
    rec = {"topic": "torture.torture.alltypes", "partition": 0, "offset": 5, "key": '{"id":9}', "value": value}
    row = _spark_rows(spark, CONTRACTS["alltypes"], [rec])[5]
    assert row["_cdc_error"] and reason in row["_cdc_error"] and column in row["_cdc_error"], row["_cdc_error"]
    with pytest.raises(DecodeError, match=column):
        _py(rec, CONTRACTS["alltypes"])


def test_not_row_changes_are_dropped_not_dead_lettered(spark):
    c = CONTRACTS["truncme"]
    values = ['{"status":"BEGIN","id":"0-1-5","event_count":null}', '{"ts_ms":1700000000000}',
              '{"source":{"db":"torture"},"ddl":"ALTER TABLE truncme ADD x INT","tableChanges":[]}', None]
    recs = [{"topic": "torture.torture.truncme", "partition": 0, "offset": i, "key": None, "value": v} for i, v in enumerate(values)]
    assert _spark_rows(spark, c, recs) == {}
    assert all(_py(r, c) is None for r in recs)
