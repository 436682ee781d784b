"""End-to-end steps shared by the demo and the end-to-end tests: reset, load, capture, drain, compare."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from cdc.capture import debezium as dbz
from cdc.devstack.sample import chinook_sql_path, load_sql_file
from cdc.log import Log
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract
from spark_jobs import stream
from spark_jobs.reconcile import TableDiff, reconcile


def wipe_lake(settings: Settings, log: Log = print) -> None:
    """Delete the lake and checkpoint folders of these settings (local folders or an S3 prefix)."""
    for uri in (settings.lake_root, settings.checkpoint_root):
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            shutil.rmtree(Path(parsed.path), ignore_errors=True)
        elif parsed.scheme in ("s3a", "s3"):
            from cdc.s3 import s3_client

            client = s3_client(settings)
            prefix = parsed.path.lstrip("/")
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=parsed.netloc, Prefix=prefix):
                objs = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if objs:
                    client.delete_objects(Bucket=parsed.netloc, Delete={"Objects": objs})
    log(f"wiped lake {settings.lake_root}")


def fresh_source(settings: Settings, contracts: list[TableContract], log: Log = print) -> None:
    """Reset capture, reload Chinook, register the connector (initial snapshot) and wait until it is in Kafka."""
    dbz.reset(settings, log=log)
    load_sql_file(settings, chinook_sql_path(), log=log)
    dbz.register(settings, contracts, log=log)
    drain_capture(settings, log=log)


def drain_capture(settings: Settings, gtid: str | None = None, log: Log = print) -> None:
    """Block until Kafka holds every change up to ``gtid`` (default: everything committed so far)."""
    # The initial snapshot is not a transaction: wait for it through the connector's offsets first.
    _wait_snapshot_done(settings, log)
    if gtid:
        dbz.wait_for_transactions(settings, {gtid}, log=log)
    else:
        dbz.wait_caught_up(settings, log=log)


def _wait_snapshot_done(settings: Settings, log: Log) -> None:
    import time

    client = dbz.ConnectClient(settings)
    name = dbz.connector_name(settings)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if dbz.snapshot_finished(client.offsets(name)):
            return
        time.sleep(0.5)
    raise dbz.ReplicationTimeout("initial snapshot did not finish within 300s", next_step="read the Connect log")


def apply_to_lake(spark: SparkSession, settings: Settings, contracts: list[TableContract], log: Log = print) -> stream.BatchStats:
    query, stats = stream.start(spark, settings, contracts, trigger="available-now", log=log)
    query.awaitTermination()
    if query.exception():
        raise query.exception()
    return stats


def compare_all(spark: SparkSession, settings: Settings, contracts: list[TableContract], log: Log = print) -> list[TableDiff]:
    diffs = reconcile(spark, settings, contracts)
    for d in diffs:
        log(("  ok   " if d.equal else "  DIFF ") + d.summary())
    return diffs
