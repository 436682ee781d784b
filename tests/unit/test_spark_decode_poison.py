"""Issue 15, Spark path: every case of the malformed corpus (tests/malformed.py) comes out of the
native decoder as a row with a reason (a dead letter), never dropped and never as a silently broken
row; the good change after them decodes. Plain local Spark session (no Kafka, no Hudi jars)."""

from __future__ import annotations

from cdc.decoders.debezium import decode_debezium as py_decode
from lakehouse_schemas.contract import load_contracts
from tests import malformed

INVOICE = next(c for c in load_contracts("chinook") if c.table == "Invoice")
CASES = [c for c in malformed.DEBEZIUM if not c.python_only]


def test_every_corpus_case_is_a_dead_letter_and_the_next_good_change_applies(spark):
    from spark_jobs.decode import decode_checked

    values = [c.value for c in CASES] + [malformed.INVOICE_VALUE.encode()]
    rows = [("chinook.Chinook.Invoice", 0, i, (c.key if i < len(CASES) else malformed.INVOICE_KEY), v)
            for i, (c, v) in enumerate(zip([*CASES, None], values, strict=True))]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    got = {r["_cdc_offset"]: r for r in decode_checked(df, INVOICE).collect()}
    missing = [c.name for i, c in enumerate(CASES) if i not in got]
    assert not missing, f"dropped without a dead letter: {missing}"
    no_reason = [(c.name, got[i]["_cdc_pos"]) for i, c in enumerate(CASES) if got[i]["_cdc_error"] is None]
    assert not no_reason, f"decoded as good rows: {no_reason}"
    good = got[len(CASES)]
    assert good["_cdc_error"] is None
    ev = py_decode(malformed.INVOICE_VALUE, key=malformed.INVOICE_KEY, contract=INVOICE)
    assert good["_cdc_pos"] == ev.position.sort_key
    assert (good["InvoiceId"], good["Total"]) == (ev.after["InvoiceId"], ev.after["Total"])
    for i, c in enumerate(CASES):
        print(f"{c.name}: {got[i]['_cdc_error'][:100]}")
