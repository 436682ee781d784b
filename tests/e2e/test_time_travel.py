"""Time travel against the real stack: as-of queries and daily snapshots equal the source's recorded state.

A workload runs over three simulated days on one MariaDB connection whose session ``SET TIMESTAMP``
moves the binlog event times (Debezium's source.ts_ms, the lake's ``_cdc_commit_ts``) into the past.
Between transactions the test records the source's exact state (all rows, one consistent snapshot,
the lake's PII protection applied) at several instants and at each day's end. After replication
through the streaming job and building the snapshots, every as-of query (history alone, and previous
snapshot + the day's history) and every snapshot partition must equal the recorded state row for
row with exact Python types, and the Athena SQL run on Spark must return the same rows.
Tables: Invoice and InvoiceLine (finance domain; Invoice has hashed and masked PII columns), changed by
the workload, and Customer (general domain), left alone. The lake is on the local S3 server, where the
Trino tier (test_trino.py) reads it too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cdc.query.asof import AsOf, check_trino, rewrite, to_spark
from tests.e2e.time_travel_support import _assert_same, _invoices_without_lines, _lake_state

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def test_as_of_queries_and_snapshots_equal_recorded_source_state(travelled, spark):
    chosen, views, tables = travelled["chosen"], travelled["views"], travelled["tables"]
    recorded_at, day_end = travelled["recorded_at"], travelled["day_end"]
    for day, state in day_end.items():
        for c in chosen:
            view = views[c.qualified_source]
            cols = ", ".join(f"`{x.name}`" for x in view.columns)
            got = _lake_state(spark, view, f"SELECT {cols} FROM `{c.glue_database}`.`{c.snapshot_table}` WHERE snapshot_date = '{day}'")
            _assert_same(view, state[c.qualified_source], got, f"snapshot {c.table} {day}")

    for instant, state in sorted(recorded_at.items()):
        as_of = AsOf(zone="UTC", instant=instant.replace(tzinfo=dt.UTC))
        for c in chosen:
            view = views[c.qualified_source]
            sql = f"SELECT * FROM {c.target_database}.{c.target_table}"
            plans = ["history"] + (["snapshot_plus_day"] if instant.date() - dt.timedelta(days=1) in day_end else [])
            for plan in plans:
                got = _lake_state(spark, view, rewrite(sql, tables, as_of, plan=plan).sql)
                _assert_same(view, state[c.qualified_source], got, f"as of {instant} {c.table} ({plan})")

    # a join through the Athena SQL (Trino dialect) run on Spark returns what the Spark SQL returns
    join = (
        "SELECT i.InvoiceId, i.Total, SUM(l.UnitPrice * l.Quantity) AS lines FROM chinook.invoice i "
        "JOIN chinook.invoice_line l ON l.InvoiceId = i.InvoiceId GROUP BY i.InvoiceId, i.Total"
    )
    for instant in sorted(recorded_at)[1::2]:
        as_of = AsOf(zone="UTC", instant=instant.replace(tzinfo=dt.UTC))
        spark_rows = sorted(tuple(r) for r in spark.sql(rewrite(join, tables, as_of, plan="snapshot_plus_day").sql).collect())
        athena_sql = rewrite(join, tables, as_of, plan="snapshot_plus_day", write="athena").sql
        check_trino(athena_sql)
        assert sorted(tuple(r) for r in spark.sql(to_spark(athena_sql)).collect()) == spark_rows
        assert len(spark_rows) == sum(1 for _ in recorded_at[instant]["Chinook.Invoice"]) - _invoices_without_lines(recorded_at[instant])
