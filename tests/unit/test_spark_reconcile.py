"""The reconcile comparison: counts, row hashes and differing keys, with exact types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
