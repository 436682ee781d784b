"""Quiet tables held back by a continuous job, on the real stack (``CDCLAKE_SPARK__DEFER_BELOW``, spark_jobs/staging.py).

MariaDB -> Debezium -> Kafka -> one continuous streaming query with a quiet table's threshold of 5
changes and a bound of 20 s. A quiet table's single update is staged, and with no later change of
the source at all it is applied by the job between batches once it has waited the bound; a
held-back change left by a stopped job is applied by the next job before it reads Kafka, even an
available-now run with nothing new to read. The lake equals the source (full reconcile) at the end
of each. About 2 minutes here.
"""

from __future__ import annotations

import re
import time

import pytest

from cdc.capture import debezium as dbz
from spark_jobs import stream
from tests.e2e.support import assert_reconciled
from tests.e2e.torture_support import fresh_tables, run_sql

pytestmark = pytest.mark.e2e

WAIT_S = 420  # the first batch creates the Hudi tables: minutes on a loaded 2-core machine
DRAINED = re.compile(r"^batch -?\d+\.\d+: [1-9]\d* change\(s\)")


def _wait(what: str, check, query=None) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if query is not None and not query.isActive:
            raise AssertionError(f"the streaming query stopped: {query.exception()}")
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"never saw {what} within {WAIT_S}s")


def test_a_quiet_tables_change_is_applied_within_the_bound_and_across_a_restart(own_capture, spark, tmp_path):
    from spark_jobs import staging

    base = own_capture("quiet", server_id=184101)
    settings = base.model_copy(update={"spark": base.spark.model_copy(update={"defer_below": 5, "defer_seconds": 20.0})})
    contracts_fn = fresh_tables(settings, [
        "CREATE TABLE quiet.calm (id INT PRIMARY KEY, note VARCHAR(20))",
        "CREATE TABLE quiet.busy (id INT PRIMARY KEY, qty INT NOT NULL)",
    ], tmp_path / "contracts")
    contracts = contracts_fn()
    dbz.register(settings, contracts)
    lines: list[str] = []
    query, stats = stream.start(spark, settings, contracts_fn, trigger="continuous", interval="2 seconds", log=lines.append)
    try:
        # A job writes every table in its first batch.
        run_sql(settings, ["INSERT INTO calm VALUES (1, 'a'), (2, 'b')", "INSERT INTO busy VALUES (1, 1)"])
        _wait("the first rows applied", lambda: stats.records >= 3, query)
        # One change of calm: fewer than 5, staged; then nothing more from the source.
        run_sql(settings, ["UPDATE calm SET note = 'a2' WHERE id = 1"])
        _wait("calm's change staged", lambda: any("staged for a later write" in m for m in lines), query)
        _wait("calm's change applied between batches", lambda: any(DRAINED.match(m) for m in lines), query)
        assert_reconciled(spark, settings, contracts, "lake after the drain")
        assert staging.held(spark, settings.lake_root) == {}

        # Staged again, and the job stops before the bound.
        staged_before = sum("staged for a later write" in m for m in lines)
        run_sql(settings, ["UPDATE calm SET note = 'b2' WHERE id = 2"])
        _wait("calm's second change staged", lambda: sum("staged for a later write" in m for m in lines) > staged_before, query)
    finally:
        query.stop()
    calm = next(c for c in contracts if c.table == "calm")
    assert {t: s.changes for t, s in staging.held(spark, settings.lake_root).items()} == {calm.topic(): 1}

    # The next job, available-now with nothing new in Kafka: it applies what the stopped one staged.
    again, _ = stream.start(spark, settings, contracts_fn, trigger="available-now", log=lines.append)
    again.awaitTermination()
    assert staging.held(spark, settings.lake_root) == {}
    assert_reconciled(spark, settings, contracts, "lake after the restart")
