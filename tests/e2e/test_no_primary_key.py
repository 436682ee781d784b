"""Tables without a primary key through the real stack, under both per-contract policies.

- ``audit`` has no key at all: ``mode: append_only`` keeps every change as a row (deletes too),
  keyed by its source position, so a replay from the earliest offset adds nothing.
- ``tags`` has no primary key but a UNIQUE NOT NULL column the contract declares as its surrogate
  key: it is upserted like any table, and `reconcile` finds zero differences.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.events import META_OP
from cdc.source import check_source, reflect_contracts
from spark_jobs.lake import read_table
from spark_jobs.reconcile import reconcile
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql

pytestmark = pytest.mark.e2e


def _audit_log(spark, settings, audit) -> Counter:
    rows = read_table(spark, audit, settings.lake_root).select(META_OP, "actor", "action", "amount").collect()
    return Counter((r[META_OP], r["actor"], r["action"], r["amount"]) for r in rows)


def test_tables_without_primary_key(own_capture, spark):
    settings = own_capture("nopk", server_id=184094)
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FIXTURES / "nopk" / "schema.sql")
    run_sql(settings, ["INSERT INTO audit VALUES ('ann', 'login', NULL), ('bob', 'pay', 10.50)",
                       "INSERT INTO tags VALUES ('a', 'alpha'), ('b', 'beta'), ('c', 'gamma')"])
    drafts = {c.table: c for c in reflect_contracts(settings, "nopk", source="nopk")}
    audit = drafts["audit"]
    assert audit.mode == "append_only" and audit.key == () and audit.buckets is None  # what `contracts init` drafts for a table without a key
    tags = drafts["tags"].model_copy(update={"mode": "current_state", "key": ("code",)})
    contracts = [audit, tags]
    findings = {f.check: f for f in check_source(settings, contracts)}
    assert "append-only change log" in findings["primary key nopk.audit"].detail
    assert "declared surrogate key ['code']" in findings["primary key nopk.tags"].detail

    dbz.register(settings, contracts)
    gtid = run_sql(settings, [
        "INSERT INTO audit VALUES ('cy', 'pay', 99.99), ('cy', 'pay', 99.99)",  # two identical rows: two changes
        "UPDATE audit SET amount = 11.00 WHERE actor = 'bob'",
        "DELETE FROM audit WHERE actor = 'ann'",
        "UPDATE tags SET label = 'BETA' WHERE code = 'b'",
        "DELETE FROM tags WHERE code = 'a'",
        "INSERT INTO tags VALUES ('a', 'again'), ('d', 'delta')",
        "UPDATE tags SET code = 'e' WHERE code = 'd'",  # a surrogate-key change: delete + create
    ])
    pipeline.drain_capture(settings, gtid=gtid)
    pipeline.apply_to_lake(spark, settings, contracts)

    expected = Counter({
        ("r", "ann", "login", None): 1, ("r", "bob", "pay", Decimal("10.50")): 1,  # the initial snapshot
        ("c", "cy", "pay", Decimal("99.99")): 2,
        ("u", "bob", "pay", Decimal("11.00")): 1,
        ("d", "ann", "login", None): 1,  # a delete is a row of the log, with the row it removed
    })
    assert _audit_log(spark, settings, audit) == expected
    diffs = reconcile(spark, settings, contracts)  # compares tags; the append-only log has no current state
    assert [d.table for d in diffs] == ["nopk.tags"] and diffs[0].equal and diffs[0].source_rows == 4, diffs[0].summary()

    # Replaying every topic from the earliest offset into the existing lake changes neither table.
    again = settings.model_copy(update={"lake": settings.lake.model_copy(update={"checkpoint_root": settings.checkpoint_root + "-replay"})})
    stats = pipeline.apply_to_lake(spark, again, contracts)
    assert stats.records >= sum(expected.values())
    assert _audit_log(spark, settings, audit) == expected
    assert all(d.equal for d in reconcile(spark, settings, contracts))
