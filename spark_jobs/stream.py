"""The streaming job: one Structured Streaming query over every table topic of a source.

Each micro-batch: split by topic, decode with the topic's contract, keep the last
change per key by source position, upsert into the table's Hudi table (deletes
remove the row), and send what cannot be decoded to the dead-letter table. Spark
commits the Kafka offsets to the checkpoint only after the batch function returns,
and re-applying a batch is a no-op for the lake (upserts ordered by source position,
dead letters keyed by Kafka coordinates), so a restart neither loses nor doubles.

Entry point for spark-submit / EMR: ``python -m spark_jobs.stream --trigger available-now``.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyspark import inheritable_thread_target
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cdc.access.policies import consumer_group_prefix
from cdc.contracts_remote import is_remote, mirrored_loader
from cdc.errors import CdcLakeError
from cdc.events import META_COMMIT_TS, META_OP, META_POS
from cdc.kafka_security import check_login, spark_kafka_options
from cdc.log import Log
from cdc.settings import Settings, get_settings
from lakehouse_schemas.contract import TableContract, contracts_dir, load_contracts
from spark_jobs import cascade, dlq, history, metrics, staging, truncate
from spark_jobs.apply import apply_table
from spark_jobs.decode import ERROR_COLUMN, decode_checked
from spark_jobs.dlq import write_dead_letters
from spark_jobs.drift import DRIFT_PREFIX, NO_CONTRACT_PREFIX, BlockedTables
from spark_jobs.pii import KeySource, key_source
from spark_jobs.session import build_session

# A short trigger: a change is visible a few seconds after its batch starts (docs/performance.md).
DEFAULT_INTERVAL = "5 seconds"
# A bounded batch keeps the driver's memory flat however far behind the job starts; 0 lifts the bound.
DEFAULT_MAX_OFFSETS_PER_TRIGGER = 100_000


@dataclass
class BatchStats:
    batches: int = 0
    records: int = 0
    dead_letters: int = 0
    guarded_batches: int = 0  # table batches applied with the stale-change guard (replays)
    per_table: dict[str, int] = field(default_factory=dict)


def topic_pattern(contracts: list[TableContract]) -> str:
    """Every table topic of the contracts' sources and databases: a new table's topic is seen without a restart."""
    prefixes = sorted({f"{re.escape(c.source)}\\.{re.escape(c.database)}" for c in contracts})
    return f"^({'|'.join(prefixes)})\\.[^.]+$"


ContractSource = Callable[[], list[TableContract]]


def contract_reloader(directory: Path, log: Log = print) -> ContractSource:
    """Re-read the contracts on every call: a new or changed contract applies from the next batch, no restart.

    A contract directory that stops validating keeps the last good contracts (and says so), so a typo
    in one YAML file never stops the running job.
    """
    last: list[TableContract] = []
    last_error: list[str] = []

    def load() -> list[TableContract]:
        nonlocal last
        try:
            last = load_contracts(directory=directory)
            last_error.clear()
        except CdcLakeError as exc:
            if not last:
                raise
            if str(exc) not in last_error:
                log(f"contracts did not load, keeping the previous ones: {exc}")
                last_error[:] = [str(exc)]
        return last

    return load


@dataclass
class JobState:
    """What the running query remembers between batches; rebuilt from the dead-letter table when it starts."""

    blocked: BlockedTables = field(default_factory=BlockedTables)
    # topic -> contract versions its pending dead letters failed under
    pending: dict[str, set[str | None]] = field(default_factory=dict)
    loaded: bool = False
    # topic -> how far its history reaches; read from the lake the first time a topic is seen, then advanced per batch
    marks: dict[str, history.Marks] = field(default_factory=dict)
    # topic -> the changes it holds back (spark_jobs/staging.py); None until the first batch reads what earlier jobs left
    staged: dict[str, staging.Staged] | None = None

    def note_dead(self, topic: str, contract: TableContract | None) -> None:
        self.pending.setdefault(topic, set()).add(contract.fingerprint if contract else None)

    def rereads(self, spark: SparkSession, contract: TableContract, lake_root: str, lows: dict[int, int]) -> bool:
        """True when the batch starts at or below an offset the lake already applied: a replay.

        That is a new checkpoint over an existing lake, or the re-run of a batch whose writes landed
        before its checkpoint commit. Only then is the history consulted for stale changes; a
        job that moves forward never pays for it.
        """
        done = self.marks_of(spark, contract, lake_root).offsets
        return any(lo <= done.get(p, -1) for p, lo in lows.items())

    def marks_of(self, spark: SparkSession, contract: TableContract, lake_root: str) -> history.Marks:
        topic = contract.topic()
        if topic not in self.marks:
            self.marks[topic] = history.applied_marks(spark, contract, lake_root)
        return self.marks[topic]

    def may_hold_back(self, topic: str, n: int, now: float, below: int, seconds: float) -> bool:
        """True when a table's ``n`` changes of this batch may wait for a later write (``staging``).

        Only for a table this job has written already (so every job start writes each table at once), that
        parks nothing (blocked tables and pending dead letters keep their own order), and while the table's
        held-back changes stay fewer than ``below`` and the oldest younger than ``seconds``.
        """
        held = (self.staged or {}).get(topic)
        return (
            topic in self.marks and not self.blocked.is_blocked(topic) and topic not in self.pending
            and (held.changes if held else 0) + n < below
            and (held is None or (held.since is not None and now - held.since < seconds))
        )

    def moves_forward(self, topic: str, lowest_pos: str | None) -> bool:
        """True when every change of the batch is newer than the newest its history holds (call after ``rereads``).

        Offsets alone do not say so: Debezium re-publishes changes after a connector restart at new offsets.
        """
        newest = self.marks.get(topic, history.Marks()).newest
        return lowest_pos is not None and (newest is None or lowest_pos > newest)

    def marks_after(self, topic: str, highs: dict[int, int], highest_pos: str | None) -> history.Marks:
        """Where the topic's marks stand once a batch with these highest offsets and position is applied."""
        return self.marks.get(topic, history.Marks()).after(highs, highest_pos)

    def advance(self, topic: str, marks: history.Marks) -> None:
        self.marks[topic] = marks


def _held_back(
    state: JobState, counts: dict[str, int], by_topic: dict[str, TableContract], now: float, below: int, seconds: float
) -> dict[str, int]:
    """topic -> changes of the batch that wait for a later write (spark_jobs/staging.py)."""
    # A table cascades write to must hold what the source held before the parent's change: never held back.
    children = {e.child.topic() for e in cascade.edges(list(by_topic.values()))}
    return {t: n for t, n in counts.items() if t in by_topic and t not in children and state.may_hold_back(t, n, now, below, seconds)}


def _raw_dead(records: DataFrame, contract: TableContract | None, reason: str) -> DataFrame:
    return records.select(
        "topic", "partition", "offset", F.lit(contract.qualified_source if contract else None).cast("string").alias("table"),
        F.col("key").cast("string").alias("key"), F.col("value").cast("string").alias("value"), F.lit(reason).alias("reason"),
        F.lit(contract.fingerprint if contract else None).cast("string").alias(dlq.CONTRACT_COLUMN),
    )


def _decoded_dead(decoded: DataFrame, contract: TableContract, reason: SparkColumn) -> DataFrame:
    return decoded.select(
        F.col("_cdc_topic").alias("topic"), F.col("_cdc_partition").alias("partition"),
        F.col("_cdc_offset").alias("offset"), F.lit(contract.qualified_source).alias("table"),
        F.col("_kafka_key").alias("key"), F.col("_kafka_value").alias("value"), reason.alias("reason"),
        F.lit(contract.fingerprint).alias(dlq.CONTRACT_COLUMN),
    )


def _catch_up(
    spark: SparkSession, state: JobState, by_topic: dict[str, TableContract], lake_root: str, log: Log, pii_key: KeySource | None,
    view: metrics.JobView | None = None,
) -> None:
    """Replay the pending dead letters of every table whose contract changed since they failed.

    A widened or extended contract then applies what it used to refuse; a blocked table whose
    parked events all apply is unblocked. Replays are idempotent, so a crash here is harmless.
    """
    if not state.loaded:
        for topic, p in dlq.pending_topics(spark, lake_root).items():
            state.pending[topic] = set(p.contracts)
            if p.parked_reason:
                state.blocked.block(topic, p.parked_reason)
                log(f"{topic}: blocked by parked dead letters ({p.parked_reason.split(';')[0]})")
        state.loaded = True
    for topic in sorted(state.pending):
        contract = by_topic.get(topic)
        if contract is None or state.pending[topic] == {contract.fingerprint}:
            continue  # no contract yet, or nothing failed under an older version of it
        result = dlq.replay(spark, lake_root, [contract], topic=topic, log=log, pii_key=pii_key)
        if view is not None:
            view.pending(contract.qualified_source, result.still_failing)
            view.applied(contract.qualified_source, result.replayed, None)
        state.pending[topic] = {contract.fingerprint} if result.still_failing else set()
        if not state.pending[topic]:
            del state.pending[topic]
        if state.blocked.is_blocked(topic):
            if result.still_failing:
                log(f"{topic}: still blocked, {result.still_failing} parked event(s) do not fit the new contract: {result.reasons[:1]}")
            else:
                state.blocked.unblock(topic)
                log(f"{topic}: contract changed, {result.replayed} parked event(s) replayed, table unblocked")


def run_tables(handle: Callable[..., None], items: list[tuple], threads: int) -> None:
    """Run ``handle(*item)`` for every table of the batch, ``threads`` at a time.

    Every Hudi write pays a fixed cost (timeline, file listing, commit) mostly on the driver, so the
    tables of one batch overlap: Spark takes jobs from several driver threads, and each table is its
    own Hudi table. The first failure is raised once every started table has finished, so the batch
    fails as a whole and is re-run (tables that committed are then re-read as a replay).
    """
    if threads <= 1 or len(items) <= 1:
        for item in items:
            handle(*item)
        return
    # Inheritable: each thread keeps the query's local properties (job group, streaming query id).
    target = inheritable_thread_target(handle)
    with ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix="cdclake-apply") as pool:
        futures = [pool.submit(target, *item) for item in items]
    for f in futures:
        f.result()


def _table_records(batch: DataFrame, topic: str, ranges: list) -> DataFrame:
    """The batch's records of one topic, in as many Spark partitions as the topic has Kafka partitions in the
    batch (``ranges``: one row per topic partition). The Kafka source reads each topic partition into one
    Spark partition, so the batch's other partitions hold none of these records, and a task per empty
    partition in every stage of the table's jobs is pure overhead."""
    return batch.where(F.col("topic") == topic).coalesce(max(1, sum(1 for r in ranges if r["topic"] == topic)))


def _materialized(df: DataFrame) -> DataFrame:
    """``df`` kept in memory (disk past it) and cut from its plan: a DataFrame over the stored rows.

    ``persist`` would keep the decoder's plan (hundreds of expressions for a wide table) under every
    DataFrame built on it, and Spark analyses, optimizes and matches it against the cache again for
    each of the table's jobs (flags, history, current state, cascades, dead letters): most of the
    driver's time per table (docs/performance.md). Lazy: the first job over it (the flag aggregation)
    decodes and stores the rows, as ``persist`` did.
    """
    return df.localCheckpoint(eager=False)


def _release(df: DataFrame) -> None:
    """Drop the rows ``_materialized`` stored (the cleaner would only when the JVM collects the RDD)."""
    df._jdf.queryExecution().analyzed().rdd().unpersist(False)


def make_batch_fn(
    contracts: list[TableContract] | ContractSource,
    lake_root: str,
    stats: BatchStats,
    log: Log,
    *,
    pii_key: KeySource | None = None,
    threads: int = 1,
    observer: metrics.Observer | None = None,
    current_threads: int | None = None,
    defer_below: int = 0,
    defer_seconds: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
):
    """The function each micro-batch runs, ``process(batch, batch_id)``.

    ``process.drain(spark, everything=...)`` applies what quiet tables hold back (``defer_below``, spark_jobs/staging.py)
    between batches: everything before a job's query starts (what an earlier job staged), else what has waited
    ``defer_seconds``.
    """
    source: ContractSource = contracts if callable(contracts) else (lambda: contracts)
    state = JobState()
    obs = observer or metrics.Observer(log=log)
    warned: set[str] = set()  # tables whose outgrown buckets were reported: once per run, not every batch
    one_at_a_time = threading.Lock()  # a drain between batches never overlaps a batch
    # The commits of a drain carry "<last batch>.<drain>": unique, so a commit's batch id still names one write round.
    rounds = {"batch": -1, "drain": 0}

    def process(batch: DataFrame, batch_id: int) -> None:
        with one_at_a_time:
            rounds["batch"], rounds["drain"] = batch_id, 0
            _process(batch.sparkSession, batch, batch_id, everything=False)

    def drain(spark: SparkSession, *, everything: bool = True) -> None:
        with one_at_a_time:
            rounds["drain"] += 1
            _process(spark, None, f"{rounds['batch']}.{rounds['drain']}", everything=everything)

    def _process(spark: SparkSession, batch: DataFrame | None, batch_id: int | str, *, everything: bool) -> None:
        started = time.monotonic()
        by_topic = {c.topic(): c for c in source()}
        _catch_up(spark, state, by_topic, lake_root, log, pii_key, obs.view)
        if state.staged is None:
            state.staged = staging.held(spark, lake_root)
        if batch is not None:
            batch = batch.where(F.col("value").isNotNull())  # tombstones: the delete before them already did the work
            batch.persist()
        try:
            ranges = [] if batch is None else batch.groupBy("topic", "partition").agg(
                F.count(F.lit(1)).alias("n"), F.min("offset").alias("lo"), F.max("offset").alias("hi")
            ).collect()
            counts: dict[str, int] = {}
            for r in ranges:
                counts[r["topic"]] = counts.get(r["topic"], 0) + r["n"]
            now = clock()
            held_back = _held_back(state, counts, by_topic, now, defer_below, defer_seconds) if defer_below else {}
            if held_back:
                staging.stage(batch.where(F.col("topic").isin(sorted(held_back))), lake_root)
                for t, n in held_back.items():
                    state.staged.setdefault(t, staging.Staged()).add(n, {r["partition"]: r["hi"] for r in ranges if r["topic"] == t}, now)
                log(f"batch {batch_id}: {sum(held_back.values())} change(s) of {len(held_back)} quiet table(s) staged for a later write")
            due = {
                t for t, s in state.staged.items()
                if t not in held_back and (everything or t in counts or s.since is None or now - s.since >= defer_seconds)
            }
            # topic -> changes this round applies: the batch's own, less those held back, plus those staged earlier
            work = {t: n for t, n in counts.items() if t not in held_back}
            for t in due:
                work[t] = work.get(t, 0) + state.staged[t].changes
            if batch is None and not work:
                return  # a drain with nothing due
            unstaged: list[tuple[str, list[str]]] = []  # staged files to delete once the batch's writes have committed
            dead: list[DataFrame] = []
            cached: list[DataFrame] = []
            n_dead = 0
            dead_by_topic: dict[str, int] = {}
            newest_ts: dict[str, int | None] = {}  # topic -> newest commit time applied (epoch micros), for the metrics
            applied: dict[str, tuple[TableContract, DataFrame]] = {}  # for the FK cascades the binlog does not carry
            lock = threading.Lock()  # the tables of a batch run in parallel threads; their shared notes go through it
            # Each table's history write, run once every table's current state is written: readers see the
            # batch's rows while the histories are still being written (freshness, docs/performance.md).
            histories: list[Callable[[], None]] = []

            def handle(topic: str, n: int) -> None:
                records = _table_records(batch, topic, ranges) if topic in counts else None
                contract = by_topic.get(topic)
                highs = {r["partition"]: r["hi"] for r in ranges if r["topic"] == topic}
                if topic in due:
                    paths = staging.files(spark, lake_root, topic)
                    applied_offsets = state.marks_of(spark, contract, lake_root).offsets if contract else {}
                    if paths:
                        older = staging.read(spark, paths, topic, applied_offsets)
                        records = older if records is None else records.unionByName(older, allowMissingColumns=True).dropDuplicates(
                            ["partition", "offset"]
                        )
                    with lock:
                        unstaged.append((topic, paths))
                    for p, hi in state.staged[topic].highs.items():
                        highs[p] = max(hi, highs.get(p, -1))
                    if records is None:
                        return
                if contract is None:
                    reason = f"{NO_CONTRACT_PREFIX} for topic {topic}: add lakehouse_schemas/tables/<source>/<table>.yaml"
                    with lock:
                        dead.append(_raw_dead(records, None, reason))  # dlq derives db.table from the topic
                        state.blocked.block(topic, reason)
                        state.note_dead(topic, None)
                    log(f"batch {batch_id}: topic {topic} has no contract; {n} record(s) parked until it has one")
                    return
                if state.blocked.is_blocked(topic):
                    # Later events wait behind the parked ones, so they are applied after them, in source order.
                    with lock:
                        dead.append(_raw_dead(records, contract, state.blocked.reason(topic)))
                        state.note_dead(topic, contract)
                    log(f"batch {batch_id}: {contract.qualified_source} is blocked; {n} record(s) parked")
                    return
                decoded = _materialized(decode_checked(records, contract))
                with lock:
                    cached.append(decoded)
                err = F.col(ERROR_COLUMN)
                drifted = err.startswith(DRIFT_PREFIX)
                # One partition in, so the aggregate needs no exchange: one Spark job fewer per table per batch
                # (the cached decode still runs on every partition of the batch).
                flags = decoded.coalesce(1).agg(
                    F.min_by(err, F.when(drifted, F.col(META_POS))).alias("drift"),
                    F.min(F.when(drifted, F.col(META_POS))).alias("drift_pos"),
                    F.count(err).alias("bad"),
                    F.count(F.when(F.col(META_OP) == F.lit(truncate.TRUNCATE), 1)).alias("truncates"),
                    F.min(META_POS).alias("lowest_pos"),
                    F.max(META_POS).alias("highest_pos"),
                    F.max(F.unix_micros(META_COMMIT_TS)).alias("newest_ts"),
                ).first()
                if flags["drift"]:
                    # Incompatible with the contract: stop this table only. Its events from the first drifting
                    # one on are parked; the ones before it (written before the ALTER) still apply, so the
                    # parked ones all share the new shape and apply together once the contract has it.
                    reason = flags["drift"]
                    later = F.col(META_POS) >= F.lit(flags["drift_pos"])
                    with lock:
                        state.blocked.block(topic, reason)
                        dead.append(_decoded_dead(decoded.where(later), contract, F.coalesce(err, F.lit(state.blocked.reason(topic)))))
                        state.note_dead(topic, contract)
                    log(f"batch {batch_id}: {reason}")
                    decoded = decoded.where(~later)
                if flags["bad"]:
                    with lock:
                        dead.append(_decoded_dead(decoded.where(err.isNotNull()), contract, err))
                        state.note_dead(topic, contract)
                good = decoded.where(F.col(ERROR_COLUMN).isNull()).drop(ERROR_COLUMN, "_kafka_key", "_kafka_value")
                lows = {r["partition"]: r["lo"] for r in ranges if r["topic"] == topic}
                replay = state.rereads(spark, contract, lake_root, lows)
                if replay:
                    with lock:
                        stats.guarded_batches += 1
                    log(f"batch {batch_id}: {topic} re-reads offsets the lake holds; a change older than the lake's newest for its key stays out of the current state")
                forward = not replay and state.moves_forward(topic, flags["lowest_pos"])
                marks = state.marks_after(topic, highs, flags["highest_pos"])
                warning = apply_table(
                    good, contract, lake_root, batch_id, stale_guard=replay, pii_key=pii_key, truncates=flags["truncates"] > 0,
                    forward=forward, defer_history=histories.append, marks=marks,
                )
                with lock:
                    if warning and topic not in warned:
                        warned.add(topic)
                        log(f"batch {batch_id}: {warning}")
                    applied[topic] = (contract, decoded.where(F.col(ERROR_COLUMN).isNull()))
                    state.advance(topic, marks)
                    stats.per_table[contract.qualified_target] = stats.per_table.get(contract.qualified_target, 0) + n
                    newest_ts[topic] = flags["newest_ts"]

            # The busiest tables first: their changes are most of the batch's, so they become visible soonest.
            run_tables(handle, sorted(work.items(), key=lambda tc: (-tc[1], tc[0])), min(threads, current_threads or threads))
            run_tables(lambda write: write(), [(w,) for w in histories], threads)
            cascade.apply([applied[t] for t in sorted(applied)], list(by_topic.values()), lake_root, batch_id, log)
            if dead:
                all_dead = dead[0]
                for d in dead[1:]:
                    all_dead = all_dead.unionByName(d)
                all_dead = all_dead.persist()
                dead_by_topic = {r["topic"]: r["count"] for r in all_dead.groupBy("topic").count().collect()}
                n_dead = sum(dead_by_topic.values())
                if n_dead:
                    write_dead_letters(all_dead, lake_root)
                    stats.dead_letters += n_dead
                    log(f"batch {batch_id}: {n_dead} record(s) to the dead-letter table (cdclake dlq list)")
                all_dead.unpersist()
            # Every write and dead letter of the batch has committed: what it applied from the staging area can go.
            for topic, paths in unstaged:
                staging.remove(spark, paths)
                state.staged.pop(topic, None)
            for d in cached:
                _release(d)
            _observe(obs, work, dead_by_topic, newest_ts, state, by_topic)
            stats.batches += 1
            n_applied = sum(work.values()) - n_dead  # parked and dead-lettered records are not applied
            stats.records += n_applied
            log(
                f"batch {batch_id}: {n_applied} change(s) in {len(work)} table(s) applied, {n_dead} parked or dead-lettered, "
                f"in {time.monotonic() - started:.1f}s"
            )
        finally:
            if batch is not None:
                batch.unpersist()

    process.drain = drain  # type: ignore[attr-defined]
    return process


def _observe(
    obs: metrics.Observer, counts: dict[str, int], dead: dict[str, int], newest_ts: dict[str, int | None], state: JobState,
    by_topic: dict[str, TableContract],
) -> None:
    """The batch's aggregates into the metrics (driver-side dictionaries only)."""
    view = obs.view
    for topic, ts in newest_ts.items():
        view.applied(metrics.table_of_topic(topic), counts[topic] - dead.get(topic, 0), None if ts is None else ts / 1e6)
    for topic, n in dead.items():
        view.dead_lettered(metrics.table_of_topic(topic), n)
    topics = {*by_topic, *counts, *state.pending}
    view.blocked_tables({metrics.table_of_topic(t) for t in topics if state.blocked.is_blocked(t)}, {metrics.table_of_topic(t) for t in topics})
    obs.after_batch()


def start(
    spark: SparkSession,
    settings: Settings,
    contracts: list[TableContract] | ContractSource,
    *,
    trigger: str = "available-now",
    interval: str = DEFAULT_INTERVAL,
    max_offsets_per_trigger: int | None = None,
    log: Log = print,
    stats: BatchStats | None = None,
):
    stats = stats if stats is not None else BatchStats()
    dlq.use_settings(settings)
    name = f"cdclake-{settings.source.name}"
    obs = metrics.observer(settings, spark, name, log)
    if settings.metrics.port or settings.metrics.cloudwatch_namespace:
        for (table, status), n in dlq.counts(spark, settings.lake_root).items():
            if status == dlq.PENDING:
                obs.view.pending(table, n)
    reader = (
        spark.readStream.format("kafka")
        .options(**spark_kafka_options(settings))
        .option("subscribePattern", topic_pattern(contracts() if callable(contracts) else contracts))
        .option("startingOffsets", "earliest")
        # A gap in the topic (retention deleted unread changes) must stop the job, not be skipped.
        .option("failOnDataLoss", "true")
        .option("kafka.metadata.max.age.ms", "5000")
        # The writer's MSK grant names this prefix: the job's groups, not every Spark job's.
        .option("groupIdPrefix", consumer_group_prefix(settings.source.name))
    )
    if max_offsets_per_trigger is None:
        max_offsets_per_trigger = DEFAULT_MAX_OFFSETS_PER_TRIGGER
    if max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(max_offsets_per_trigger))
    # An available-now run drains a backlog and stops: nothing is held back, so the lake is whole when it ends.
    defer_below = 0 if trigger == "available-now" else settings.spark.defer_below
    fn = make_batch_fn(
        contracts, settings.lake_root, stats, log, pii_key=key_source(settings), threads=settings.spark.apply_threads, observer=obs,
        current_threads=settings.spark.current_state_threads, defer_below=defer_below, defer_seconds=settings.spark.defer_seconds,
    )
    # Before the first batch, so a run with no new Kafka records (available-now) does it too: parked events of a
    # table whose contract changed are replayed, and what an earlier job staged goes in before any newer change.
    fn.drain(spark)
    writer = (
        reader.load()
        .writeStream.queryName(name)
        .option("checkpointLocation", f"{settings.checkpoint_root.rstrip('/')}/stream-{settings.source.name}")
        .foreachBatch(fn)
    )
    writer = writer.trigger(availableNow=True) if trigger == "available-now" else writer.trigger(processingTime=interval)
    query = writer.start()
    if defer_below:
        # Batches only run when changes arrive: a source gone quiet still sees its held-back changes within the bound.
        threading.Thread(target=_drain_while_active, args=(query, fn, spark, settings.spark.defer_seconds, log), daemon=True).start()
    return query, stats


def _drain_while_active(query, fn, spark: SparkSession, seconds: float, log: Log) -> None:
    while query.isActive:
        time.sleep(min(5.0, seconds / 4))
        try:
            if query.isActive:
                fn.drain(spark, everything=False)
        except Exception as e:  # noqa: BLE001 - the staged changes stay put; the next batch or drain retries them
            log(f"applying held-back changes failed, retried with the next batch: {str(e).splitlines()[0][:300]}")


def run(
    settings: Settings | None = None,
    *,
    trigger: str = "available-now",
    interval: str = DEFAULT_INTERVAL,
    max_offsets_per_trigger: int | None = None,
    spark: SparkSession | None = None,
    log: Log = print,
) -> BatchStats:
    settings = settings or get_settings()
    if is_remote(settings.contracts_dir):
        contracts = mirrored_loader(settings, settings.contracts_dir, settings.source.name, lambda d: contract_reloader(d, log), log)
    else:
        contracts = contract_reloader(contracts_dir(settings.source.name, root=settings.contracts_dir), log)
    check_login(settings)  # a wrong password or CA stops here with one line naming the setting
    spark = spark or build_session(settings, "cdclake-stream", log)
    query, stats = start(
        spark, settings, contracts, trigger=trigger, interval=interval, max_offsets_per_trigger=max_offsets_per_trigger, log=log
    )
    log(f"streaming {len(contracts())} table(s) of source {settings.source.name} into {settings.lake_root} ({trigger})")
    query.awaitTermination()
    return stats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trigger", choices=["available-now", "continuous"], default="available-now")
    p.add_argument("--interval", default=DEFAULT_INTERVAL, help="processing-time interval of the continuous trigger")
    p.add_argument("--max-offsets-per-trigger", type=int, default=None, help=f"default {DEFAULT_MAX_OFFSETS_PER_TRIGGER}; 0: unbounded")
    a = p.parse_args(argv)
    stats = run(trigger=a.trigger, interval=a.interval, max_offsets_per_trigger=a.max_offsets_per_trigger)
    print(f"done: {stats.batches} batch(es), {stats.records} change(s), {stats.dead_letters} dead letter(s)")


if __name__ == "__main__":
    main()
