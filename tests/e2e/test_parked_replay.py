"""After a contract change, the next run replays the table's parked events first, even with no new Kafka records."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdc.capture import debezium as dbz
from cdc.contract_sync import sync_contracts
from cdc.devstack import pipeline
from cdc.devstack.sample import load_sql_file
from cdc.source import reflect_contracts
from lakehouse_schemas.contract import load_contracts
from spark_jobs import dlq
from tests.e2e.support import assert_reconciled
from tests.e2e.torture_support import FIXTURES, reset_capture, run_sql

pytestmark = pytest.mark.e2e


def test_available_now_run_without_new_records_replays_parked_events(own_capture, spark, tmp_path: Path):
    settings = own_capture("evolve", server_id=None)
    directory = tmp_path / "contracts"
    directory.mkdir()
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    load_sql_file(settings, FIXTURES / "evolve" / "schema.sql")
    run_sql(settings, [f"INSERT INTO items VALUES ({i}, 'item {i}', {i}.50)" for i in range(1, 11)])
    for c in reflect_contracts(settings, "evolve", source="evolve"):
        (directory / f"{c.table}.yaml").write_text(c.to_yaml())
    dbz.register(settings, load_contracts(directory=directory))
    pipeline.drain_capture(settings, gtid=run_sql(settings, ["INSERT INTO marker VALUES (1, 1)"]))
    assert pipeline.apply_to_lake(spark, settings, load_contracts(directory=directory)).dead_letters == 0

    gtid = run_sql(settings, ["ALTER TABLE items ADD COLUMN tag VARCHAR(10) NULL", "UPDATE items SET tag = 'new' WHERE id <= 3"])
    pipeline.drain_capture(settings, gtid=gtid)
    stats = pipeline.apply_to_lake(spark, settings, load_contracts(directory=directory))
    assert stats.dead_letters == 3
    assert stats.records == 0  # parked records are not counted as applied
    parked = dlq.list_dead_letters(spark, settings.lake_root, table="evolve.items")
    assert len(parked) == 3 and all(p["source"] == "evolve" for p in parked)
    assert "cdclake run" in parked[0]["reason"] and "cdclake dlq replay" in parked[0]["reason"]

    assert not sync_contracts(settings, directory, ["items"])[0].problems
    contracts = load_contracts(directory=directory)
    stats = pipeline.apply_to_lake(spark, settings, contracts)  # nothing new in Kafka
    assert stats.batches == 0
    assert not dlq.list_dead_letters(spark, settings.lake_root, table="evolve.items"), "parked events were not replayed"
    assert_reconciled(spark, settings, contracts)
