"""Foreign-key cascades derived in Spark (spark_jobs/cascade.py) and what `source check` says about them (no servers)."""

from __future__ import annotations

import json

from cdc.events import SourcePosition
from lakehouse_schemas.contract import ForeignKey, TableContract

REGION = TableContract.from_yaml(
    """
source: s
database: db
table: region
target_database: db
target_table: region
key: [code]
columns:
- {name: code, type: varchar(8), nullable: false}
- {name: name, type: varchar(20)}
"""
)
FK_STORE = ForeignKey(name="fk_store", columns=("region_code",), ref_database="db", ref_table="region", ref_columns=("code",),
                      on_update="CASCADE", on_delete="CASCADE")
STORE = TableContract.from_yaml(
    """
source: s
database: db
table: store
target_database: db
target_table: store
key: [region_code, store_no]
columns:
- {name: region_code, type: varchar(8), nullable: false}
- {name: store_no, type: int, nullable: false}
- {name: name, type: varchar(20)}
"""
).model_copy(update={"foreign_keys": (FK_STORE,)})
FK_NOTE = ForeignKey(name="fk_note", columns=("region_code",), ref_database="db", ref_table="region", ref_columns=("code",),
                     on_update="RESTRICT", on_delete="SET NULL")
NOTE = TableContract.from_yaml(
    """
source: s
database: db
table: note
target_database: db
target_table: note
key: [id]
columns:
- {name: id, type: int, nullable: false}
- {name: region_code, type: varchar(8)}
"""
).model_copy(update={"foreign_keys": (FK_NOTE,)})


def _msg(op, before, after, pos, row=0):
    return json.dumps({"before": before, "after": after, "op": op, "ts_ms": 1700000000999,
                       "source": {"file": "mysql-bin.000002", "pos": pos, "row": row, "snapshot": "false", "ts_ms": 1700000000123,
                                  "db": "db", "table": "region"}})


def _region_changes(spark, values):
    from spark_jobs.decode import ERROR_COLUMN, decode_debezium

    rows = [("s.db.region", 0, i, None, v.encode()) for i, v in enumerate(values)]
    df = spark.createDataFrame(rows, "topic string, partition int, offset long, key binary, value binary")
    return decode_debezium(df, REGION).where(f"{ERROR_COLUMN} IS NULL")


# Debezium's primary-key change: delete(old) + create(new) from one row event; then a plain delete.
CHANGES = [
    _msg("d", {"code": "EU", "name": "Europe"}, None, pos=500),
    _msg("c", None, {"code": "EUR", "name": "Europe"}, pos=500),
    _msg("d", {"code": "US", "name": "US"}, None, pos=600),
    _msg("u", {"code": "AP", "name": "a"}, {"code": "AP", "name": "b"}, pos=700),  # no referenced column changed
]


def _pos(pos: int) -> str:
    return SourcePosition(file="mysql-bin.000002", pos=pos, row=0, snapshot=False).sort_key


def _state(spark, contract, rows, pos: int = 100):
    from spark_jobs.schema import lake_spark_type

    fields = ", ".join(f"`{c.name}` {lake_spark_type(c.lake_type).simpleString()}" for c in contract.columns)
    return spark.createDataFrame([(*r, _pos(pos)) for r in rows], f"{fields}, _cdc_pos string")


def test_key_change_moves_children_and_delete_removes_them(spark):
    from spark_jobs import cascade

    es = cascade.edges([REGION, STORE, NOTE])
    assert {(e.parent.table, e.child.table) for e in es} == {("region", "store"), ("region", "note")}
    trans = cascade.transitions(_region_changes(spark, CHANGES), REGION, cascade.referenced(REGION, es))
    assert sorted((r["_t_removed"], r["_t_b_code"], r["_t_a_code"]) for r in trans.collect()) == [(False, "EU", "EUR"), (True, "US", None)]

    store_edge = next(e for e in es if e.child is STORE)
    state = _state(spark, STORE, [("EU", 1, "Berlin"), ("EU", 2, "Paris"), ("US", 1, "Boston"), ("AP", 1, "Tokyo")])
    derived = cascade.derive(trans, store_edge, state)
    changes = cascade.as_changes(derived, STORE, FK_STORE)
    got = sorted((r["_cdc_op"], r["region_code"], r["store_no"], r["_hoodie_is_deleted"]) for r in changes.collect())
    # A moved key is delete(old) + create(new); the delete cascades as a delete.
    assert got == [("c", "EUR", 1, False), ("c", "EUR", 2, False), ("d", "EU", 1, True), ("d", "EU", 2, True), ("d", "US", 1, True)]
    s = cascade.CASCADE_SUFFIX
    assert {r["_cdc_pos"] for r in changes.collect()} == {_pos(500) + s, _pos(600) + s}
    assert _pos(500) < _pos(500) + s < _pos(501) and _pos(600) < _pos(600) + s < _pos(601)  # just after the parent change

    # The children's own transitions carry the old and new key (what a grandchild joins on).
    ct = cascade.child_transitions(derived, STORE, ["region_code", "store_no"])
    assert sorted((r["_t_removed"], r["_t_b_region_code"], r["_t_a_region_code"]) for r in ct.collect()) == [
        (False, "EU", "EUR"), (False, "EU", "EUR"), (True, "US", None)
    ]


def test_set_null_on_delete_and_restrict_on_update(spark):
    from spark_jobs import cascade

    es = cascade.edges([REGION, NOTE])
    trans = cascade.transitions(_region_changes(spark, CHANGES), REGION, cascade.referenced(REGION, es))
    state = _state(spark, NOTE, [(1, "EU"), (2, "US"), (3, None)])
    changes = cascade.as_changes(cascade.derive(trans, es[0], state), NOTE, FK_NOTE)
    # ON UPDATE RESTRICT: EU -> EUR cannot have happened with children, so nothing is derived for it.
    assert [(r["_cdc_op"], r["id"], r["region_code"], r["_hoodie_is_deleted"]) for r in changes.collect()] == [("u", 2, None, False)]


def test_rows_written_after_the_parent_change_are_left_alone(spark):
    from spark_jobs import cascade

    es = cascade.edges([REGION, STORE])
    trans = cascade.transitions(_region_changes(spark, CHANGES), REGION, cascade.referenced(REGION, es))
    later = _state(spark, STORE, [("US", 1, "Boston")], pos=900)
    assert cascade.derive(trans, es[0], later).count() == 0
    earlier = _state(spark, STORE, [("US", 1, "Boston")], pos=599)
    assert cascade.derive(trans, es[0], earlier).count() == 1


def test_source_check_findings():
    from cdc.foreign_keys import describe

    live = {"db.store": [FK_STORE], "db.note": [FK_NOTE]}
    ok = describe([REGION, STORE, NOTE], live)
    assert [(c, o) for c, o, _, _ in ok] == [("foreign key db.store.fk_store", True), ("foreign key db.note.fk_note", True)]
    unrecorded = describe([REGION, STORE.model_copy(update={"foreign_keys": ()}), NOTE], live)
    assert unrecorded[0][1] is False and "contracts init" in unrecorded[0][3]
    changed = FK_NOTE.model_copy(update={"on_delete": "CASCADE"})
    assert describe([REGION, STORE, NOTE], {"db.note": [changed]})[0][1] is False
    orphan = describe([STORE], live)
    assert orphan[0][1] is False and "db.region" in orphan[0][3]
    restrict = FK_NOTE.model_copy(update={"on_delete": "RESTRICT"})
    assert describe([REGION, NOTE], {"db.note": [restrict]}) == []  # nothing to apply


def test_foreign_keys_do_not_change_the_contract_version():
    assert STORE.fingerprint == STORE.model_copy(update={"foreign_keys": ()}).fingerprint
    assert "foreign_keys" in STORE.to_yaml() and "foreign_keys" not in REGION.to_yaml()
    assert TableContract.from_yaml(STORE.to_yaml()) == STORE
