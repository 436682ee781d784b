"""Contract evolution (lakehouse_schemas.evolution.evolve) under each policy, and the contract fields it relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cdc.errors import ContractError
from lakehouse_schemas.contract import Column, TableContract
from lakehouse_schemas.evolution import SourceColumn, evolve

BASE = {
    "source": "s",
    "database": "shop",
    "table": "orders",
    "target_database": "shop",
    "target_table": "orders",
    "key": ["id"],
}


def _contract(*columns: dict, **extra) -> TableContract:
    return TableContract.model_validate({**BASE, **extra, "columns": list(columns)})


ID = {"name": "id", "type": "int", "nullable": False}
ORDERS = _contract(ID, {"name": "qty", "type": "int"}, {"name": "note", "type": "varchar(20)"}, {"name": "total", "type": "decimal(10,2)"})


def _src(**types: str) -> list[SourceColumn]:
    return [SourceColumn(name, t, name != "id") for name, t in types.items()]


SAME = {"id": "int", "qty": "int", "note": "varchar(20)", "total": "decimal(10,2)"}


def _assert_refused(ev, original: TableContract, *words: str) -> None:
    """One problem naming ``words``; the contract is left as it was (whatever else would have changed)."""
    assert ev.contract == original
    assert len(ev.problems) == 1, ev.problems
    for w in words:
        assert w in ev.problems[0], ev.problems[0]


# -- unchanged -------------------------------------------------------------------------------------
def test_unchanged_source_changes_nothing():
    ev = evolve(ORDERS, _src(**SAME))
    assert (ev.changes, ev.problems, ev.advice) == ([], [], [])
    assert not ev.changed and ev.contract == ORDERS


def test_type_spelling_case_is_no_change():
    ev = evolve(ORDERS, _src(**{**SAME, "note": "VARCHAR(20)"}))
    assert not ev.changed and not ev.problems


# -- ADD COLUMN ------------------------------------------------------------------------------------
def test_add_column_is_nullable_in_the_lake_and_keeps_order():
    src = [*_src(**SAME), SourceColumn("email", "VARCHAR(80)", nullable=False)]
    ev = evolve(ORDERS, src)
    assert not ev.problems and ev.changed and ev.advice == []
    assert [c.name for c in ev.contract.columns] == ["id", "qty", "note", "total", "email"]
    email = ev.contract.column("email")
    # NOT NULL in the source, but rows written before the ALTER have no value in the lake.
    assert email.nullable is True and email.type == "varchar(80)"
    assert ev.contract.columns[:4] == ORDERS.columns


def test_add_column_with_default_advises_a_backfill():
    src = [*_src(**SAME), SourceColumn("status", "varchar(10)", nullable=False, default="'new'")]
    ev = evolve(ORDERS, src)
    assert ev.changed and not ev.problems
    assert ev.contract.column("status").nullable is True
    assert len(ev.advice) == 1 and "DEFAULT 'new'" in ev.advice[0] and "backfill orders" in ev.advice[0]


def test_add_column_with_default_null_needs_no_backfill():
    ev = evolve(ORDERS, [*_src(**SAME), SourceColumn("memo", "text", True, default="NULL")])
    assert ev.changed and ev.advice == []


# -- type widening ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "column,old,new,lake_kind",
    [
        ("qty", "int", "bigint", "long"),  # Hudi promotes int -> long in place
        ("qty", "tinyint", "int", "int"),  # the lake type stays int
        ("qty", "smallint", "mediumint", "int"),
        ("qty", "int unsigned", "bigint", "long"),
        ("note", "varchar(20)", "varchar(80)", "string"),
        ("note", "char(5)", "varchar(5)", "string"),
    ],
)
def test_widenings_the_lake_can_take(column, old, new, lake_kind):
    contract = _contract(ID, {"name": column, "type": old})
    ev = evolve(contract, _src(id="int", **{column: new}))
    assert not ev.problems, ev.problems
    assert ev.changes == [f"shop.orders: {column} {old} -> {new}"]
    assert ev.contract.column(column).type == new and ev.contract.column(column).lake_type.kind == lake_kind


@pytest.mark.parametrize(
    "old,new,why",
    [
        ("bigint", "int", "narrows the integer range"),
        ("int", "tinyint", "narrows the integer range"),
        ("int unsigned", "int", "narrows the integer range"),
        ("int unsigned", "bigint unsigned", "changes the lake type long -> decimal"),
        ("int", "varchar(10)", "not a widening"),
        ("varchar(10)", "int", "not a widening"),
        ("datetime", "timestamp", "not a widening"),
    ],
)
def test_other_type_changes_are_refused(old, new, why):
    contract = _contract(ID, {"name": "v", "type": old})
    ev = evolve(contract, _src(id="int", v=new))
    _assert_refused(ev, contract, "column v", why)


def test_decimal_precision_within_lake_headroom_is_a_contract_change():
    contract = _contract(ID, {"name": "total", "type": "decimal(10,2)", "lake_precision": 14})
    ev = evolve(contract, _src(id="int", total="decimal(12,2)"))
    assert not ev.problems and ev.changes == ["shop.orders: total decimal(10,2) -> decimal(12,2)"]
    total = ev.contract.column("total")
    assert total.type == "decimal(12,2)" and total.lake_precision == 14
    # The lake column is unchanged: decimal(14,2) before and after.
    assert (total.lake_type.precision, total.lake_type.scale) == (14, 2) == (
        contract.column("total").lake_type.precision, contract.column("total").lake_type.scale)


def test_decimal_precision_up_to_the_headroom_exactly():
    contract = _contract(ID, {"name": "total", "type": "decimal(10,2)", "lake_precision": 14})
    assert not evolve(contract, _src(id="int", total="decimal(14,2)")).problems
    _assert_refused(evolve(contract, _src(id="int", total="decimal(15,2)")), contract, "needs lake precision 15", "decimal(14,2)")


def test_decimal_widening_without_headroom_is_refused():
    ev = evolve(ORDERS, _src(**{**SAME, "total": "decimal(12,2)"}))
    _assert_refused(ev, ORDERS, "column total", "needs lake precision 12", "decimal(10,2)", "lake_precision")


@pytest.mark.parametrize("new", ["decimal(10,3)", "decimal(12,4)", "decimal(10,1)"])
def test_decimal_scale_change_is_refused(new):
    contract = _contract(ID, {"name": "total", "type": "decimal(10,2)", "lake_precision": 20})
    _assert_refused(evolve(contract, _src(id="int", total=new)), contract, "changes the scale")


def test_decimal_precision_narrowing_is_refused():
    _assert_refused(evolve(ORDERS, _src(**{**SAME, "total": "decimal(8,2)"})), ORDERS, "narrows the precision")


# -- RENAME COLUMN ---------------------------------------------------------------------------------
def test_declared_rename_keeps_the_lake_name():
    src = _src(id="int", qty="int", remark="varchar(20)", total="decimal(10,2)")
    ev = evolve(ORDERS, src, {"note": "remark"})
    assert not ev.problems and ev.advice == []
    assert ev.changes == ["shop.orders: source column note renamed to remark: the lake keeps the name note"]
    note = ev.contract.column("note")
    assert (note.name, note.source_name, note.wire_name) == ("note", "remark", "remark")
    assert [c.name for c in ev.contract.columns] == ["id", "qty", "note", "total"]  # no column 'remark' added


def test_rename_back_to_the_lake_name_clears_source_name():
    renamed = _contract(ID, {"name": "note", "type": "varchar(20)", "source_name": "remark"})
    ev = evolve(renamed, _src(id="int", note="varchar(20)"), {"remark": "note"})
    assert not ev.problems and ev.contract.column("note").source_name is None


def test_rename_and_widen_together():
    ev = evolve(ORDERS, _src(id="int", qty="int", remark="varchar(50)", total="decimal(10,2)"), {"note": "remark"})
    assert not ev.problems and len(ev.changes) == 2
    note = ev.contract.column("note")
    assert (note.source_name, note.type) == ("remark", "varchar(50)")


def test_undeclared_rename_is_a_drop_plus_an_add():
    # The schema alone cannot tell a rename: under park the missing column is a problem.
    ev = evolve(ORDERS, _src(id="int", qty="int", remark="varchar(20)", total="decimal(10,2)"))
    _assert_refused(ev, ORDERS, "column note is gone", "--rename note=<new name>")


def test_rename_of_a_column_the_contract_does_not_read():
    # The new source column alone would be an ADD; the bad rename keeps the whole contract as it was.
    ev = evolve(ORDERS, _src(**SAME, extra="int"), {"nope": "extra"})
    _assert_refused(ev, ORDERS, "--rename nope=extra", "no source column 'nope'")


def test_rename_to_a_column_the_source_does_not_have():
    ev = evolve(ORDERS, _src(**SAME), {"note": "ghost"})
    assert ev.contract == ORDERS
    assert any("the source has no column 'ghost'" in p for p in ev.problems), ev.problems


# -- DROP COLUMN -----------------------------------------------------------------------------------
def test_drop_under_park_is_a_problem():
    ev = evolve(ORDERS, _src(id="int", qty="int", total="decimal(10,2)"))
    _assert_refused(ev, ORDERS, "note is gone from the source", "on_missing_column: park")


def test_drop_under_null_retires_the_column():
    contract = ORDERS.model_copy(update={"on_missing_column": "null"})
    ev = evolve(contract, _src(id="int", qty="int", total="decimal(10,2)"))
    assert not ev.problems and len(ev.changes) == 1 and "note dropped in the source" in ev.changes[0]
    # The lake keeps the column (and its past values); the source columns no longer include it.
    assert [c.name for c in ev.contract.columns] == ["id", "qty", "note", "total"]
    assert ev.contract.column("note").retired is True
    assert [c.name for c in ev.contract.source_columns] == ["id", "qty", "total"]
    # Evolving again against the same source: nothing more to do.
    again = evolve(ev.contract, _src(id="int", qty="int", total="decimal(10,2)"))
    assert not again.changed and not again.problems


def test_dropped_key_column_is_a_problem_under_either_policy():
    for policy in ("park", "null"):
        contract = ORDERS.model_copy(update={"on_missing_column": policy})
        ev = evolve(contract, _src(qty="int", note="varchar(20)", total="decimal(10,2)"))
        _assert_refused(ev, contract, "key column id is gone")


def test_new_column_with_a_retired_name_clashes():
    retired = _contract(ID, {"name": "note", "type": "varchar(20)", "retired": True}, on_missing_column="null")
    ev = evolve(retired, _src(id="int", note="varchar(40)"))
    _assert_refused(ev, retired, "new source column note clashes with the lake column note")


def test_new_column_with_the_lake_name_of_a_renamed_column_clashes():
    renamed = _contract(ID, {"name": "note", "type": "varchar(20)", "source_name": "remark"})
    ev = evolve(renamed, _src(id="int", remark="varchar(20)", note="int"))
    _assert_refused(ev, renamed, "new source column note clashes")


def test_a_problem_in_one_column_keeps_the_whole_contract():
    # ADD is fine, the narrowing is not: nothing of the evolution is applied.
    ev = evolve(ORDERS, [*_src(**{**SAME, "qty": "smallint"}), SourceColumn("email", "varchar(80)", True)])
    assert ev.problems and ev.contract == ORDERS


# -- contract fields -------------------------------------------------------------------------------
def test_lake_precision_widens_only_the_lake_type():
    c = Column(name="total", type="decimal(10,2)", lake_precision=18)
    assert (c.lake_type.kind, c.lake_type.precision, c.lake_type.scale) == ("decimal", 18, 2)
    assert c.mysql_type.precision == 10


def test_lake_precision_below_the_source_precision_is_rejected():
    with pytest.raises(ValidationError, match="lake_precision 8 is below the source precision 10"):
        _contract(ID, {"name": "total", "type": "decimal(10,2)", "lake_precision": 8})
    text = _contract(ID).to_yaml() + "- {name: t, type: 'decimal(10,2)', lake_precision: 5}\n"
    with pytest.raises(ContractError, match="lake_precision 5 is below"):
        TableContract.from_yaml(text)


@pytest.mark.parametrize("p", [0, 39])
def test_lake_precision_out_of_range_is_rejected(p):
    with pytest.raises(ValidationError):
        Column(name="total", type="decimal(10,2)", lake_precision=p)


def test_two_columns_reading_the_same_source_column_are_rejected():
    with pytest.raises(ValidationError, match="read the same source column"):
        _contract(ID, {"name": "note", "type": "text", "source_name": "remark"}, {"name": "remark", "type": "text"})
    with pytest.raises(ValidationError, match="read the same source column"):
        _contract(ID, {"name": "a", "type": "text", "source_name": "x"}, {"name": "b", "type": "text", "source_name": "x"})
    # A retired column no longer reads its source name: another column may.
    ok = _contract(ID, {"name": "old", "type": "text", "source_name": "x", "retired": True}, {"name": "new", "type": "text", "source_name": "x"})
    assert [c.wire_name for c in ok.source_columns] == ["id", "x"]


def test_retired_key_is_rejected():
    with pytest.raises(ValidationError, match="key column 'id' cannot be retired"):
        _contract({**ID, "retired": True}, {"name": "note", "type": "text"})


def test_yaml_round_trip_keeps_the_evolution_fields():
    contract = _contract(
        ID,
        {"name": "note", "type": "varchar(20)", "source_name": "remark"},
        {"name": "gone", "type": "int", "retired": True},
        {"name": "total", "type": "decimal(10,2)", "lake_precision": 16},
        on_missing_column="null",
    )
    text = contract.to_yaml()
    back = TableContract.from_yaml(text)
    assert back == contract
    assert back.column("note").wire_name == "remark"
    assert back.column("gone").retired is True and [c.name for c in back.source_columns] == ["id", "note", "total"]
    assert back.column("total").lake_type.precision == 16
    # Defaults stay out of the file: only the columns that use a field carry it.
    assert text.count("retired") == 1 and text.count("source_name") == 1 and text.count("lake_precision") == 1


def test_evolved_contract_survives_the_yaml_round_trip():
    contract = _contract(ID, {"name": "qty", "type": "int"}, {"name": "note", "type": "varchar(20)"},
                         {"name": "total", "type": "decimal(10,2)", "lake_precision": 14}, on_missing_column="null")
    src = _src(id="int", qty="bigint", remark="varchar(20)", total="decimal(12,2)", email="varchar(80)")
    ev = evolve(contract, src, {"note": "remark"})
    assert not ev.problems and len(ev.changes) == 4
    back = TableContract.from_yaml(ev.contract.to_yaml())
    assert back == ev.contract
    assert [c.wire_name for c in back.source_columns] == ["id", "qty", "remark", "total", "email"]


# -- cdclake contracts sync ------------------------------------------------------------------------
def test_sync_writes_evolved_contracts_and_leaves_refused_ones(tmp_path: Path, monkeypatch):
    from cdc import source
    from cdc.contract_sync import sync_contracts
    from cdc.settings import Settings

    good = _contract(ID, {"name": "note", "type": "varchar(20)"})
    bad = good.model_copy(update={"table": "lines", "target_table": "lines"})
    (tmp_path / "orders.yaml").write_text(good.to_yaml())
    (tmp_path / "lines.yaml").write_text(bad.to_yaml())
    live = {
        "orders": _src(id="int", remark="varchar(20)", email="text"),
        "lines": _src(id="int"),  # note dropped under park
    }
    monkeypatch.setattr(source, "source_columns", lambda settings, db, table: live[table])

    dry = sync_contracts(Settings(), tmp_path, renames={"orders": {"note": "remark"}}, write=False)
    assert {e.contract.table: (e.changed, bool(e.problems)) for e in dry} == {"orders": (True, False), "lines": (False, True)}
    assert TableContract.from_yaml((tmp_path / "orders.yaml").read_text()) == good  # a dry run writes nothing

    sync_contracts(Settings(), tmp_path, renames={"orders": {"note": "remark"}})
    orders = TableContract.from_yaml((tmp_path / "orders.yaml").read_text())
    assert [c.wire_name for c in orders.source_columns] == ["id", "remark", "email"]
    assert TableContract.from_yaml((tmp_path / "lines.yaml").read_text()) == bad


def test_on_missing_column_null_written_unquoted_in_yaml():
    # The docs and the advice of `contracts sync` spell it `on_missing_column: null`: YAML reads that as None.
    text = _contract(ID).to_yaml().replace("on_missing_column: park", "on_missing_column: null")
    assert TableContract.from_yaml(text).on_missing_column == "null"
    with pytest.raises(ContractError):
        TableContract.from_yaml(text.replace("on_missing_column: null", "on_missing_column: keep"))
