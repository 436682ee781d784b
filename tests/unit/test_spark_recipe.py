"""spark_jobs.recipe: the decoder's projections, built once per contract and replayed, decode like a fresh build.

Mutation checked: a cache key without the contract makes the second contract's rows come out with the
first contract's types (test_each_contract_gets_its_own_decoder fails), and one without ANSI mode
makes the ANSI-on decode reuse ANSI-off casts (test_ansi_mode_is_part_of_the_key fails).
"""

from __future__ import annotations

import json

from lakehouse_schemas.contract import TableContract
from spark_jobs import recipe
from spark_jobs.decode import decode_checked

KAFKA = "topic string, partition int, offset long, key binary, value binary"


def _contract(amount_type: str) -> TableContract:
    return TableContract.from_yaml(
        "source: s\ndatabase: db\ntable: t\ntarget_database: db\ntarget_table: t\nkey: [id]\ncolumns:\n"
        f"- {{name: id, type: int}}\n- {{name: amount, type: '{amount_type}'}}\n"
    )


def _records(spark, amounts: list[str]):
    rows = []
    for i, a in enumerate(amounts):
        value = {
            "before": None, "after": {"id": i, "amount": a}, "op": "c", "ts_ms": 1700000000000,
            "source": {"file": "mysql-bin.000001", "pos": 100 + i, "row": 0, "snapshot": "false", "ts_ms": 1700000000000, "db": "db", "table": "t"},
        }
        rows.append(("s.db.t", 0, i, json.dumps({"id": i}).encode(), json.dumps(value).encode()))
    return spark.createDataFrame(rows, KAFKA)


def _decoded(df, contract):
    return sorted((r["id"], r["amount"], r["_cdc_error"]) for r in decode_checked(df, contract).collect())


def _fresh(df, contract, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(recipe, "cached", lambda d, key, build: build(recipe.Recipe()).apply(d))
        return _decoded(df, contract)


def test_a_replayed_recipe_decodes_like_a_fresh_build(spark, monkeypatch):
    contract = _contract("decimal(10,2)")
    df = _records(spark, ["12.50", "0.01", "x", "123456789012.00"])
    first = _decoded(df, contract)  # builds and caches
    again = _decoded(_records(spark, ["12.50", "0.01", "x", "123456789012.00"]), contract)  # replays
    assert first == again == _fresh(df, contract, monkeypatch)
    assert [r[2] is None for r in first] == [True, True, False, False]  # errors still named, not NULLs


def test_each_contract_gets_its_own_decoder(spark, monkeypatch):
    df = _records(spark, ["12.50", "7.25"])
    two_places = _decoded(df, _contract("decimal(10,2)"))
    one_place = _decoded(df, _contract("decimal(10,1)"))
    assert one_place == _fresh(df, _contract("decimal(10,1)"), monkeypatch)
    assert two_places != one_place  # 7.25 does not fit one decimal place: a dead letter there


def test_ansi_mode_is_part_of_the_key(spark):
    contract = _contract("decimal(10,2)")
    df = _records(spark, ["1.00"])
    spark.conf.set(recipe.ANSI_MODE, "false")
    _decoded(df, contract)
    keys_before = set(recipe._cache)
    try:
        spark.conf.set(recipe.ANSI_MODE, "true")
        _decoded(df, contract)
    finally:
        spark.conf.set(recipe.ANSI_MODE, "false")
    assert len(set(recipe._cache) - keys_before) >= 1
