"""cdc/query/table.py: the one text-table formatter (`cdclake query`, Spark and Athena alike)."""

from __future__ import annotations

from decimal import Decimal

from cdc.query.table import format_table


def test_rows_nulls_and_the_count_line():
    out = format_table(["id", "total"], [(1, Decimal("1.98")), (22, None)], limit=50)
    assert out.splitlines() == [
        "+----+-------+",
        "| id | total |",
        "+----+-------+",
        "| 1  | 1.98  |",
        "| 22 | NULL  |",
        "+----+-------+",
        "2 row(s)",
    ]


def test_the_limit_says_how_many_are_shown():
    out = format_table(["x"], [(1,), (2,), (3,)], limit=2)
    assert out.splitlines()[-1] == "2 row(s) (first 2 shown)"
    assert "| 3 |" not in out


def test_a_one_cell_difference_shows():
    # The mutation check of the exact comparison above.
    assert format_table(["id"], [(1,)], 5) != format_table(["id"], [(2,)], 5)
