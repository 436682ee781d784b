"""Faults against the real stack, each followed by a reconcile that must find zero differences.

- kill -9 of the Spark driver (the whole process group: Python and its JVM) at random points,
  while a Hudi commit is in flight, and right after a batch finished, across at least 20 batches;
- kill -9 of Kafka Connect, a restart of the Kafka broker and a restart of MariaDB while changes flow.

Knobs: CDCLAKE_FAULT_KILLS (driver kills, default 6), CDCLAKE_FAULT_CHANGES (workload size, default 600).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from cdc import devstack as stack
from cdc.capture import debezium as dbz
from cdc.devstack import pipeline
from cdc.devstack.workload import Workload
from tests.e2e.support import assert_reconciled, file_lake

pytestmark = pytest.mark.e2e

KILLS = int(os.environ.get("CDCLAKE_FAULT_KILLS", "6"))
CHANGES = int(os.environ.get("CDCLAKE_FAULT_CHANGES", "600"))
# The driver-kill test replicates three related Chinook tables (one with PII): whether a kill loses or
# doubles a change does not depend on the number of tables, and every table costs two Hudi writes
# per batch. Their backlog (snapshot ~2,700 rows + the workload) is split into 20+ batches.
KILL9_TABLES = ("Customer", "Invoice", "InvoiceLine")
MAX_OFFSETS = 150
# The job's summary line after each batch function returns (spark_jobs/stream.py: make_batch_fn).
BATCH_DONE = re.compile(r"batch \d+: \d+ change\(s\) in \d+ table\(s\) applied")


class DriverRun:
    """The streaming job as its own process group, as spark-submit runs it; output kept for the failure message."""

    def __init__(self, settings, contracts_dir: Path):
        env = dict(os.environ)
        env["CDCLAKE_LAKE__ROOT"] = settings.lake_root
        env["CDCLAKE_LAKE__CHECKPOINT_ROOT"] = settings.checkpoint_root
        env["CDCLAKE_CONTRACTS_DIR"] = str(contracts_dir)
        cmd = [sys.executable, "-u", "-m", "spark_jobs.stream", "--trigger", "available-now", "--max-offsets-per-trigger", str(MAX_OFFSETS)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[str] = []
        self.batches_done = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            if BATCH_DONE.match(line):
                self.batches_done += 1

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(5)

    def finished(self) -> bool:
        return self.proc.poll() is not None


def _inflight_commit(lake: Path) -> bool:
    return any(p.name.endswith(".inflight") for p in lake.glob("*/*/*/.hoodie/*"))


def _committed_batches(ckpt: Path) -> int:
    commits = next(ckpt.glob("stream-*/commits"), None)
    return len([p for p in commits.iterdir() if p.name.isdigit()]) if commits else 0


def test_driver_kill9_at_random_points(local_stack, spark, contracts, tmp_path):
    settings = file_lake(local_stack, "kill9")
    contracts = [c for c in contracts if c.table in KILL9_TABLES]
    assert len(contracts) == len(KILL9_TABLES)
    contracts_dir = tmp_path / "contracts"
    (contracts_dir / settings.source.name).mkdir(parents=True)
    for c in contracts:  # what the driver process reads (CDCLAKE_CONTRACTS_DIR/<source>)
        (contracts_dir / settings.source.name / f"{c.table}.yaml").write_text(c.to_yaml())
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)
    result = Workload(settings, contracts, seed=41).run(CHANGES)
    pipeline.drain_capture(settings, result.last_gtid)

    lake = Path(urlparse(settings.lake_root).path)
    ckpt = Path(urlparse(settings.checkpoint_root).path)
    rng = random.Random(2024)
    modes = [("random", "inflight", "after-batch")[i % 3] for i in range(KILLS)]
    # Kill points spread over the run: kill i waits until at least targets[i] batches are committed.
    targets = sorted(rng.sample(range(1, 20), KILLS))
    killed: list[str] = []
    runs = 0
    while True:
        runs += 1
        run = DriverRun(settings, contracts_dir)
        mode = modes[len(killed)] if len(killed) < len(modes) else None
        target = targets[len(killed)] if mode else 0
        deadline, armed_at, delay = time.monotonic() + 600, None, rng.uniform(0, 8)
        while not run.finished() and time.monotonic() < deadline:
            if mode and armed_at is None and _committed_batches(ckpt) >= target:
                armed_at, seen = time.monotonic(), run.batches_done
            if armed_at is None:
                time.sleep(0.05)
                continue
            if mode == "random" and time.monotonic() - armed_at > delay:
                break
            if mode == "inflight" and _inflight_commit(lake):
                break  # a Hudi commit is requested/inflight right now
            if mode == "after-batch" and run.batches_done > seen:
                break  # a batch function just returned; Spark may not have written its commit log yet
            time.sleep(0.02)
        if run.finished():
            out = "\n".join(run.lines[-40:])
            assert run.proc.returncode == 0, f"the job failed after {len(killed)} kill(s):\n{out}"
            break
        assert time.monotonic() < deadline, "the job did not finish within 600 s"
        run.kill()
        killed.append(mode)
        print(f"killed the driver ({mode}); {_committed_batches(ckpt)} batch(es) committed so far")

    print(f"driver runs: {runs}, kills: {killed}, batches committed: {_committed_batches(ckpt)}")
    assert len(killed) == KILLS, f"only {len(killed)} of {KILLS} kills landed before the job finished: {killed}"
    assert _committed_batches(ckpt) >= 20
    assert_reconciled(spark, settings, contracts)


def _workload_in_background(settings, contracts, seed: int, n: int):
    box: dict = {}

    def work():
        try:
            box["result"] = Workload(settings, contracts, seed=seed).run(n)
        except Exception as exc:  # noqa: BLE001 - surfaced by the caller
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    return t, box


def test_connect_broker_and_mariadb_restarts_midstream(local_stack, spark, contracts):
    settings = file_lake(local_stack, "restarts")
    pipeline.wipe_lake(settings)
    pipeline.fresh_source(settings, contracts)
    servers = {s.name: s for s in stack.servers(settings)}

    # kill -9 of Kafka Connect while the workload runs: Debezium redelivers from its last flushed offset.
    t, box = _workload_in_background(settings, contracts, seed=51, n=CHANGES)
    time.sleep(1.0)  # let the workload get going; the fault must hit mid-stream
    servers["connect"].kill()
    stack.up(settings, ["connect"])
    dbz.wait_running(settings)
    t.join()
    assert "error" not in box, box.get("error")
    pipeline.drain_capture(settings, box["result"].last_gtid)
    pipeline.apply_to_lake(spark, settings, contracts)
    assert_reconciled(spark, settings, contracts)

    # The broker goes away and comes back while changes are produced.
    t, box = _workload_in_background(settings, contracts, seed=52, n=CHANGES)
    time.sleep(1.0)
    servers["kafka"].down(print)
    time.sleep(2.0)  # the producer must really see the broker gone
    stack.up(settings, ["kafka"])
    t.join()
    assert "error" not in box, box.get("error")
    dbz.wait_running(settings)
    pipeline.drain_capture(settings, box["result"].last_gtid)

    # MariaDB restarts between two workloads (a workload cannot outlive its server).
    servers["mariadb"].down(print)
    stack.up(settings, ["mariadb"])
    result = Workload(settings, contracts, seed=53).run(CHANGES)
    dbz.wait_running(settings)
    pipeline.drain_capture(settings, result.last_gtid)
    pipeline.apply_to_lake(spark, settings, contracts)
    assert_reconciled(spark, settings, contracts)
