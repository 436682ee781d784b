"""The two DMS decoders must agree: Spark-native (the stream) and Python (CLI, dead letters, tests).

Every fixture message (tests/fixtures/dms/messages.jsonl) goes through both; the rows, their
order keys, ops, delete flags, values and error reasons must be identical. Also: the Spark DMS
decoder returns exactly the columns (names and types) of the Debezium decoder.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import pytest

from cdc.decoders.dms import decode_dms_events
from cdc.errors import DecodeError
from cdc.events import KafkaOrigin
from lakehouse_schemas.contract import TableContract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dms"
CONTRACT = TableContract.from_yaml((FIXTURES / "alltypes.yaml").read_text(), "alltypes.yaml")
MESSAGES = [json.loads(line) for line in (FIXTURES / "messages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
TOPIC = CONTRACT.topic()


# Also under ANSI mode (Spark 4's default): a value that does not fit must still become a dead letter.
pytestmark = pytest.mark.usefixtures("ansi")


def _records(spark, values):
    rows = [(TOPIC, 0, i, None, v.encode() if v is not None else None) for i, v in enumerate(values)]
    return spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")


def _python(values):
    """Per offset: ('ok', [events]) or ('error', reason)."""
    out = []
    for i, v in enumerate(values):
        try:
            out.append(("ok", decode_dms_events(v, contract=CONTRACT, origin=KafkaOrigin(topic=TOPIC, partition=0, offset=i))))
        except DecodeError as exc:
            out.append(("error", exc.reason))
    return out


def _same(s_val, p_val):
    if isinstance(s_val, bytearray):
        s_val = bytes(s_val)
    if isinstance(s_val, dt.datetime) and isinstance(p_val, dt.datetime) and p_val.tzinfo is not None:
        s_val = s_val.replace(tzinfo=dt.UTC) if s_val.tzinfo is None else s_val
    return s_val == p_val and (s_val is None or type(s_val) is type(p_val))


def test_spark_and_python_decode_every_fixture_identically(spark):
    from spark_jobs.decode_dms import decode_dms

    values = [m["value"] for m in MESSAGES]
    got = decode_dms(_records(spark, values), CONTRACT).collect()
    by_offset: dict[int, list] = {}
    for r in got:
        by_offset.setdefault(r["_cdc_offset"], []).append(r)
    for i, (m, (kind, result)) in enumerate(zip(MESSAGES, _python(values), strict=True)):
        rows = by_offset.get(i, [])
        name = m["name"]
        if kind == "error":
            assert m["expect"] == "error", (name, result)
            assert len(rows) == 1 and rows[0]["_cdc_error"] == result, (name, [r["_cdc_error"] for r in rows], result)
            continue
        assert ",".join(e.op.value for e in result) == m["expect"], name
        rows.sort(key=lambda r: 0 if r["_hoodie_is_deleted"] else 1)  # a key change: delete(old) then create(new)
        assert len(rows) == len(result), (name, rows)
        for srow, event in zip(rows, result, strict=True):
            assert srow["_cdc_error"] is None, (name, srow["_cdc_error"])
            assert srow["_cdc_op"] == event.op.value, name
            assert srow["_cdc_pos"] == event.position.sort_key, name
            assert srow["_cdc_snapshot"] == event.snapshot, name
            assert srow["_hoodie_is_deleted"] == event.is_delete, name
            assert _same(srow["_cdc_commit_ts"], event.commit_ts), (name, srow["_cdc_commit_ts"], event.commit_ts)
            image = event.row_image
            for c in CONTRACT.lake_columns:
                assert _same(srow[c.name], image[c.name]), (name, c.name, srow[c.name], image[c.name])


def test_values_and_ordering_are_what_mysql_holds(spark):
    """Not only equal to each other: money stays exact, BIGINT UNSIGNED max survives, binlog rotation orders numerically."""
    from spark_jobs.decode_dms import decode_dms

    named = {m["name"]: m["value"] for m in MESSAGES}
    values = [named["insert"], named["update-numbers-as-json-numbers"], named["load"]]
    rows = decode_dms(_records(spark, values), CONTRACT).orderBy("_cdc_offset").collect()
    ins, upd, load = rows
    assert str(ins["money"]) == "12345678.91" and ins["biu"] == 18446744073709551615
    assert ins["d65"] == "12345678901234567890123456789012345.123456789012345678901234567890"
    assert ins["vbn"] == bytearray(b"\x00\x01\xff") and ins["b10"] == bytearray(b"\x02\x03")
    assert ins["dt6"] == dt.datetime(2021, 1, 1, 10, 0, 0, 123456) and ins["tm6"] == -(838 * 3600 + 59 * 60 + 58) * 10**6 - 999999
    assert str(upd["money"]) == "7.50" and upd["tm6"] == 1_000_000
    # mysql-bin-changelog.000010 pos 4 is after .000009 pos 999999; the full-load row sorts before both.
    assert load["_cdc_pos"] < ins["_cdc_pos"] < upd["_cdc_pos"]
    assert load["_cdc_snapshot"] and not ins["_cdc_snapshot"]


def test_geometry_is_split_into_wkb_and_srid(spark):
    """DMS sends MySQL's stored geometry (SRID little-endian, then WKB); the lake holds both, as from Debezium."""
    from spark_jobs.decode_dms import decode_dms

    named = {m["name"]: m["value"] for m in MESSAGES}
    values = [named["geometry-srid-4326"], named["geometry-srid-0-empty-collection"], named["insert"]]
    rows = decode_dms(_records(spark, values), CONTRACT).orderBy("_cdc_offset").collect()
    point = struct.pack("<BIdd", 1, 1, 13.405, 52.52)  # WKB POINT(13.405 52.52), little-endian
    assert [(r["g"], r["g__srid"]) for r in rows] == [(point, 4326), (bytes.fromhex("010700000000000000"), 0), (None, None)]
    assert "value of g does not fit geometry" in _python([named["geometry-without-wkb"]])[0][1]


def test_same_columns_as_the_debezium_decoder(spark):
    from spark_jobs.decode import decode_debezium
    from spark_jobs.decode_dms import decode_dms

    records = _records(spark, [MESSAGES[0]["value"]])
    dms_schema = decode_dms(records, CONTRACT).schema
    dbz_schema = decode_debezium(records, CONTRACT).schema
    assert [(f.name, f.dataType) for f in dms_schema] == [(f.name, f.dataType) for f in dbz_schema]


def test_dispatch_by_capture_format(spark):
    from spark_jobs.decode import decode_records

    out = decode_records(_records(spark, [MESSAGES[1]["value"]]), CONTRACT).collect()
    assert len(out) == 1 and out[0]["_cdc_error"] is None and out[0]["id"] == 2
