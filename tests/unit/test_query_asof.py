"""The as-of rewrite on sqlglot's tree: which references change, what they become, and that Athena SQL is Trino SQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

from cdc.query.asof import AsOf, AsOfError, LakeTable, check_trino, plan_for, rewrite, time_travel_contracts, to_spark
from lakehouse_schemas import load_contracts

TABLES = [LakeTable.from_contract(c) for c in time_travel_contracts(load_contracts("chinook"))]
NOON = AsOf.parse("2025-10-03 12:00:00", "UTC")


def _tables(sql: str, dialect: str = "spark") -> list[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    return sorted(f"{t.db}.{t.name}" if t.db else t.name for t in tree.find_all(exp.Table))


def _derived_aliases(sql: str, dialect: str = "spark") -> list[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    # the rewrite's own inner aliases are quoted; the derived table that replaced a reference keeps the user's alias as written
    return sorted(s.alias for s in tree.find_all(exp.Subquery) if s.alias and not s.args["alias"].this.quoted and s.find(exp.Window))


def test_plain_reference_becomes_history_state_with_table_name_as_alias():
    rw = rewrite("SELECT InvoiceId, Total FROM chinook.invoice WHERE InvoiceId = 123", TABLES, NOON)
    assert _tables(rw.sql) == ["chinook_finance.invoice_history"]
    assert _derived_aliases(rw.sql) == ["invoice"]
    assert "CAST('2025-10-03 12:00:00.000000' AS TIMESTAMP)" in rw.sql
    assert rw.plans == {"chinook_finance.invoice": "history"}


def test_glue_name_and_lake_name_both_match_and_other_tables_stay():
    rw = rewrite("SELECT * FROM chinook_finance.invoice i JOIN other.invoice o ON i.InvoiceId = o.id", TABLES, NOON)
    assert _tables(rw.sql) == ["chinook_finance.invoice_history", "other.invoice"]


def test_joins_keep_aliases_and_qualified_columns():
    sql = (
        "SELECT i.InvoiceId, l.Quantity, chinook.invoice_line.UnitPrice FROM chinook.invoice AS i "
        "JOIN chinook.invoice_line l ON l.InvoiceId = i.InvoiceId "
        "LEFT JOIN chinook.invoice_line ON chinook.invoice_line.InvoiceLineId = l.InvoiceLineId"
    )
    rw = rewrite(sql, TABLES, NOON)
    assert _tables(rw.sql) == ["chinook_finance.invoice_history", "chinook_finance.invoice_line_history", "chinook_finance.invoice_line_history"]
    assert _derived_aliases(rw.sql) == ["i", "invoice_line", "l"]
    # the three-part column lost its database: the derived table is known by its alias only
    outer = sqlglot.parse_one(rw.sql, read="spark")
    assert "invoice_line.UnitPrice" in outer.expressions[2].sql("spark")
    assert "chinook.invoice_line.UnitPrice" not in rw.sql


def test_cte_of_the_same_name_shadows_and_cte_body_is_rewritten():
    sql = "WITH invoice AS (SELECT * FROM chinook.invoice WHERE Total > 5) SELECT COUNT(*) FROM invoice"
    rw = rewrite(sql, TABLES, NOON)
    assert _tables(rw.sql) == ["chinook_finance.invoice_history", "invoice"]


def test_subqueries_and_unqualified_names():
    sql = "SELECT * FROM invoice_line WHERE InvoiceId IN (SELECT InvoiceId FROM chinook.invoice WHERE Total > (SELECT AVG(Total) FROM invoice))"
    rw = rewrite(sql, TABLES, NOON)
    assert _tables(rw.sql) == ["chinook_finance.invoice_history", "chinook_finance.invoice_history", "chinook_finance.invoice_line_history"]


def test_history_and_snapshot_tables_are_not_rewritten():
    sql = "SELECT * FROM chinook_finance.invoice_history h JOIN chinook_finance.invoice_snapshot s ON h.InvoiceId = s.InvoiceId"
    assert _tables(rewrite(sql, TABLES, NOON).sql) == _tables(sql)


def test_snapshot_plans():
    day = rewrite("SELECT * FROM chinook.invoice", TABLES, AsOf.parse("2025-10-03"), plan="snapshot_day", write="athena")
    check_trino(day.sql)
    tree = sqlglot.parse_one(day.sql, read="trino")
    assert _tables(day.sql, "trino") == ["chinook_finance.invoice_snapshot"]
    assert "\"snapshot_date\" = '2025-10-03'" in day.sql and not tree.find(exp.Window)

    mixed = rewrite("SELECT * FROM chinook.invoice", TABLES, NOON, plan="snapshot_plus_day", write="athena")
    check_trino(mixed.sql)
    assert _tables(mixed.sql, "trino") == ["chinook_finance.invoice_history", "chinook_finance.invoice_snapshot"]
    # the day before the instant's day, then the day's changes from midnight to the instant
    assert "\"snapshot_date\" = '2025-10-02'" in mixed.sql
    assert "\"_cdc_commit_ts\" >= CAST('2025-10-03 00:00:00.000000' AS TIMESTAMP)" in mixed.sql
    assert "\"_cdc_ingest_date\" >= '2025-10-02'" in mixed.sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM chinook.invoice WHERE InvoiceId = 123",
        "SELECT c.Country, SUM(i.Total) AS total FROM chinook.invoice i JOIN chinook.customer c ON c.CustomerId = i.CustomerId GROUP BY c.Country ORDER BY total DESC LIMIT 5",
        "WITH t AS (SELECT InvoiceId, SUM(UnitPrice * Quantity) s FROM chinook.invoice_line GROUP BY InvoiceId) SELECT i.InvoiceId FROM chinook.invoice i JOIN t ON t.InvoiceId = i.InvoiceId WHERE t.s <> i.Total",
        "SELECT * FROM chinook.track WHERE AlbumId IN (SELECT AlbumId FROM chinook.album WHERE ArtistId = 1)",
    ],
)
@pytest.mark.parametrize("plan", ["history", "snapshot_plus_day"])
def test_emitted_athena_sql_parses_as_trino_and_round_trips(sql, plan):
    rw = rewrite(sql, TABLES, NOON, plan=plan, write="athena")
    tree = check_trino(rw.sql)
    assert isinstance(tree, exp.Query)
    assert "`" not in rw.sql  # Trino quotes identifiers with double quotes
    back = to_spark(rw.sql)
    assert _tables(back) == _tables(rewrite(sql, TABLES, NOON, plan=plan).sql)


def test_as_of_parsing_zones_and_day_ends():
    berlin = AsOf.parse("2025-10-03 12:00:00", "Europe/Berlin")
    assert berlin.instant == dt.datetime(2025, 10, 3, 10, 0, tzinfo=dt.UTC)
    assert AsOf.parse("2025-10-03T12:00:00+05:00", "UTC").instant == dt.datetime(2025, 10, 3, 7, tzinfo=dt.UTC)
    day = AsOf.parse("2025-10-03", "UTC")
    assert day.upper == dt.datetime(2025, 10, 3, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert AsOf.parse("2025-10-03", "Europe/Berlin").upper == dt.datetime(2025, 10, 3, 21, 59, 59, 999999, tzinfo=dt.UTC)
    # an instant just after midnight in Berlin belongs to the Berlin day
    assert AsOf.parse("2025-10-02 22:30:00+00:00", "Europe/Berlin").local_day == dt.date(2025, 10, 3)
    with pytest.raises(AsOfError):
        AsOf.parse("yesterday", "UTC")
    with pytest.raises(AsOfError):
        AsOf.parse("2025-10-03", "Mars/Base")


def test_plan_choice():
    have = {dt.date(2025, 10, 2)}
    assert plan_for(NOON, "auto", have) == "snapshot_plus_day"
    assert plan_for(NOON, "auto", set()) == "history"
    assert plan_for(AsOf.parse("2025-10-02"), "auto", have) == "snapshot_day"
    assert plan_for(AsOf.parse("2025-10-03"), "auto", have) == "history"
    assert plan_for(NOON, "history", have) == "history"
    assert plan_for(NOON, "snapshot", set()) == "snapshot_plus_day"


def test_only_one_select_is_accepted():
    with pytest.raises(AsOfError):
        rewrite("DELETE FROM chinook.invoice", TABLES, NOON)
    with pytest.raises(AsOfError):
        rewrite("SELECT 1; SELECT 2", TABLES, NOON)
    with pytest.raises(AsOfError):
        rewrite("SELECT FROM WHERE", TABLES, NOON)
