"""decode_debezium against the Debezium docs samples (shared/cdc-samples), our own connector's records
(tests/fixtures/debezium) and the wire encodings of every lake type."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cdc.decoders import DECODERS, get_decoder
from cdc.decoders.debezium import decode_debezium, decode_key
from cdc.errors import ConfigError, DecodeError
from cdc.events import ChangeEvent, KafkaOrigin, Op, SourcePosition
from lakehouse_schemas.contract import Column, TableContract, load_contracts

HERE = Path(__file__).resolve()
FIXTURES = HERE.parent.parent / "fixtures" / "debezium"


def _shared_samples() -> Path:
    """shared/cdc-samples: $CDCLAKE_SHARED (the shared folder or cdc-samples itself), else a parent's shared/cdc-samples."""
    candidates: list[Path] = []
    env = os.environ.get("CDCLAKE_SHARED")
    if env:
        candidates += [Path(env) / "cdc-samples", Path(env)]
    candidates += [p / "shared" / "cdc-samples" for p in HERE.parents]
    for c in candidates:
        if (c / "debezium").is_dir():
            return c
    # Never skip: without the samples the decoder is untested against real Debezium output.
    pytest.fail(f"shared/cdc-samples not found (set CDCLAKE_SHARED); looked in {[str(c) for c in candidates]}")


@pytest.fixture(scope="module")
def samples() -> Path:
    return _shared_samples() / "debezium"


def text(samples: Path, rel: str) -> str:
    return (samples / rel).read_text(encoding="utf-8")


# Every sample file a test below decodes; test_every_sample_is_covered fails when a new one appears.
COVERED = {
    "docs/mysql-create-value-with-schema.json",
    "docs/mysql-update-value.json",
    "docs/mysql-delete-value.json",
    "docs/mysql-truncate-value.json",
    "docs/mysql-key-with-schema.json",
    "docs/mysql-schema-change-key.json",
    "docs/mysql-schema-change-value.json",
    "docs/transaction-begin.json",
    "docs/transaction-end.json",
    "docs/transaction-enriched-create-value-payload.json",
    "tutorial/snapshot-read-1004-key.json",
    "tutorial/snapshot-read-1004-value.json",
    "tutorial/update-1004-key.json",
    "tutorial/update-1004-value.json",
    "tutorial/delete-1004-key.json",
    "tutorial/delete-1004-value.json",
    "tutorial/tombstone-1004-key.json",
    "tutorial/tombstone-1004-value.json",
    "tutorial/console-consumer-creates-1005-1006.key-tab-value.txt",
}

CUSTOMERS = TableContract(
    source="mysql-server-1",
    database="inventory",
    table="customers",
    target_database="inventory",
    target_table="customers",
    key=("id",),
    columns=(
        Column(name="id", type="int", nullable=False),
        Column(name="first_name", type="varchar(255)", nullable=False),
        Column(name="last_name", type="varchar(255)", nullable=False),
        Column(name="email", type="varchar(255)", nullable=False),
    ),
)
ORIGIN = KafkaOrigin(topic="mysql-server-1.inventory.customers", partition=0, offset=7)
ANNE = {"id": 1004, "first_name": "Anne", "last_name": "Kretchmar", "email": "annek@noanswer.org"}
ANNE_MARIE = {**ANNE, "first_name": "Anne Marie"}


def chinook(table: str) -> TableContract:
    return next(c for c in load_contracts("chinook") if c.table == table)


def test_every_sample_is_covered(samples: Path) -> None:
    found = {p.relative_to(samples).as_posix() for p in samples.rglob("*") if p.is_file()}
    assert found, f"no samples under {samples}"
    assert found <= COVERED, f"samples without a test: {sorted(found - COVERED)}"
    assert found >= COVERED, f"samples missing: {sorted(COVERED - found)}"


def test_registry() -> None:
    assert DECODERS["debezium"] is decode_debezium
    assert get_decoder("debezium") is decode_debezium
    with pytest.raises(ConfigError):
        get_decoder("maxwell")


# --------------------------------------------------------------------------- Debezium reference docs


def test_docs_create_with_schema(samples: Path) -> None:
    e = decode_debezium(text(samples, "docs/mysql-create-value-with-schema.json"), contract=CUSTOMERS, origin=ORIGIN)
    assert isinstance(e, ChangeEvent)
    assert e.op is Op.CREATE
    assert (e.database, e.table) == ("inventory", "customers")
    assert e.key == {"id": 1004}  # from the contract's key column of the after image
    assert e.before is None
    assert e.after == ANNE
    assert e.position == SourcePosition(file="mysql-bin.000003", pos=154, row=0, snapshot=False, gtid=None)
    # The sample's source.ts_ms is 0 ("unknown"): the envelope's ts_ms, not 1970-01-01.
    assert e.commit_ts == datetime(2016, 6, 9, 16, 56, 51, 815000, tzinfo=UTC)
    assert e.snapshot is False and e.transaction_id is None
    assert e.origin == ORIGIN
    # Without a contract: values as they arrive, key from the Kafka key.
    raw = decode_debezium(text(samples, "docs/mysql-create-value-with-schema.json"), key={"id": 1004})
    assert raw is not None and raw.after == ANNE and raw.key == {"id": 1004}


def test_docs_update(samples: Path) -> None:
    e = decode_debezium(text(samples, "docs/mysql-update-value.json"), contract=CUSTOMERS)
    assert e is not None and e.op is Op.UPDATE
    assert e.key == {"id": 1004}
    assert e.before == ANNE and e.after == ANNE_MARIE
    assert e.position == SourcePosition(file="mysql-bin.000003", pos=484, row=0, snapshot=False)
    assert e.commit_ts == datetime(2016, 6, 10, 17, 50, 29, 100000, tzinfo=UTC)


def test_docs_delete(samples: Path) -> None:
    e = decode_debezium(text(samples, "docs/mysql-delete-value.json"), contract=CUSTOMERS)
    assert e is not None and e.op is Op.DELETE and e.is_delete
    assert e.key == {"id": 1004}  # taken from the before image for a delete
    assert e.before == ANNE_MARIE and e.after is None
    assert e.row_image == ANNE_MARIE
    assert e.position.file == "mysql-bin.000003" and e.position.pos == 805
    assert e.commit_ts == datetime(2016, 6, 10, 18, 5, 2, 300000, tzinfo=UTC)


def test_docs_truncate(samples: Path) -> None:
    # Truncate records have a null Kafka key; the event is about the whole table.
    for contract in (None, CUSTOMERS):
        e = decode_debezium(text(samples, "docs/mysql-truncate-value.json"), key=None, contract=contract)
        assert e is not None and e.op is Op.TRUNCATE
        assert e.key == {} and e.before is None and e.after is None
        assert (e.database, e.table) == ("inventory", "customers")
        assert e.position == SourcePosition(file="mysql-bin.000003", pos=484, row=0, snapshot=False)


def test_docs_key_with_schema(samples: Path) -> None:
    assert decode_key(text(samples, "docs/mysql-key-with-schema.json")) == {"id": 1001}
    assert decode_key(text(samples, "docs/mysql-key-with-schema.json"), contract=CUSTOMERS) == {"id": 1001}


def test_docs_schema_change_is_ignored(samples: Path) -> None:
    assert decode_key(text(samples, "docs/mysql-schema-change-key.json")) == {"databaseName": "inventory"}
    value = text(samples, "docs/mysql-schema-change-value.json")
    assert decode_debezium(value, key=text(samples, "docs/mysql-schema-change-key.json")) is None
    assert decode_debezium(value, contract=CUSTOMERS, origin=KafkaOrigin(topic="mysql-server-1", partition=0, offset=3)) is None


@pytest.mark.parametrize("rel", ["docs/transaction-begin.json", "docs/transaction-end.json"])
def test_docs_transaction_markers_are_ignored(samples: Path, rel: str) -> None:
    assert json.loads(text(samples, rel))["status"] in ("BEGIN", "END")
    assert decode_debezium(text(samples, rel)) is None
    assert decode_debezium(text(samples, rel), origin=KafkaOrigin(topic="mysql-server-1.transaction", partition=0, offset=0)) is None


def test_docs_transaction_enriched_create(samples: Path) -> None:
    value = text(samples, "docs/transaction-enriched-create-value-payload.json")
    # The sample's source block is elided ({}): database and table come from the topic, position defaults.
    e = decode_debezium(value, key={"pk": "2"}, origin=KafkaOrigin(topic="dbserver1.s1.a", partition=1, offset=9))
    assert e is not None and e.op is Op.CREATE
    assert (e.database, e.table) == ("s1", "a")
    assert e.key == {"pk": "2"}
    assert e.after == {"pk": "2", "aa": "1"} and e.before is None
    assert e.transaction_id == "0e4d5dcd-a33b-11ea-80f1-02010a22a99e:10"
    assert e.position == SourcePosition()
    assert e.commit_ts is None
    # Without a topic, a contract or a source block nothing says which table it is.
    with pytest.raises(DecodeError, match="cannot tell the table"):
        decode_debezium(value, key={"pk": "2"})


# --------------------------------------------------------------------------- Debezium tutorial


def test_tutorial_snapshot_read(samples: Path) -> None:
    key = text(samples, "tutorial/snapshot-read-1004-key.json")
    e = decode_debezium(text(samples, "tutorial/snapshot-read-1004-value.json"), key=key, contract=CUSTOMERS)
    assert e is not None and e.op is Op.READ
    assert e.key == {"id": 1004}
    assert e.after == ANNE and e.before is None
    assert e.snapshot is True  # source.snapshot: true
    assert e.position == SourcePosition(file="mysql-bin.000003", pos=154, row=0, snapshot=True)
    # This (older) connector version sent source.ts_sec, not ts_ms; like the Spark job, no commit time then.
    assert e.commit_ts is None


def test_tutorial_update_and_delete(samples: Path) -> None:
    u = decode_debezium(
        text(samples, "tutorial/update-1004-value.json"), key=text(samples, "tutorial/update-1004-key.json"), contract=CUSTOMERS
    )
    assert u is not None and u.op is Op.UPDATE
    assert u.key == {"id": 1004}
    assert u.before == ANNE and u.after == ANNE_MARIE
    assert u.snapshot is False  # source.snapshot: null
    assert u.position == SourcePosition(file="mysql-bin.000003", pos=364, row=0, snapshot=False)

    d = decode_debezium(
        text(samples, "tutorial/delete-1004-value.json"), key=text(samples, "tutorial/delete-1004-key.json"), contract=CUSTOMERS
    )
    assert d is not None and d.op is Op.DELETE
    assert d.key == {"id": 1004} and d.before == ANNE_MARIE and d.after is None
    assert d.position == SourcePosition(file="mysql-bin.000003", pos=725, row=0)
    assert u.position.sort_key < d.position.sort_key


def test_tutorial_tombstone(samples: Path) -> None:
    key = text(samples, "tutorial/tombstone-1004-key.json")
    assert decode_key(key) == {"id": 1004}
    # As rendered by JsonConverter with schemas on, and as it is on the wire (a null value).
    assert decode_debezium(text(samples, "tutorial/tombstone-1004-value.json"), key=key, contract=CUSTOMERS) is None
    assert decode_debezium(None, key=key, contract=CUSTOMERS) is None


def test_tutorial_console_consumer_creates(samples: Path) -> None:
    lines = text(samples, "tutorial/console-consumer-creates-1005-1006.key-tab-value.txt").splitlines()
    events = []
    for offset, line in enumerate(lines):
        key, value = line.split("\t")
        e = decode_debezium(value, key=key, origin=KafkaOrigin(topic="dbserver1.inventory.customers", partition=0, offset=offset))
        assert e is not None
        events.append(e)
    assert [e.op for e in events] == [Op.CREATE, Op.CREATE]
    assert [e.key for e in events] == [{"id": 1005}, {"id": 1006}]
    assert events[0].after == {"id": 1005, "first_name": "Sarah", "last_name": "Thompson", "email": "kitt@acme.com"}
    assert events[1].after == {"id": 1006, "first_name": "Kenneth", "last_name": "Anderson", "email": "kander@acme.com"}
    assert [(e.position.file, e.position.pos, e.position.snapshot) for e in events] == [
        ("mysql-bin.000003", 1046, False),
        ("mysql-bin.000003", 1356, False),
    ]
    assert events[0].position.sort_key < events[1].position.sort_key


# --------------------------------------------------------------------------- our connector (tests/fixtures/debezium)


def fixture(name: str) -> dict[str, Any]:
    entry = next(r for r in json.loads((FIXTURES / "MANIFEST.json").read_text()) if r["name"] == name)
    read = lambda f: None if f is None else (FIXTURES / f).read_bytes()
    return {"value": read(entry["value"]), "key": read(entry["key"]), "topic": entry["topic"]}


def decode_fixture(name: str, offset: int = 0, contract: TableContract | None = None) -> ChangeEvent | None:
    f = fixture(name)
    return decode_debezium(f["value"], key=f["key"], contract=contract, origin=KafkaOrigin(topic=f["topic"], partition=0, offset=offset))


def test_fixtures_manifest_lists_every_file() -> None:
    manifest = json.loads((FIXTURES / "MANIFEST.json").read_text())
    listed = {f for r in manifest for f in (r["key"], r["value"]) if f}
    on_disk = {p.name for p in FIXTURES.glob("*.json")} - {"MANIFEST.json"}
    assert listed == on_disk
    assert (FIXTURES / "README.md").is_file()


def test_our_snapshot_read_with_contract() -> None:
    e = decode_fixture("invoice-1-snapshot-read", offset=0, contract=chinook("Invoice"))
    assert e is not None and e.op is Op.READ
    assert (e.database, e.table) == ("Chinook", "Invoice")
    assert e.key == {"InvoiceId": 1}
    assert e.after == {
        "InvoiceId": 1,
        "CustomerId": 2,
        "InvoiceDate": datetime(2021, 1, 1, 0, 0),  # DATETIME: naive wall clock
        "BillingAddress": "Theodor-Heuss-Straße 34",
        "BillingCity": "Stuttgart",
        "BillingState": None,
        "BillingCountry": "Germany",
        "BillingPostalCode": "70174",
        "Total": Decimal("1.98"),
    }
    assert isinstance(e.after["Total"], Decimal)
    assert e.snapshot is True  # "first_in_data_collection"
    assert e.position == SourcePosition(file="mysql-bin.000001", pos=1032387, row=0, snapshot=True, gtid=None)
    assert e.commit_ts == datetime(2026, 11, 23, 9, 14, 59, tzinfo=UTC)
    assert e.transaction_id is None


def test_our_snapshot_read_without_contract() -> None:
    e = decode_fixture("invoice-1-snapshot-read")
    assert e is not None
    assert e.after is not None and e.after["Total"] == "1.98" and e.after["InvoiceDate"] == 1609459200000  # as they arrive


def test_our_update_delete_tombstone() -> None:
    genre = chinook("Genre")
    u = decode_fixture("genre-1-update", offset=1, contract=genre)
    assert u is not None and u.op is Op.UPDATE
    assert u.key == {"GenreId": 1}
    assert u.before == {"GenreId": 1, "Name": "Rock"} and u.after == {"GenreId": 1, "Name": "Rock!"}
    assert u.snapshot is False  # "false"
    assert u.position == SourcePosition(file="mysql-bin.000001", pos=1032559, row=0, snapshot=False, gtid="0-1-71")
    assert u.commit_ts == datetime(2026, 11, 23, 9, 15, 18, tzinfo=UTC)

    d = decode_fixture("genre-1-delete", offset=2, contract=genre)
    assert d is not None and d.op is Op.DELETE
    assert d.key == {"GenreId": 1} and d.before == {"GenreId": 1, "Name": "Rock!"} and d.after is None
    assert d.position.gtid == "0-1-73"
    assert d.origin == KafkaOrigin(topic="chinook.Chinook.Genre", partition=0, offset=2)

    assert decode_fixture("genre-1-tombstone", offset=3, contract=genre) is None
    snap = decode_fixture("invoice-1-snapshot-read")
    assert snap is not None
    assert snap.position.sort_key < u.position.sort_key < d.position.sort_key


@pytest.mark.parametrize("name", ["transaction-0-1-72-begin", "transaction-0-1-72-end"])
def test_our_transaction_markers_are_ignored(name: str) -> None:
    assert decode_fixture(name) is None


# --------------------------------------------------------------------------- ignored records


def test_heartbeats_are_ignored() -> None:
    assert decode_debezium(b'{"ts_ms":1795425299000}') is None
    hb = KafkaOrigin(topic="__debezium-heartbeat.chinook", partition=0, offset=5)
    assert decode_debezium(b'{"ts_ms":1795425299000}', key=b'{"serverName":"chinook"}', origin=hb) is None


def test_schema_history_record_is_ignored() -> None:
    rec = {"source": {"server": "chinook"}, "position": {"file": "mysql-bin.000001", "pos": 4}, "historyRecord": "{}"}
    assert decode_debezium(json.dumps(rec)) is None


# --------------------------------------------------------------------------- lake types (contract conversion)

EVERYTHING = TableContract(
    source="src",
    database="db",
    table="everything",
    target_database="db",
    target_table="everything",
    key=("id",),
    columns=(
        Column(name="id", type="bigint unsigned", nullable=False),
        Column(name="amount", type="decimal(10,2)"),
        Column(name="wide", type="decimal(65,30)"),
        Column(name="dt", type="datetime"),
        Column(name="dt6", type="datetime(6)"),
        Column(name="ts", type="timestamp"),
        Column(name="d", type="date"),
        Column(name="t", type="time(6)"),
        Column(name="b", type="varbinary(16)"),
        Column(name="flag", type="bit(1)"),
        Column(name="f", type="double"),
        Column(name="n", type="int"),
        Column(name="y", type="year"),
        Column(name="s", type="varchar(10)"),
    ),
)
EVERYTHING_ORIGIN = KafkaOrigin(topic="src.db.everything", partition=3, offset=1234)
WIDE = "12345678901234567890123456789012345.123456789012345678901234567890"


def everything(after: dict[str, Any] | str, op: str = "c", source: dict[str, Any] | None = None) -> str:
    src = source or {"db": "db", "table": "everything", "file": "mysql-bin.000002", "pos": 10, "row": 0, "snapshot": "false"}
    body = after if isinstance(after, str) else json.dumps(after)
    return f'{{"before":null,"after":{body},"source":{json.dumps(src)},"op":"{op}","ts_ms":1}}'


def test_wire_encodings_to_lake_values() -> None:
    # Written as raw JSON text so the numbers are exactly what the connector puts on the wire.
    after = (
        '{"id":18446744073709551615,"amount":"1.98","wide":"' + WIDE + '","dt":-86400000,"dt6":1609459200123456,'
        '"ts":"2021-01-01T01:02:03.456789Z","d":18628,"t":3723000001,"b":"AQID","flag":true,"f":1.5,"n":7,"y":2021,"s":"x"}'
    )
    e = decode_debezium(everything(after), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)
    assert e is not None and e.after is not None
    assert e.key == {"id": Decimal(18446744073709551615)}
    assert e.after == {
        "id": Decimal(18446744073709551615),  # BIGINT UNSIGNED precise: exact, beyond 2^63
        "amount": Decimal("1.98"),
        "wide": WIDE,  # DECIMAL(65,30) exceeds Spark's 38 digits: exact text
        "dt": datetime(1969, 12, 31, 0, 0),
        "dt6": datetime(2021, 1, 1, 0, 0, 0, 123456),
        "ts": datetime(2021, 1, 1, 1, 2, 3, 456789, tzinfo=UTC),
        "d": date(2021, 1, 1),
        "t": 3723000001,
        "b": b"\x01\x02\x03",
        "flag": True,
        "f": 1.5,
        "n": 7,
        "y": 2021,
        "s": "x",
    }
    assert type(e.after["amount"]) is Decimal and type(e.after["f"]) is float
    assert e.after["ts"].tzinfo is UTC and e.after["dt"].tzinfo is None


def test_decimal_scale_is_padded() -> None:
    e = decode_debezium(everything({"id": 1, "amount": "2"}), contract=EVERYTHING)
    assert e is not None and e.after is not None
    assert e.after["amount"] == Decimal("2.00") and str(e.after["amount"]) == "2.00"


def test_without_contract_decimals_are_never_floats() -> None:
    e = decode_debezium(b'{"after":{"x":1.10,"big":18446744073709551615,"s":"1.98"},"source":{"db":"a","table":"b"},"op":"c"}', key={"x": 1})
    assert e is not None and e.after is not None
    assert type(e.after["x"]) is Decimal and str(e.after["x"]) == "1.10"
    assert e.after["big"] == 18446744073709551615
    assert e.after["s"] == "1.98"


def test_zoned_timestamp_with_offset_is_normalised_to_utc() -> None:
    e = decode_debezium(everything({"id": 1, "ts": "2021-01-01T02:00:00+02:00"}), contract=EVERYTHING)
    assert e is not None and e.after is not None
    assert e.after["ts"] == datetime(2021, 1, 1, 0, 0, tzinfo=UTC) and e.after["ts"].utcoffset().total_seconds() == 0


# --------------------------------------------------------------------------- schemas-enabled logical types


def _b64(n: int, length: int) -> str:
    return base64.b64encode(n.to_bytes(length, "big", signed=True)).decode()


LOGICAL_FIELDS = [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "price", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}},
    {"field": "neg", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}},
    {"field": "numeric", "type": "bytes", "optional": True, "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}},
    {"field": "d", "type": "int32", "optional": True, "name": "io.debezium.time.Date"},
    {"field": "ts", "type": "int64", "optional": True, "name": "io.debezium.time.Timestamp"},
    {"field": "mts", "type": "int64", "optional": True, "name": "io.debezium.time.MicroTimestamp"},
    {"field": "nts", "type": "int64", "optional": True, "name": "io.debezium.time.NanoTimestamp"},
    {"field": "zts", "type": "string", "optional": True, "name": "io.debezium.time.ZonedTimestamp"},
    {"field": "mt", "type": "int64", "optional": True, "name": "io.debezium.time.MicroTime"},
    {"field": "blob", "type": "bytes", "optional": True},
]


def logical_message() -> str:
    row_schema = {"type": "struct", "optional": True, "fields": LOGICAL_FIELDS}
    schema = {
        "type": "struct",
        "fields": [{**row_schema, "field": "before"}, {**row_schema, "field": "after"}, {"type": "struct", "fields": [], "field": "source"}],
    }
    after = {
        "id": 1,
        "price": _b64(12345, 2),
        "neg": _b64(-12345, 2),
        "numeric": 123.45,  # value.converter.decimal.format=NUMERIC
        "d": 18628,
        "ts": 1609459200123,
        "mts": 1609459200123456,
        "nts": 1609459200123456789,
        "zts": "2021-01-01T00:00:00.5Z",
        "mt": 3723000001,
        "blob": "AQID",
    }
    payload = {"before": None, "after": after, "source": {"db": "db", "table": "logical", "file": "mysql-bin.000004", "pos": 4}, "op": "c"}
    return json.dumps({"schema": schema, "payload": payload})


LOGICAL_VALUES = {
    "id": 1,
    "price": Decimal("123.45"),
    "neg": Decimal("-123.45"),
    "numeric": Decimal("123.45"),
    "d": date(2021, 1, 1),
    "ts": datetime(2021, 1, 1, 0, 0, 0, 123000),
    "mts": datetime(2021, 1, 1, 0, 0, 0, 123456),
    "nts": datetime(2021, 1, 1, 0, 0, 0, 123456),
    "zts": datetime(2021, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
    "mt": timedelta(microseconds=3723000001),  # no contract: a timedelta; with one: lake micros
    "blob": b"\x01\x02\x03",
}


def test_schemas_enabled_logical_types() -> None:
    e = decode_debezium(logical_message(), key='{"schema":{"type":"struct","fields":[]},"payload":{"id":1}}')
    assert e is not None
    assert e.after == LOGICAL_VALUES
    assert all(type(e.after[k]) is Decimal for k in ("price", "neg", "numeric"))


def test_schemas_enabled_logical_types_with_contract() -> None:
    contract = TableContract(
        source="src",
        database="db",
        table="logical",
        target_database="db",
        target_table="logical",
        key=("id",),
        columns=(
            Column(name="id", type="bigint"),
            Column(name="price", type="decimal(5,2)"),
            Column(name="neg", type="decimal(5,2)"),
            Column(name="numeric", type="decimal(5,2)"),
            Column(name="d", type="date"),
            Column(name="ts", type="datetime(3)"),
            Column(name="mts", type="datetime(6)"),
            Column(name="nts", type="datetime(6)"),
            Column(name="zts", type="timestamp(3)"),
            Column(name="mt", type="time(6)"),
            Column(name="blob", type="blob"),
        ),
    )
    e = decode_debezium(logical_message(), contract=contract)
    assert e is not None
    assert e.key == {"id": 1}
    assert e.after == {**LOGICAL_VALUES, "mt": 3723000001}  # TIME in the lake: signed microseconds


# --------------------------------------------------------------------------- errors


def assert_located(err: DecodeError, *, table: str, topic: str, partition: int, offset: int) -> None:
    msg = str(err)
    for part in (f"table={table}", f"topic={topic}", f"partition={partition}", f"offset={offset}"):
        assert part in msg, f"{part!r} not in {msg!r}"
    assert (err.table, err.topic, err.partition, err.offset) == (table, topic, partition, offset)


def test_malformed_json_raises_with_location() -> None:
    origin = KafkaOrigin(topic="chinook.Chinook.Invoice", partition=0, offset=42)
    with pytest.raises(DecodeError) as ei:
        decode_debezium(b'{"op": "c", "after": {', contract=chinook("Invoice"), origin=origin)
    assert "not valid JSON" in str(ei.value)
    assert_located(ei.value, table="Chinook.Invoice", topic="chinook.Chinook.Invoice", partition=0, offset=42)


def test_unknown_op_raises_with_location() -> None:
    value = fixture("genre-1-update")["value"].decode().replace('"op":"u"', '"op":"x"')
    origin = KafkaOrigin(topic="chinook.Chinook.Genre", partition=2, offset=17)
    with pytest.raises(DecodeError, match="unknown op 'x'") as ei:
        decode_debezium(value, key=b'{"GenreId":1}', contract=chinook("Genre"), origin=origin)
    assert_located(ei.value, table="Chinook.Genre", topic="chinook.Chinook.Genre", partition=2, offset=17)
    assert ei.value.key == {"GenreId": 1}


def test_missing_op_raises() -> None:
    with pytest.raises(DecodeError, match="missing op") as ei:
        decode_debezium(b'{"after":{"GenreId":1},"source":{"db":"Chinook","table":"Genre"}}', origin=EVERYTHING_ORIGIN)
    assert ei.value.offset == 1234


def test_decimal_that_does_not_fit_raises_naming_the_column() -> None:
    value = fixture("invoice-1-snapshot-read")["value"].decode().replace('"Total":"1.98"', '"Total":"123456789.00"')
    origin = KafkaOrigin(topic="chinook.Chinook.Invoice", partition=0, offset=99)
    with pytest.raises(DecodeError) as ei:
        decode_debezium(value, key=b'{"InvoiceId":1}', contract=chinook("Invoice"), origin=origin)
    assert "value of Total does not fit decimal(10,2)" in str(ei.value)
    assert_located(ei.value, table="Chinook.Invoice", topic="chinook.Chinook.Invoice", partition=0, offset=99)
    # The largest value that fits still decodes.
    ok = decode_debezium(value.replace("123456789.00", "99999999.99"), contract=chinook("Invoice"))
    assert ok is not None and ok.after is not None and ok.after["Total"] == Decimal("99999999.99")
    # Rounding up past the precision does not fit either (Spark: rounds, then overflows to null).
    with pytest.raises(DecodeError, match="Total"):
        decode_debezium(value.replace("123456789.00", "99999999.995"), contract=chinook("Invoice"))


@pytest.mark.parametrize("bad", ['"abc"', '"NaN"', "true"])
def test_non_numeric_decimal_raises(bad: str) -> None:
    with pytest.raises(DecodeError, match="value of amount does not fit decimal"):
        decode_debezium(everything(f'{{"id":1,"amount":{bad}}}'), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)


def test_wrong_json_type_raises_naming_the_column() -> None:
    with pytest.raises(DecodeError, match="value of n does not fit int"):
        decode_debezium(everything({"id": 1, "n": "seven"}), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)
    with pytest.raises(DecodeError, match="value of ts does not fit timestamp"):
        decode_debezium(everything({"id": 1, "ts": "yesterday"}), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)


def test_missing_row_image_raises() -> None:
    with pytest.raises(DecodeError, match="without a row image"):
        decode_debezium(everything("null"), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)
    delete_without_before = everything({"id": 1}, op="d")  # a delete needs the before image
    with pytest.raises(DecodeError, match="without a row image"):
        decode_debezium(delete_without_before, contract=EVERYTHING)


def test_null_key_raises() -> None:
    # No Kafka key and no contract to take the key columns from.
    with pytest.raises(DecodeError, match="null key") as ei:
        decode_debezium(everything({"id": 1}), origin=EVERYTHING_ORIGIN)
    assert_located(ei.value, table="db.everything", topic="src.db.everything", partition=3, offset=1234)
    # The contract's key column is null in the row image.
    with pytest.raises(DecodeError, match=r"record key \['id'\] is null"):
        decode_debezium(everything({"id": None, "n": 1}), contract=EVERYTHING, origin=EVERYTHING_ORIGIN)
    # A Kafka key with a null value.
    with pytest.raises(DecodeError, match="null key"):
        decode_debezium(everything({"id": 1}), key={"id": None}, origin=EVERYTHING_ORIGIN)


@pytest.mark.parametrize("value", [b"\xff\xfe", b"", b"[1,2]", b"42"])
def test_non_event_values_raise(value: bytes) -> None:
    with pytest.raises(DecodeError) as ei:
        decode_debezium(value, origin=EVERYTHING_ORIGIN)
    assert "offset=1234" in str(ei.value)


# --------------------------------------------------------------------------- position semantics


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [(None, False), (False, False), ("false", False), (True, True), ("true", True), ("last", True), ("first_in_data_collection", True), ("incremental", True)],
)
def test_snapshot_flag(snapshot: Any, expected: bool) -> None:
    src = {"db": "db", "table": "everything", "file": "mysql-bin.000002", "pos": 10, "row": 0, "snapshot": snapshot}
    e = decode_debezium(everything({"id": 1}, op="r", source=src), contract=EVERYTHING)
    assert e is not None and e.snapshot is expected and e.position.snapshot is expected


def test_missing_pos_and_row_default_to_zero() -> None:
    e = decode_debezium(everything({"id": 1}, source={"db": "db", "table": "everything", "pos": None}), contract=EVERYTHING)
    assert e is not None and e.position == SourcePosition(file=None, pos=0, row=0, snapshot=False)
