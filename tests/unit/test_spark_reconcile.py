"""The reconcile comparison: counts, row hashes and differing keys, with exact types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cdc.errors import ConfigError
from lakehouse_schemas.contract import TableContract
from spark_jobs.reconcile import compare, row_hash

CONTRACT = TableContract.model_validate(
    {
        "source": "s",
        "database": "db",
        "table": "t",
        "target_database": "db",
        "target_table": "t",
        "key": ["id"],
        "columns": [
            {"name": "id", "type": "int"},
            {"name": "amount", "type": "decimal(10,2)"},
            {"name": "at", "type": "datetime"},
        ],
    }
)


def _rows(*rows):
    return {(r[0],): r for r in rows}


def test_equal_tables_have_equal_hashes():
    a = _rows((1, Decimal("1.10"), dt.datetime(2020, 1, 1)), (2, None, None))
    d = compare(CONTRACT, a, dict(a))
    assert d.equal and d.hash_mismatches == 0 and d.differing_keys == []


def test_a_double_is_not_a_decimal():
    src = _rows((1, Decimal("1.10"), None))
    lake = _rows((1, 1.1, None))
    d = compare(CONTRACT, src, lake)
    assert not d.equal and d.hash_mismatches == 1
    assert d.different == [((1,), "amount", Decimal("1.10"), 1.1)]
    assert row_hash(src[(1,)]) != row_hash(lake[(1,)])


def test_missing_extra_and_changed_keys_are_listed():
    src = _rows((1, Decimal(1), None), (2, Decimal(2), None), (3, Decimal(3), None))
    lake = _rows((2, Decimal(2), None), (3, Decimal("3.5"), None), (4, Decimal(4), None))
    d = compare(CONTRACT, src, lake)
    assert d.missing_in_lake == [(1,)] and d.extra_in_lake == [(4,)]
    assert d.differing_keys == [(1,), (3,), (4,)]
    assert "differing keys" in d.summary()


def test_wall_clock_and_instant_differ():
    src = _rows((1, None, dt.datetime(2020, 1, 1, 12)))
    lake = _rows((1, None, dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)))
    assert not compare(CONTRACT, src, lake).equal


# Each type's comparison, with the one-cell mutation that makes it fail.
TYPED = TableContract.model_validate(
    {
        "source": "s",
        "database": "db",
        "table": "t",
        "target_database": "db",
        "target_table": "t",
        "key": ["id"],
        "columns": [
            {"name": "id", "type": "int"},
            {"name": "n", "type": "bigint"},
            {"name": "money", "type": "decimal(10,2)"},
            {"name": "flag", "type": "bit(1)"},
            {"name": "bits", "type": "bit(10)"},
            {"name": "raw", "type": "varbinary(8)"},
            {"name": "doc", "type": "json"},
            {"name": "tags", "type": "set('x','y')"},
            {"name": "wall", "type": "datetime(6)"},
            {"name": "instant", "type": "timestamp(6)"},
            {"name": "ratio", "type": "double"},
        ],
    }
)
BASE = (
    7,
    9_000_000_000,
    Decimal("12.30"),
    True,
    b"\x03\xff",
    b"\x00\x01",
    '{"a": 1}',
    "x,y",
    dt.datetime(2020, 1, 1, 12, 0, 0, 1),
    dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC),
    0.1,
)


@pytest.mark.parametrize(
    ("column", "mutated"),
    [
        ("n", 9_000_000_001),  # two ints that differ (the bug of issue 11)
        ("money", Decimal("12.31")),
        ("flag", False),
        ("flag", 1),  # equal by ==, another type
        ("bits", b"\x03\xfe"),
        ("raw", b"\x00\x01\x00"),
        ("doc", '{"a": 2}'),
        ("tags", "x"),
        ("wall", dt.datetime(2020, 1, 1, 12, 0, 0, 2)),
        ("wall", dt.datetime(2020, 1, 1, 12, 0, 0, 1, tzinfo=dt.UTC)),  # a wall clock is not an instant
        ("instant", dt.datetime(2020, 1, 1, 12, 0, 0, 1, tzinfo=dt.UTC)),
        ("ratio", 0.1 + 2**-56),  # one bit of the mantissa: never "close enough"
        ("ratio", None),  # NULL is a value of its own
    ],
)
def test_one_differing_cell_of_any_type_is_reported(column, mutated):
    names = [c.name for c in TYPED.columns]
    assert compare(TYPED, {(7,): BASE}, {(7,): BASE}).equal  # the unmutated row is equal
    lake = list(BASE)
    lake[names.index(column)] = mutated
    d = compare(TYPED, {(7,): BASE}, {(7,): tuple(lake)})
    assert not d.equal and d.hash_mismatches == 1
    assert d.different == [((7,), column, BASE[names.index(column)], mutated)]


def test_equal_is_false_when_only_a_hash_differs():
    d = compare(TYPED, {(7,): BASE}, {(7,): BASE})
    assert d.equal
    d.hash_mismatches = 1
    assert not d.equal
    d.hash_mismatches, d.unexplained_chunks = 0, 1
    assert not d.equal


def test_sample_is_deterministic_and_never_empty():
    from spark_jobs.reconcile import pick_sample
    from spark_jobs.reconcile_cli import parse_sample

    assert pick_sample("db.t", 1, 0.01) == [0]
    a = pick_sample("db.t", 1000, parse_sample("1%"))
    assert a == pick_sample("db.t", 1000, 0.01) and len(a) == 10
    assert pick_sample("db.u", 1000, 0.01) != a  # another table, other chunks
    assert pick_sample("db.t", 7, None) == list(range(7))
    with pytest.raises(ConfigError):
        parse_sample("0%")


def test_a_planted_wkb_or_srid_difference_is_reported():
    from cdc.access.pii import lake_view

    geo = CONTRACT.model_copy(update={"columns": (CONTRACT.columns[0], CONTRACT.columns[0].model_copy(update={"name": "g", "type": "point"}))})
    view = lake_view(geo)  # what reconcile compares: the WKB and its SRID column
    assert [c.name for c in view.columns] == ["id", "g", "g__srid"]
    wkb = bytes.fromhex("0101000000000000000000f03f0000000000000040")
    src = {(1,): (1, wkb, 4326)}
    assert compare(view, src, {(1,): (1, wkb, 4326)}).equal
    for lake, column in (((1, wkb[:-1] + b"\x41", 4326), "g"), ((1, wkb, 0), "g__srid"), ((1, wkb, None), "g__srid")):
        d = compare(view, src, {(1,): lake})
        assert not d.equal and [(k, c) for k, c, _, _ in d.different] == [((1,), column)]
