"""The malformed-input corpus of issue 15: each case is bytes a decoder must refuse with one DecodeError
whose reason contains ``needle``. Built from real envelopes (tests/fixtures), one defect per case, so the
same case can also be produced to Kafka and must land in the dead-letter table (tests/e2e/test_dead_letters.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
INVOICE_VALUE = (FIXTURES / "debezium" / "invoice-1-snapshot-read.value.json").read_text(encoding="utf-8").strip()
INVOICE_KEY = b'{"InvoiceId":1}'


@dataclass(frozen=True)
class Case:
    name: str
    value: bytes
    needle: str
    key: bytes | None = INVOICE_KEY
    # Too big to produce to a Kafka topic with the default 1 MB message limit.
    python_only: bool = False


def _set(doc: dict, path: str, value: object) -> dict:
    node = doc
    *parents, last = path.split("__")
    for p in parents:
        node = node[p]
    node[last] = value
    return doc


@dataclass(frozen=True)
class Envelope:
    """A valid Debezium change (schemas off) and the names of its columns the cases break."""

    value: str
    key: bytes
    id: str  # an integer key column
    money: str  # a DECIMAL column
    text: str  # two string columns
    text2: str
    time: str  # a DATETIME column (epoch millis on the wire)

    def raw(self, path: str, raw_json: str) -> bytes:
        """The envelope with one field set to literal JSON text (numbers json.dumps cannot write)."""
        marker = "__CDCLAKE_MARK__"
        doc = _set(json.loads(self.value), path, marker)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).replace(f'"{marker}"', raw_json).encode()

    def connect(self, after_fields: list[dict], after: dict) -> bytes:
        """A schemas-enabled envelope with the given after fields and this envelope's source block."""
        source = json.loads(self.value)["source"]
        schema = {
            "type": "struct",
            "fields": [
                {"type": "struct", "optional": True, "field": "before", "fields": after_fields},
                {"type": "struct", "optional": True, "field": "after", "fields": after_fields},
                {"type": "struct", "optional": False, "field": "source", "fields": []},
                {"type": "string", "optional": False, "field": "op"},
            ],
        }
        return json.dumps({"schema": schema, "payload": {"before": None, "after": after, "source": source, "op": "c"}}).encode()


def debezium_cases(env: Envelope) -> list[Case]:
    """Every Debezium defect of issue 15, each applied to ``env`` alone."""

    def a(column: str) -> str:
        return f"after__{column}"

    idf = {"type": "int32", "optional": False, "field": env.id}
    latin1 = json.loads(env.value)
    latin1["after"][env.text2] = "Müller"
    return [
        Case("nested-10000-arrays", b"[" * 10000 + b"]" * 10000, "deeper than", key=env.key),
        Case("nested-5000-objects", b'{"a":' * 5000 + b"1" + b"}" * 5000, "deeper than", key=env.key),
        Case("nested-in-after", env.raw(a(env.text), "[" * 100 + "]" * 100), "deeper than", key=env.key),
        Case("ts-ms-1e20", env.raw("source__ts_ms", "1e20"), "source.ts_ms", key=env.key),
        Case("ts-ms-1e999999", env.raw("source__ts_ms", "1e999999"), "source.ts_ms", key=env.key),
        Case("ts-ms-text", env.raw("source__ts_ms", '"yesterday"'), "source.ts_ms", key=env.key),
        Case("pos-1e999999", env.raw("source__pos", "1e999999"), "source.pos", key=env.key),
        Case("pos-30-digits", env.raw("source__pos", "1" * 30), "source.pos", key=env.key),
        Case("pos-negative", env.raw("source__pos", "-5"), "source.pos", key=env.key),
        Case("pos-infinity", env.raw("source__pos", "Infinity"), "source.pos", key=env.key),
        Case("row-negative", env.raw("source__row", "-1"), "source.row", key=env.key),
        Case("row-11-digits", env.raw("source__row", "1" * 11), "source.row", key=env.key),
        Case("file-number", env.raw("source__file", "7"), "source.file", key=env.key),
        Case("file-index-15-digits", env.raw("source__file", '"mysql-bin.' + "9" * 15 + '"'), "source.file", key=env.key),
        Case("gtid-object", env.raw("source__gtid", '{"a":1}'), "source.gtid", key=env.key),
        Case("db-list", env.raw("source__db", '["x"]'), "source.db", key=env.key),
        Case("transaction-id-number", env.raw("transaction", '{"id":12,"total_order":1,"data_collection_order":1}'), "transaction.id", key=env.key),
        Case("lone-surrogate", env.raw(a(env.text), '"\\ud800x"'), "surrogate", key=env.key),
        Case("lone-low-surrogate", env.raw(a(env.text2), '"\\udfff"'), "surrogate", key=env.key),
        Case("latin-1-byte", json.dumps(latin1, ensure_ascii=False).encode("latin-1", "replace"), "not UTF-8", key=env.key),
        Case("binary-garbage", bytes(range(256)) * 4, "not UTF-8", key=env.key),
        Case("number-5000-digits", env.raw(a(env.id), "9" * 5000), "digits", key=env.key),
        Case("money-1e999999", env.raw(a(env.money), "1e999999"), f"value of {env.money}", key=env.key),
        Case("money-nan", env.raw(a(env.money), "NaN"), f"value of {env.money}", key=env.key),
        Case("id-1e999999", env.raw(a(env.id), "1e999999"), f"value of {env.id}", key=env.key),
        Case("time-40-digits", env.raw(a(env.time), "9" * 40), f"value of {env.time}", key=env.key),
        Case("op-list", env.raw("op", '["c"]'), "unknown op", key=env.key),
        Case("source-list", env.raw("source", "[1]"), "source block", key=env.key),
        Case("after-list", env.raw("after", "[1,2]"), "row image", key=env.key),
        Case("empty", b"", "not valid JSON", key=env.key),
        Case("truncated", env.value.encode()[:80], "not valid JSON", key=env.key),
        Case("bare-number", b"42", "not a Debezium change event", key=env.key),
        Case("key-latin-1", env.value.encode(), "key is not UTF-8", key=env.key.replace(b"}", b',"x":"\xe9"}')),
        Case(
            "date-notadate",
            env.connect([idf, {"type": "int32", "optional": False, "name": "io.debezium.time.Date", "field": env.time}],
                        {env.id: 1, env.time: "notadate"}),
            "Connect schema",
            key=env.key,
        ),
        Case(
            "variable-scale-decimal-without-value",
            env.connect([idf, {"type": "struct", "optional": False, "name": "io.debezium.data.VariableScaleDecimal", "field": env.money, "fields": []}],
                        {env.id: 1, env.money: {"scale": 2}}),
            "Connect schema",
            key=env.key,
        ),
        Case(
            "decimal-scale-huge",
            env.connect([idf, {"type": "bytes", "optional": False, "name": "org.apache.kafka.connect.data.Decimal",
                               "parameters": {"scale": "99999999999"}, "field": env.money}],
                        {env.id: 1, env.money: "AQ=="}),
            "Connect schema",
            key=env.key,
        ),
        Case("message-9-mb", b'{"op":"c","after":{"x":"' + b"a" * (9 * 1024 * 1024) + b'"}}', "larger than the limit", key=env.key, python_only=True),
    ]


INVOICE = Envelope(INVOICE_VALUE, INVOICE_KEY, "InvoiceId", "Total", "BillingAddress", "BillingCity", "InvoiceDate")
DEBEZIUM: list[Case] = debezium_cases(INVOICE)


# DMS: the alltypes fixture table (tests/fixtures/dms/alltypes.yaml); one defect in its insert message.
DMS_INSERT = next(
    json.loads(line)["value"]
    for line in (FIXTURES / "dms" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip() and json.loads(line)["name"] == "insert"
)


def _dms(path: str, raw_json: str) -> bytes:
    marker = "__CDCLAKE_MARK__"
    doc = json.loads(DMS_INSERT)
    node = doc
    *parents, last = path.split("__")
    for p in parents:
        node = node[p]
    node[last] = marker
    return json.dumps(doc, ensure_ascii=False).replace(f'"{marker}"', raw_json).encode()


DMS: list[Case] = [
    Case("dms-stream-position-5000-digits", _dms("metadata__stream-position", '"mysql-bin.000003:' + "9" * 5000 + ':0:1:2:x:3"'), "IncludeTransactionDetails", key=None),
    Case("dms-stream-position-19-digits", _dms("metadata__stream-position", '"mysql-bin.000003:' + "9" * 19 + ':0:1:2:x:3"'), "IncludeTransactionDetails", key=None),
    Case("dms-file-index-15-digits", _dms("metadata__stream-position", '"mysql-bin.' + "9" * 15 + ':4:0:1:2:x:3"'), "IncludeTransactionDetails", key=None),
    Case("dms-nested-10000", b"[" * 10000 + b"]" * 10000, "deeper than", key=None),
    Case("dms-latin-1", DMS_INSERT.encode("utf-8").replace("Grüße".encode(), "Grüße".encode("latin-1")), "not UTF-8", key=None),
    Case("dms-lone-surrogate", _dms("data__vc", '"\\ud800"'), "surrogate", key=None),
    Case("dms-number-5000-digits", _dms("data__bi", "9" * 5000), "digits", key=None),
    Case("dms-integer-1e999999", _dms("data__bi", "1e999999"), "value of bi", key=None),
    Case("dms-decimal-1e999999", _dms("data__money", "1e999999"), "value of money", key=None),
    Case("dms-metadata-list", _dms("metadata", "[1]"), "malformed", key=None),
    Case("dms-data-text", _dms("data", '"x"'), "without data", key=None),
    Case("dms-binary-garbage", bytes(range(256)) * 4, "not UTF-8", key=None),
]
