"""Issue 15: no input makes a decoder raise anything but DecodeError, and no input runs long.

The malformed corpus (tests/malformed.py) checks each known defect's reason; the fuzz tests run both
decoders on thousands of generated inputs (structured mutations of real envelopes and random bytes)
and fail on any other exception. The slowest input's time is printed, not asserted (the decoders
bound the work per input by size, depth and digit limits; tests/bench/decoder_worst_case.py prints it).
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdc.decoders.debezium import decode_debezium
from cdc.decoders.dms import decode_dms_events
from cdc.errors import DecodeError
from cdc.events import KafkaOrigin
from lakehouse_schemas.contract import TableContract, load_contracts
from tests import malformed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INVOICE = next(c for c in load_contracts("chinook") if c.table == "Invoice")
ALLTYPES = TableContract.from_yaml((FIXTURES / "dms" / "alltypes.yaml").read_text(), "alltypes.yaml")
ORIGIN = KafkaOrigin(topic="chinook.Chinook.Invoice", partition=0, offset=7)
SLOWEST: dict[str, float] = {}


SLOWEST_CALL: dict[str, tuple] = {}


def _timed(label: str, fn, *args, **kwargs) -> Any:
    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        elapsed = time.perf_counter() - t0
        if elapsed > SLOWEST.get(label, 0.0):
            SLOWEST[label] = elapsed
            SLOWEST_CALL[label] = (fn, args, kwargs)


@pytest.mark.parametrize("case", malformed.DEBEZIUM, ids=lambda c: c.name)
@pytest.mark.parametrize("with_contract", [True, False], ids=["contract", "no-contract"])
def test_debezium_corpus_case_is_one_decode_error(case: malformed.Case, with_contract: bool) -> None:
    contract = INVOICE if with_contract else None
    if not with_contract and case.needle.startswith("value of"):
        # Without a contract no column has a type: the value is shown as sent, nothing else may fail.
        ev = decode_debezium(case.value, key=case.key, contract=contract, origin=ORIGIN)
        assert ev is not None and ev.after is not None
        return
    with pytest.raises(DecodeError) as ei:
        decode_debezium(case.value, key=case.key, contract=contract, origin=ORIGIN)
    assert case.needle in ei.value.reason, ei.value.reason
    assert "\n" not in ei.value.reason and len(ei.value.reason) < 400
    assert ei.value.offset == 7


@pytest.mark.parametrize("case", malformed.DMS, ids=lambda c: c.name)
def test_dms_corpus_case_is_one_decode_error(case: malformed.Case) -> None:
    with pytest.raises(DecodeError) as ei:
        decode_dms_events(case.value, contract=ALLTYPES, origin=ORIGIN)
    assert case.needle in ei.value.reason, ei.value.reason
    assert "\n" not in ei.value.reason and len(ei.value.reason) < 400


def test_the_unmodified_envelopes_decode() -> None:
    # The corpus' base messages are valid: each case fails because of its one defect.
    assert decode_debezium(malformed.INVOICE_VALUE, key=malformed.INVOICE_KEY, contract=INVOICE, origin=ORIGIN) is not None
    assert decode_dms_events(malformed.DMS_INSERT, contract=ALLTYPES)
    ok = malformed.INVOICE.raw("source__pos", str(2**63 - 1))
    assert decode_debezium(ok, key=malformed.INVOICE_KEY, contract=INVOICE).position.pos == 2**63 - 1
    with pytest.raises(DecodeError, match="source.pos"):
        decode_debezium(malformed.INVOICE.raw("source__pos", str(2**63)), key=malformed.INVOICE_KEY, contract=INVOICE)


# --------------------------------------------------------------------------- fuzz

BASES = [
    malformed.INVOICE_VALUE,
    (FIXTURES / "debezium" / "genre-1-update.value.json").read_text(encoding="utf-8"),
    (FIXTURES / "debezium" / "genre-1-delete.value.json").read_text(encoding="utf-8"),
    malformed.INVOICE.connect(
        [{"type": "int32", "optional": False, "field": "InvoiceId"},
         {"type": "int32", "optional": False, "name": "io.debezium.time.Date", "field": "InvoiceDate"},
         {"type": "struct", "optional": False, "name": "io.debezium.data.VariableScaleDecimal", "field": "Total", "fields": []}],
        {"InvoiceId": 1, "InvoiceDate": 18000, "Total": {"scale": 2, "value": "AQ=="}},
    ).decode(),
    malformed.DMS_INSERT,
]
BASE_DOCS = [json.loads(b) for b in BASES]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["1e999999", "-1e20", "9" * 3000, "NaN", "Infinity", "0.5", "-0"]).map(lambda t: json.loads(t) if t[0] != "9" else int(t)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["\ud800", "notadate", "mysql-bin.99999999999999", "AQ==", "2021-01-01T10:00:00Z", "c", "u", "d", "r", "t"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


@st.composite
def mutated_envelopes(draw) -> bytes:
    i = draw(st.integers(0, len(BASE_DOCS) - 1))
    doc = json.loads(BASES[i])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and isinstance(doc, dict | list):
            parent = doc
            for p in path[:-1]:
                parent = parent[p]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)  # a field missing
                continue
        doc = _set(doc, path, draw(VALUES))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True)
    cut = draw(st.integers(0, 20))
    if cut == 0:
        text = text[: draw(st.integers(0, len(text)))]  # truncated
    raw = text.encode("utf-8", "surrogatepass")
    if cut == 1 and raw:
        pos = draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + bytes([draw(st.integers(0, 255))]) + raw[pos + 1 :]  # one byte flipped
    return raw


KEYS = st.sampled_from([None, malformed.INVOICE_KEY, b'{"GenreId":1}', b"\xff", b"[[[[", b'{"InvoiceId":null}', b'{"schema":{"type":"struct","fields":[{"field":"InvoiceId","name":"io.debezium.time.Date"}]},"payload":{"InvoiceId":"x"}}'])
GENRE = next(c for c in load_contracts("chinook") if c.table == "Genre")


def _run_all(raw: bytes, key: bytes | None) -> None:
    for contract in (None, INVOICE, GENRE):
        with contextlib.suppress(DecodeError):
            _timed("debezium", decode_debezium, raw, key=key, contract=contract, origin=ORIGIN)
    for contract in (None, ALLTYPES):
        with contextlib.suppress(DecodeError):
            _timed("dms", decode_dms_events, raw, contract=contract, origin=ORIGIN)


FUZZ = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@FUZZ
@given(raw=mutated_envelopes(), key=KEYS)
def test_fuzz_mutated_envelopes_raise_only_decode_errors(raw: bytes, key: bytes | None) -> None:
    _run_all(raw, key)


@FUZZ
@given(raw=st.binary(max_size=300), key=KEYS)
def test_fuzz_random_bytes_raise_only_decode_errors(raw: bytes, key: bytes | None) -> None:
    _run_all(raw, key)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(raw=st.text(alphabet=st.sampled_from('[]{}":,0123456789e-.\\u tnrfalsNI'), max_size=200))
def test_fuzz_json_like_text_raises_only_decode_errors(raw: str) -> None:
    _run_all(raw.encode(), None)


def test_report_slowest_input() -> None:
    # Runs after the fuzz tests in file order; prints, never asserts, the slowest decode seen.
    for case in malformed.DEBEZIUM + malformed.DMS:
        _run_all(case.value, case.key)
    print("\nslowest decode per decoder (s):", {k: round(v, 4) for k, v in SLOWEST.items()})
    # Timed again: a slow first run under a loaded machine is noise; a slow input stays slow.
    for label, (fn, args, kwargs) in SLOWEST_CALL.items():
        t0 = time.perf_counter()
        with contextlib.suppress(DecodeError):
            fn(*args, **kwargs)
        print(f"{label}: slowest input again {time.perf_counter() - t0:.4f} s: {bytes(args[0])[:120]!r}")
    assert set(SLOWEST) == {"debezium", "dms"}


# --------------------------------------------------------------------------- `cdclake events decode`


def _decode_cli(*args: str, stdin: bytes | None = None):
    from click.testing import CliRunner

    from cdc.cli import main

    return CliRunner().invoke(main, ["events", "decode", *args], input=stdin)


def test_events_decode_without_a_contract_shows_the_envelope_with_a_null_key() -> None:
    sample = json.dumps({
        "before": None,
        "after": {"id": 7, "price": "12.50", "name": "Grüße"},
        "source": {"db": "shop", "table": "not_onboarded", "file": "mysql-bin.000012", "pos": 345, "row": 1, "snapshot": "false", "ts_ms": 1700000000123},
        "op": "c",
        "transaction": {"id": "0-1-99", "total_order": 1, "data_collection_order": 1},
    }).encode()
    r = _decode_cli("-", stdin=sample)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out == {
        "op": "c",
        "database": "shop",
        "table": "not_onboarded",
        "key": None,
        "before": None,
        "after": {"id": 7, "price": "12.50", "name": "Grüße"},
        "commit_ts": "2023-11-14T22:13:20.123000Z",
        "snapshot": False,
        "transaction_id": "0-1-99",
        "position": {"file": "mysql-bin.000012", "pos": 345, "row": 1, "snapshot": False, "gtid": None,
                     "sort_key": "0000000012:00000000000000000345:1:0000000001"},
    }
    assert "shop.not_onboarded: no contract and no Kafka key" in r.stderr


def test_events_decode_with_table_uses_the_contract() -> None:
    r = _decode_cli("--table", "Chinook.Invoice", "-", stdin=malformed.INVOICE_VALUE.encode())
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["key"] == {"InvoiceId": 1} and out["after"]["Total"] == "1.98"  # DECIMAL(10,2) converted, as text in JSON
    assert r.stderr == ""


@pytest.mark.parametrize("name", ["latin-1-byte", "nested-10000-arrays", "pos-1e999999", "lone-surrogate", "binary-garbage", "date-notadate"])
def test_events_decode_malformed_input_is_one_line_and_exit_1(name: str) -> None:
    case = next(c for c in malformed.DEBEZIUM if c.name == name)
    r = _decode_cli("-", stdin=case.value)
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    lines = r.stdout.strip().splitlines()
    assert len(lines) >= 1 and all(json.loads(x)["error"] == "DecodeError" for x in lines)
    assert case.needle in lines[0] or name in ("binary-garbage",), lines[0]
    assert "Traceback" not in r.output
