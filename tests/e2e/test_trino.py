"""Athena's engine over the lake: the time-travel assertions through the local Trino, the Glue API and S3.

The lake of the time-travel scenario (tests/e2e/time_travel_support.py, on the local S3 server) is
registered by our own Glue sync in the local Glue API (moto); Trino's Hudi connector reads those
definitions (``s3://`` locations, partitions, table version 6) and the files with its native S3
file system, as Athena does. Every as-of query and every daily snapshot the Spark test checks,
written in Athena's dialect, must equal the recorded source state row for row (DECIMAL as Decimal,
DATETIME as naive UTC wall clock, NULL as None) and the same SQL run on Spark. Then each
workgroup queries through a catalog of its own with its own S3 keys (the generated policies).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest

from cdc.access import minio as local_minio
from cdc.query import trino
from cdc.query.asof import AsOf, rewrite, to_spark
from spark_jobs.reconcile import _keyed, compare
from tests.e2e.time_travel_support import _assert_same, _lake_state

pytestmark = [pytest.mark.e2e, pytest.mark.s3, pytest.mark.trino]


def _trino_state(settings, view, sql: str, catalog: str = trino.LAKE_CATALOG) -> dict:
    rows = trino.run(settings, sql, catalog=catalog).rows
    return _keyed(view, [r[: len(view.columns)] for r in rows])


@pytest.fixture(scope="module")
def trino_lake(travelled, spark):
    """Glue and Trino up, the lake's tables and partitions synced into Glue by our own sync."""
    from cdc import devstack
    from cdc.catalog import glue
    from spark_jobs.lake import catalog_state

    base = travelled["settings"]
    settings = base.model_copy(update={"catalog": base.catalog.model_copy(update={"glue_endpoint": trino.local_glue_endpoint(base)})})
    started = time.monotonic()
    devstack.up(settings, ["glue", "trino"], log=print)
    print(f"glue + trino up in {time.monotonic() - started:.1f} s")
    existing, partitions = catalog_state(spark, settings, travelled["chosen"])
    report = glue.sync(settings, travelled["chosen"], partitions, existing=existing, log=print)
    assert len(report.tables) == 3 * len(travelled["chosen"]), report.tables
    yield settings
    if os.environ.get("CDCLAKE_KEEP_STACK") != "1":
        devstack.down(settings, ["glue", "trino"], log=print)


def test_as_of_and_snapshots_through_trino_equal_source_and_spark(trino_lake, travelled, spark):
    settings, chosen, views, tables = trino_lake, travelled["chosen"], travelled["views"], travelled["tables"]
    recorded_at, day_end = travelled["recorded_at"], travelled["day_end"]
    started, checked = time.monotonic(), 0
    for day, state in day_end.items():
        for c in chosen:
            view = views[c.qualified_source]
            cols = ", ".join(f'"{x.name}"' for x in view.columns)
            sql = f'SELECT {cols} FROM "{c.glue_database}"."{c.snapshot_table}" WHERE snapshot_date = \'{day}\''
            got = _trino_state(settings, view, sql)
            _assert_same(view, state[c.qualified_source], got, f"trino snapshot {c.table} {day}")
            assert got == _lake_state(spark, view, to_spark(sql)), f"trino and spark differ: snapshot {c.table} {day}"
            checked += 1

    for instant, state in sorted(recorded_at.items()):
        as_of = AsOf(zone="UTC", instant=instant.replace(tzinfo=dt.UTC))
        for c in chosen:
            view = views[c.qualified_source]
            sql = f"SELECT * FROM {c.target_database}.{c.target_table}"
            plans = ["history"] + (["snapshot_plus_day"] if instant.date() - dt.timedelta(days=1) in day_end else [])
            for plan in plans:
                athena_sql = rewrite(sql, tables, as_of, plan=plan, write="athena").sql
                got = _trino_state(settings, view, athena_sql)
                _assert_same(view, state[c.qualified_source], got, f"trino as of {instant} {c.table} ({plan})")
                assert got == _lake_state(spark, view, to_spark(athena_sql)), f"trino and spark differ: as of {instant} {c.table} ({plan})"
                checked += 1
    print(f"trino: {checked} snapshot/as-of results equal the source and Spark in {time.monotonic() - started:.1f} s")


def _mutated(state: dict, col: int, value) -> dict:
    key = sorted(state)[len(state) // 2]
    row = list(state[key])
    row[col] = value
    return {**state, key: tuple(row)}


def test_trino_comparison_catches_one_cell(trino_lake, travelled):
    """The comparison above fails on one changed cell: a cent of money, a second of a DATETIME, a NULL."""
    settings, views = trino_lake, travelled["views"]
    invoice = next(c for c in travelled["chosen"] if c.table == "Invoice")
    view = views[invoice.qualified_source]
    last_day = max(travelled["day_end"])
    cols = ", ".join(f'"{x.name}"' for x in view.columns)
    got = _trino_state(settings, view, f"SELECT {cols} FROM \"{invoice.glue_database}\".\"{invoice.snapshot_table}\" WHERE snapshot_date = '{last_day}'")
    recorded = travelled["day_end"][last_day][invoice.qualified_source]
    _assert_same(view, recorded, got, "unchanged")
    names = [x.name for x in view.columns]
    key = sorted(got)[len(got) // 2]
    total, date, city = names.index("Total"), names.index("InvoiceDate"), names.index("BillingState")
    for col, value in (
        (total, got[key][total] + Decimal("0.01")),
        (date, got[key][date] + dt.timedelta(seconds=1)),
        (city, None if got[key][city] is not None else "X"),
    ):
        bad = _mutated(got, col, value)
        assert not compare(view, recorded, bad).equal, names[col]
        with pytest.raises(AssertionError):
            _assert_same(view, recorded, bad, "mutated")


def _expected_by_country(state: dict, invoice_view, customer_view) -> dict:
    inv, cus = [x.name for x in invoice_view.columns], [x.name for x in customer_view.columns]
    country = {row[cus.index("CustomerId")]: row[cus.index("Country")] for row in state["Chinook.Customer"].values()}
    out: dict = defaultdict(lambda: [0, Decimal(0)])
    for row in state["Chinook.Invoice"].values():
        agg = out[country[row[inv.index("CustomerId")]]]
        agg[0] += 1
        agg[1] += row[inv.index("Total")]
    return {k: (n, s) for k, (n, s) in out.items()}


def test_join_of_finance_and_general_tables_as_of_an_instant(trino_lake, travelled, spark):
    settings, tables, views = trino_lake, travelled["tables"], travelled["views"]
    instant = sorted(travelled["recorded_at"])[len(travelled["recorded_at"]) // 2]
    state = travelled["recorded_at"][instant]
    join = (
        "SELECT c.Country, COUNT(*) AS invoices, SUM(i.Total) AS total FROM chinook.invoice i "
        "JOIN chinook.customer c ON c.CustomerId = i.CustomerId GROUP BY c.Country"
    )
    athena_sql = rewrite(join, tables, AsOf(zone="UTC", instant=instant.replace(tzinfo=dt.UTC)), plan="snapshot_plus_day", write="athena").sql
    got = {r[0]: (r[1], r[2]) for r in trino.run(settings, athena_sql).rows}
    expected = _expected_by_country(state, views["Chinook.Invoice"], views["Chinook.Customer"])
    assert got == expected
    assert all(isinstance(s, Decimal) for _, s in got.values())
    assert got == {r[0]: (r[1], r[2]) for r in spark.sql(to_spark(athena_sql)).collect()}
    # one cent on one country is caught
    country = min(expected)
    assert got != {**expected, country: (expected[country][0], expected[country][1] + Decimal("0.01"))}
    print(f"join as of {instant}: {len(got)} countries, {sum(n for n, _ in got.values())} invoices")


@pytest.fixture(scope="module")
def workgroups(trino_lake, contracts):
    """One MinIO user per principal with its generated policy, and a Trino catalog per workgroup with its keys."""
    settings = trino_lake
    run = uuid.uuid4().hex[:6]
    users = local_minio.ensure_users(settings, local_minio.local_documents(settings, contracts), name_prefix=f"tt-{run}-")
    catalogs = {}
    for name in ("analysts", "finance"):
        catalogs[name] = f"{name}_{run}"
        trino.create_catalog(settings, catalogs[name], users[name].access_key, users[name].secret_key.get_secret_value())
    yield catalogs
    for catalog in catalogs.values():
        trino.drop_catalog(settings, catalog)
    local_minio.remove_users(settings, users)


def _assert_denied(settings, sql: str, catalog: str, names: tuple[str, ...]) -> str:
    with pytest.raises(trino.TrinoQueryError) as info:
        trino.run(settings, sql, catalog=catalog)
    text = str(info.value)
    assert info.value.access_denied, f"expected an access-denied error, got: {info.value.detail[:600]}"
    assert trino.ACCESS_DENIED.search(text.splitlines()[0]), f"the one-line error does not say S3 refused: {text[:600]}"
    assert any(re.search(re.escape(n), text, re.IGNORECASE) for n in names), f"the error names none of {names}: {text[:600]}"
    return text


def test_workgroup_catalogs_read_their_domains_and_are_refused_the_rest(trino_lake, travelled, workgroups):
    settings, views, tables = trino_lake, travelled["views"], travelled["tables"]
    instant = max(travelled["recorded_at"])
    state = travelled["recorded_at"][instant]
    as_of = AsOf(zone="UTC", instant=instant.replace(tzinfo=dt.UTC))
    readable = {"finance": "finance", "analysts": "general"}
    for workgroup, catalog in workgroups.items():
        for c in travelled["chosen"]:
            view = views[c.qualified_source]
            athena_sql = rewrite(f"SELECT * FROM {c.target_database}.{c.target_table}", tables, as_of, plan="history", write="athena").sql
            if c.domain == readable[workgroup]:
                got = _trino_state(settings, view, athena_sql, catalog=catalog)
                _assert_same(view, state[c.qualified_source], got, f"{workgroup} reads {c.table}")
            else:
                history = c.history_path(settings.lake_root).split("://", 1)[1]
                text = _assert_denied(settings, athena_sql, catalog, (history, c.history_table))
                print(f"{workgroup} refused {c.glue_database}.{c.history_table}: {text[:200]}")
                for name in (c.target_table, c.snapshot_table):
                    _assert_denied(
                        settings, f'SELECT COUNT(*) FROM "{c.glue_database}"."{name}"', catalog,
                        (f"{c.domain}/", name),
                    )


def test_cdclake_query_engine_trino_answers_as_of_an_instant(trino_lake, travelled, monkeypatch):
    from click.testing import CliRunner

    from cdc.cli.query import query
    from cdc.settings import get_settings

    settings = trino_lake
    instant = sorted(travelled["recorded_at"])[-2]
    expected = len(travelled["recorded_at"][instant]["Chinook.Invoice"])
    monkeypatch.setenv("CDCLAKE_LAKE__ROOT", settings.lake_root)
    monkeypatch.setenv("CDCLAKE_CATALOG__GLUE_ENDPOINT", settings.catalog.glue_endpoint)
    get_settings.cache_clear()
    try:
        args = ["SELECT COUNT(*) AS n FROM chinook.invoice", "--engine", "trino", "--as-of", instant.isoformat(sep=" ")]
        started = time.monotonic()
        result = CliRunner().invoke(query, args)
        print(f"cdclake query --engine trino --as-of: {time.monotonic() - started:.1f} s")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"| {expected} |" in result.stdout, result.stdout
