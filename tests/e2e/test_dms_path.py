"""The DMS capture path: the same source changes, in the documented DMS Kafka format, give the same lake.

Chinook goes through the real Debezium path into lake A (snapshot + a randomized workload).
Every Debezium change is then rendered as the AWS DMS Kafka target writes it
(tests.support.dms_emit: a simulation, DMS cannot run locally) onto the DMS topics of a second
source (``chinook_dms``, contracts with ``capture_format: dms``), and the same streaming job
builds lake B from them. Lake B must equal lake A table by table, row by row, and the source.
Knob: CDCLAKE_E2E_DMS_CHANGES (default 300) sizes the workload.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from pyspark.sql import functions as F

from cdc.devstack import pipeline
from cdc.devstack.workload import Workload
from cdc.events import META_COMMIT_TS, META_OP, META_POS, META_SNAPSHOT
from cdc.settings import LakeSettings
from spark_jobs.lake import read_table
from tests.e2e.support import assert_reconciled
from tests.support import dms_emit

CHANGES = int(os.environ.get("CDCLAKE_E2E_DMS_CHANGES", "300"))
DMS_SOURCE = "chinook_dms"

pytestmark = pytest.mark.e2e


def _lake(settings, name: str, run: str):
    base = settings.stack.state_dir / "test-lakes" / f"dms-{run}" / name
    lake = LakeSettings(root=(base / "lake").resolve().as_uri(), checkpoint_root=(base / "checkpoints").resolve().as_uri())
    return settings.model_copy(update={"lake": lake})


def _reset_dms_topics(bootstrap: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{DMS_SOURCE}.")]
    if not topics:
        return
    for f in admin.delete_topics(topics, operation_timeout=30).values():
        f.result()
    deadline = time.monotonic() + 60
    while set(topics) & set(admin.list_topics(timeout=10).topics):
        assert time.monotonic() < deadline, f"topics {topics} were not deleted"
        time.sleep(0.3)


def _comparable(df, contract):
    """Source columns and meta columns that both paths must agree on; a full-load row has no binlog position in DMS.

    Columns the PII policy drops are not in the lake on either path.
    """
    pos = F.when(F.col(META_SNAPSHOT), F.lit(None)).otherwise(F.col(META_POS)).alias(META_POS)
    cols = [F.col(f"`{c.name}`") for c in contract.columns if c.name in df.columns]
    assert len(cols) >= len(contract.key)
    return df.select(*cols, META_OP, META_SNAPSHOT, META_COMMIT_TS, pos)


def test_dms_messages_build_the_same_lake_as_debezium(local_stack, spark, contracts):
    run = uuid.uuid4().hex[:8]
    lake_a = _lake(local_stack, "debezium", run)
    pipeline.wipe_lake(lake_a)
    pipeline.fresh_source(lake_a, contracts)
    result = Workload(lake_a, contracts, seed=31).run(CHANGES)
    assert {"insert", "update", "delete", "pk_change"} <= set(result.by_kind)
    pipeline.drain_capture(lake_a, result.last_gtid)
    stats_a = pipeline.apply_to_lake(spark, lake_a, contracts)
    assert stats_a.dead_letters == 0

    # The DMS stand-in: every Debezium change, rendered in the DMS Kafka format, onto the DMS source's topics.
    dms_contracts = [c.model_copy(update={"source": DMS_SOURCE, "capture_format": "dms"}) for c in contracts]
    bootstrap = local_stack.kafka.bootstrap_servers
    events = dms_emit.read_debezium_events(bootstrap, contracts)
    messages = dms_emit.render_messages(events, dms_contracts)
    key_changes = sum(1 for _, _, v in messages if '"before-image"' in v and '"operation":"update"' in v)
    assert len(messages) > 15_000 and key_changes > 0
    _reset_dms_topics(bootstrap)
    dms_emit.produce(bootstrap, messages)

    lake_b = _lake(local_stack, "dms", run)
    lake_b = lake_b.model_copy(update={"source": lake_b.source.model_copy(update={"name": DMS_SOURCE})})
    stats_b = pipeline.apply_to_lake(spark, lake_b, dms_contracts)
    assert stats_b.dead_letters == 0
    assert stats_b.records == len(messages)

    for a, b in zip(contracts, dms_contracts, strict=True):
        rows_a = _comparable(read_table(spark, a, lake_a.lake_root), a)
        rows_b = _comparable(read_table(spark, b, lake_b.lake_root), b)
        only_a, only_b = rows_a.exceptAll(rows_b), rows_b.exceptAll(rows_a)
        n_a, n_b = only_a.count(), only_b.count()
        assert n_a == 0 and n_b == 0, f"{a.table}: {n_a} row(s) only in the Debezium lake, {n_b} only in the DMS lake: {only_b.take(3)}"
        assert rows_a.count() == rows_b.count() > 0

    assert_reconciled(spark, lake_b, dms_contracts, "DMS lake")
