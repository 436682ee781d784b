"""Chinook replicated through the real stack (MariaDB -> Debezium -> Kafka -> Spark -> Hudi), lake vs source row for row.

Runs twice: the lake on local files, and on the local S3 server through s3a://.
Waits for conditions (transaction END records in Kafka, available-now drains), never fixed sleeps.
"""

from __future__ import annotations

import os
import uuid

import pytest

from cdc.devstack import pipeline
from cdc.devstack.workload import Workload
from cdc.settings import LakeSettings
from spark_jobs.lake import read_table
from tests.e2e.support import assert_reconciled

CHANGES = int(os.environ.get("CDCLAKE_E2E_CHANGES", "2000"))

pytestmark = pytest.mark.e2e


def _lake(settings, kind: str):
    run = uuid.uuid4().hex[:8]
    if kind == "file":
        root = (settings.stack.state_dir / "test-lakes" / run / "lake").resolve().as_uri()
        ckpt = (settings.stack.state_dir / "test-lakes" / run / "checkpoints").resolve().as_uri()
    else:
        root, ckpt = f"s3a://lake/test-{run}/lake", f"s3a://lake/test-{run}/checkpoints"
    return settings.model_copy(update={"lake": LakeSettings(root=root, checkpoint_root=ckpt)})


@pytest.mark.parametrize("lake_kind", ["file", pytest.param("s3a", marks=pytest.mark.s3)])
def test_snapshot_then_randomized_workload(local_stack, spark, contracts, lake_kind):
    settings = _lake(local_stack, lake_kind)
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)

    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.records >= 15_000  # the whole Chinook snapshot went through the job
    assert stats.dead_letters == 0
    diffs = assert_reconciled(spark, settings, contracts)
    assert sum(d.source_rows for d in diffs) > 15_000

    result = Workload(settings, contracts, seed=11 if lake_kind == "file" else 23).run(CHANGES)
    assert result.changes >= CHANGES
    assert {"insert", "update", "delete", "pk_change", "bulk_update"} <= set(result.by_kind)
    pipeline.drain_capture(settings, result.last_gtid)
    stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.records >= CHANGES
    assert_reconciled(spark, settings, contracts)

    # The row updated five times in one transaction carries its last image, ordered by source position.
    table, key = result.multi_updated
    c = next(x for x in contracts if x.table == table)
    cond = " AND ".join(f"`{k}` = {v!r}" for k, v in zip(c.key, key, strict=True))
    rows = read_table(spark, c, settings.lake_root).where(cond).collect()
    assert len(rows) == 1 and rows[0]["_cdc_op"] == "u"


def test_replay_is_idempotent(local_stack, spark, contracts):
    """Running the job again over the same topics with a new checkpoint into the same lake changes nothing."""
    settings = _lake(local_stack, "file")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)
    result = Workload(settings, contracts, seed=5).run(300)
    pipeline.drain_capture(settings, result.last_gtid)
    pipeline.apply_to_lake(spark, settings, contracts)
    assert_reconciled(spark, settings, contracts)
    replay = settings.model_copy(
        update={"lake": LakeSettings(root=settings.lake_root, checkpoint_root=settings.checkpoint_root + "-replay")}
    )
    stats = pipeline.apply_to_lake(spark, replay, contracts)
    assert stats.records > 15_000  # every record was read again from the earliest offset
    assert stats.guarded_batches >= len(contracts)  # each table saw it re-read what the lake holds
    assert_reconciled(spark, replay, contracts)
