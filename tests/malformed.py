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


def _invoice(**changes: object) -> dict:
    doc = json.loads(INVOICE_VALUE)
    for path, v in changes.items():
        node = doc
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = v
    return doc


def _text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _raw(path: str, raw_json: str) -> bytes:
    """The invoice with one field set to literal JSON text (numbers json.dumps cannot write)."""
    marker = "__CDCLAKE_MARK__"
    return _text(_invoice(**{path: marker})).replace(f'"{marker}"', raw_json).encode()


def _connect(after_schema: list[dict], after: dict) -> bytes:
    """A schemas-enabled envelope of the Invoice table with the given after fields."""
    source = json.loads(INVOICE_VALUE)["source"]
    schema = {
        "type": "struct",
        "fields": [
            {"type": "struct", "optional": True, "field": "before", "fields": after_schema},
            {"type": "struct", "optional": True, "field": "after", "fields": after_schema},
            {"type": "struct", "optional": False, "field": "source", "fields": []},
            {"type": "string", "optional": False, "field": "op"},
        ],
    }
    payload = {"before": None, "after": after, "source": source, "op": "c"}
    return json.dumps({"schema": schema, "payload": payload}).encode()


_ID = {"type": "int32", "optional": False, "field": "InvoiceId"}

DEBEZIUM: list[Case] = [
    Case("nested-10000-arrays", b"[" * 10000 + b"]" * 10000, "deeper than"),
    Case("nested-5000-objects", b'{"a":' * 5000 + b"1" + b"}" * 5000, "deeper than"),
    Case("nested-in-after", _raw("after__BillingAddress", "[" * 100 + "]" * 100), "deeper than"),
    Case("ts-ms-1e20", _raw("source__ts_ms", "1e20"), "source.ts_ms"),
    Case("ts-ms-1e999999", _raw("source__ts_ms", "1e999999"), "source.ts_ms"),
    Case("ts-ms-text", _raw("source__ts_ms", '"yesterday"'), "source.ts_ms"),
    Case("pos-1e999999", _raw("source__pos", "1e999999"), "source.pos"),
    Case("pos-30-digits", _raw("source__pos", "1" * 30), "source.pos"),
    Case("pos-negative", _raw("source__pos", "-5"), "source.pos"),
    Case("pos-infinity", _raw("source__pos", "Infinity"), "source.pos"),
    Case("row-negative", _raw("source__row", "-1"), "source.row"),
    Case("row-11-digits", _raw("source__row", "1" * 11), "source.row"),
    Case("file-number", _raw("source__file", "7"), "source.file"),
    Case("file-index-15-digits", _raw("source__file", '"mysql-bin.' + "9" * 15 + '"'), "source.file"),
    Case("gtid-object", _raw("source__gtid", '{"a":1}'), "source.gtid"),
    Case("db-list", _raw("source__db", '["Chinook"]'), "source.db"),
    Case("transaction-id-number", _raw("transaction", '{"id":12,"total_order":1,"data_collection_order":1}'), "transaction.id"),
    Case("lone-surrogate", _raw("after__BillingAddress", '"\\ud800x"'), "surrogate"),
    Case("lone-low-surrogate", _raw("after__BillingCity", '"\\udfff"'), "surrogate"),
    Case("latin-1-byte", _text(_invoice(after__BillingCity="Müller")).encode("latin-1"), "not UTF-8"),
    Case("binary-garbage", bytes(range(256)) * 4, "not UTF-8"),
    Case("number-5000-digits", _raw("after__InvoiceId", "9" * 5000), "digits"),
    Case("total-1e999999", _raw("after__Total", "1e999999"), "value of Total"),
    Case("total-nan", _raw("after__Total", "NaN"), "value of Total"),
    Case("invoice-id-1e999999", _raw("after__InvoiceId", "1e999999"), "value of InvoiceId"),
    Case("invoice-date-huge", _raw("after__InvoiceDate", "9" * 40), "value of InvoiceDate"),
    Case("op-list", _raw("op", '["c"]'), "unknown op"),
    Case("source-list", _raw("source", "[1]"), "source block"),
    Case("after-list", _raw("after", "[1,2]"), "row image"),
    Case("empty", b"", "not valid JSON"),
    Case("truncated", INVOICE_VALUE.encode()[:80], "not valid JSON"),
    Case("bare-number", b"42", "not a Debezium change event"),
    Case("key-latin-1", INVOICE_VALUE.encode(), "key is not UTF-8", key=b'{"InvoiceId":"\xe9"}'),
    Case(
        "date-notadate",
        _connect([_ID, {"type": "int32", "optional": False, "name": "io.debezium.time.Date", "field": "InvoiceDate"}],
                 {"InvoiceId": 1, "InvoiceDate": "notadate"}),
        "Connect schema",
    ),
    Case(
        "variable-scale-decimal-without-value",
        _connect([_ID, {"type": "struct", "optional": False, "name": "io.debezium.data.VariableScaleDecimal", "field": "Total", "fields": []}],
                 {"InvoiceId": 1, "Total": {"scale": 2}}),
        "Connect schema",
    ),
    Case(
        "decimal-scale-huge",
        _connect([_ID, {"type": "bytes", "optional": False, "name": "org.apache.kafka.connect.data.Decimal",
                        "parameters": {"scale": "99999999999"}, "field": "Total"}],
                 {"InvoiceId": 1, "Total": "AQ=="}),
        "Connect schema",
    ),
    Case("message-9-mb", b'{"op":"c","after":{"x":"' + b"a" * (9 * 1024 * 1024) + b'"}}', "larger than the limit", python_only=True),
]

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
