"""The dead-letter table: what the stream could not apply, and the operator's tools to inspect and replay it.

One row per Kafka record (keyed by topic/partition/offset, so a re-run batch rewrites, never
duplicates): the record's raw key and value, the source table when known, the reason, when it
was dead-lettered, and its status (``pending`` until a replay applies it, then ``replayed``).

Replay re-decodes the stored raw records with the *current* contracts through the same decode
and ``spark_jobs.apply.apply_table`` path as the stream. Lake writes are ordered by source
position, so replaying an old change never overwrites a newer row; a record that still does
not decode stays pending with its new reason. Replaying twice is a no-op for the lake.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cdc.access.pii import dead_letter_key
from cdc.errors import ConfigError
from cdc.log import Log
from cdc.settings import Settings, get_settings
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from spark_jobs.apply import apply_table
from spark_jobs.decode import ERROR_COLUMN, decode_checked
from spark_jobs.drift import PARKED_PREFIXES, image_columns
from spark_jobs.lake import has_commits
from spark_jobs.pii import KeySource

DEAD_LETTER_TABLE = "dead_letter"
DEAD_LETTER_DB = "_cdclake"
PENDING = "pending"
REPLAYED = "replayed"
COLUMNS = ("id", "topic", "partition", "offset", "table", "key", "value", "reason", "dead_lettered_at", "status", "replayed_at")
# The contract version (TableContract.fingerprint) a dead letter failed under: the job replays a
# table's pending dead letters when its contract is no longer that version.
CONTRACT_COLUMN = "contract"
# The source (contract source = Debezium topic prefix) a dead letter came from: several sources share one lake.
SOURCE_COLUMN = "source"
# Prefix of a sealed value or reason (AES-256-GCM, base64): see ``cdc.access.pii.dead_letter_key``.
SEALED = "sealed:v1:"
SEALED_COLUMNS = ("value", "reason")  # a decode error's reason quotes up to 80 characters of the value


# The sealing key of the settings the running job or command was started with (``use_settings``).
_KEYS: dict[str, bytes | None] = {}


def use_settings(settings: Settings) -> None:
    """Seal and unseal dead letters with the key of ``settings``: a job started with Settings of its own
    must not silently use the environment's key."""
    _KEYS["sealing"] = dead_letter_key(settings)


def sealing_key() -> bytes | None:
    if "sealing" in _KEYS:
        return _KEYS["sealing"]
    # A caller that never said which settings (a library user): the environment's.
    return dead_letter_key(get_settings())


def seal(col: F.Column, key: bytes | None) -> F.Column:
    """Native AES-GCM (random IV per value), no UDF; NULL stays NULL; without a key the value stays as it is."""
    if key is None:
        return col
    return F.concat(F.lit(SEALED), F.base64(F.aes_encrypt(col.cast("binary"), F.unhex(F.lit(key.hex())), F.lit("GCM"))))


def unseal(col: F.Column, key: bytes | None) -> F.Column:
    if key is None:
        return col
    body = F.unbase64(col.substr(len(SEALED) + 1, 2**31 - 1))
    return F.when(col.startswith(SEALED), F.aes_decrypt(body, F.unhex(F.lit(key.hex())), F.lit("GCM")).cast("string")).otherwise(col)


def dead_letter_path(lake_root: str) -> str:
    return f"{lake_root.rstrip('/')}/_system/{DEAD_LETTER_DB}/{DEAD_LETTER_TABLE}"


DEAD_LETTER_OPTIONS = {
    H.TABLE_NAME: DEAD_LETTER_TABLE,
    H.DATABASE_NAME: DEAD_LETTER_DB,
    H.TABLE_TYPE: "COPY_ON_WRITE",
    # Keyed by Kafka coordinates: a replayed batch rewrites the same dead letters, it does not add copies.
    H.OPERATION: "upsert",
    H.RECORD_KEY: "topic,partition,offset",
    # The latest write of a dead letter wins (a replay's status over the stream's first write).
    H.PRECOMBINE_FIELD: "dead_lettered_at",
    H.PARTITION_PATH: "",
    H.KEYGEN_CLASS: H.NONPARTITIONED_KEYGEN,
    H.INDEX_TYPE: "SIMPLE",
    **H.common_options(),
}


def table_of_topic(topic: F.Column) -> F.Column:
    """Debezium table topics are <prefix>.<database>.<table>: the source table when no contract names it."""
    parts = F.split(topic, r"\.")
    return F.when(F.size(parts) >= 3, F.concat_ws(".", F.element_at(parts, -2), F.element_at(parts, -1)))


def source_of_topic(topic: F.Column) -> F.Column:
    """Debezium topics start with the source's topic prefix (its name)."""
    parts = F.split(topic, r"\.")
    return F.when(F.size(parts) >= 3, F.element_at(parts, 1))


def write_dead_letters(df: DataFrame, lake_root: str, *, status: str = PENDING, contract: TableContract | None = None) -> None:
    """df columns: topic, partition, offset, table, key, value, reason (and optionally ``contract``, else from ``contract``)."""
    fp = F.col(CONTRACT_COLUMN) if CONTRACT_COLUMN in df.columns else F.lit(contract.fingerprint if contract else None)
    key = sealing_key()
    out = df.select(
        F.concat_ws(":", "topic", F.col("partition").cast("string"), F.col("offset").cast("string")).alias("id"),
        F.col("topic"),
        F.col("partition").cast("int").alias("partition"),
        F.col("offset").cast("long").alias("offset"),
        F.coalesce(F.col("table"), table_of_topic(F.col("topic"))).alias("table"),
        F.col("key").cast("string").alias("key"),
        seal(F.col("value").cast("string"), key).alias("value"),
        seal(F.col("reason").cast("string"), key).alias("reason"),
        F.current_timestamp().alias("dead_lettered_at"),
        F.lit(status).alias("status"),
        (F.current_timestamp() if status == REPLAYED else F.lit(None).cast("timestamp")).alias("replayed_at"),
        fp.cast("string").alias(CONTRACT_COLUMN),
        F.coalesce(
            F.col(SOURCE_COLUMN) if SOURCE_COLUMN in df.columns else F.lit(None).cast("string"),
            F.lit(contract.source if contract else None).cast("string"),
            source_of_topic(F.col("topic")),
        ).alias(SOURCE_COLUMN),
    )
    out.write.format("hudi").options(**DEAD_LETTER_OPTIONS).mode("append").save(dead_letter_path(lake_root))


def _load(spark: SparkSession, lake_root: str) -> DataFrame | None:
    """The dead-letter table as stored; None before its first commit completes."""
    path = dead_letter_path(lake_root)
    if not has_commits(spark, path):
        return None
    df, key = spark.read.format("hudi").load(path), sealing_key()
    for name in SEALED_COLUMNS:
        df = df.withColumn(name, unseal(F.col(name), key))
    return df


def read_dead_letters(spark: SparkSession, lake_root: str) -> DataFrame | None:
    df = _load(spark, lake_root)
    if df is None:
        return None
    # Dead letters written before the source column existed: their topic names the source.
    source = F.col(SOURCE_COLUMN) if SOURCE_COLUMN in df.columns else F.lit(None).cast("string")
    return df.select(*COLUMNS, F.coalesce(source, source_of_topic(F.col("topic"))).alias(SOURCE_COLUMN))


@dataclass(frozen=True)
class PendingTopic:
    """A topic's pending dead letters: the contract versions they failed under, and a parking reason if the table is blocked."""

    contracts: frozenset[str | None]
    parked_reason: str | None


def pending_topics(spark: SparkSession, lake_root: str) -> dict[str, PendingTopic]:
    df = _load(spark, lake_root)
    if df is None:
        return {}
    fp = F.col(CONTRACT_COLUMN) if CONTRACT_COLUMN in df.columns else F.lit(None).cast("string")
    parked = F.lit(False)
    for p in PARKED_PREFIXES:
        parked = parked | F.col("reason").startswith(p)
    rows = (
        df.where(F.col("status") == PENDING)
        .groupBy("topic")
        .agg(F.collect_set(F.coalesce(fp, F.lit(""))).alias("fps"), F.min(F.when(parked, F.col("reason"))).alias("parked"))
        .collect()
    )
    return {r["topic"]: PendingTopic(frozenset(f or None for f in r["fps"]), r["parked"]) for r in rows}


def _select(df: DataFrame, *, table: str | None, status: str | None) -> DataFrame:
    if table:
        df = df.where((F.lower(F.col("table")) == table.lower()) | (F.lower(F.col("topic")) == table.lower()) | F.lower(F.col("topic")).endswith("." + table.lower()))
    if status:
        df = df.where(F.col("status") == status)
    return df


def list_dead_letters(spark: SparkSession, lake_root: str, *, table: str | None = None, status: str | None = PENDING) -> list[dict]:
    df = read_dead_letters(spark, lake_root)
    if df is None:
        return []
    rows = _select(df, table=table, status=status).orderBy("topic", "partition", "offset").collect()
    return [r.asDict() for r in rows]


def counts(spark: SparkSession, lake_root: str) -> dict[tuple[str, str], int]:
    """(table, status) -> number of dead letters."""
    df = read_dead_letters(spark, lake_root)
    if df is None:
        return {}
    return {(r["table"] or "?", r["status"]): r["count"] for r in df.groupBy("table", "status").count().collect()}


def parse_ident(ident: str) -> tuple[str, int, int]:
    """``topic:partition:offset`` (the dead letter's id); the topic may itself contain colons."""
    try:
        topic, partition, offset = ident.rsplit(":", 2)
        return topic, int(partition), int(offset)
    except ValueError:
        raise ConfigError(f"not a dead-letter id: {ident!r}", next_step="use topic:partition:offset as `cdclake dlq list` shows it") from None


def show(spark: SparkSession, lake_root: str, ident: str) -> dict | None:
    topic, partition, offset = parse_ident(ident)
    df = read_dead_letters(spark, lake_root)
    if df is None:
        return None
    rows = df.where((F.col("topic") == topic) & (F.col("partition") == partition) & (F.col("offset") == offset)).collect()
    return rows[0].asDict() if rows else None


def _current_shape(records: DataFrame) -> frozenset[str]:
    """The columns of the topic's newest pending event: the source's shape after every ALTER so far."""
    newest = records.orderBy(F.col("partition").desc(), F.col("offset").desc()).select(
        image_columns(F.col("value").cast("string")).alias("cols")
    ).first()
    return frozenset(newest["cols"] or []) if newest else frozenset()


@dataclass
class ReplayResult:
    replayed: int = 0
    still_failing: int = 0
    per_table: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def replay(
    spark: SparkSession,
    lake_root: str,
    contracts: list[TableContract],
    *,
    table: str | None = None,
    topic: str | None = None,
    log: Log = print,
    pii_key: KeySource | bytes | None = None,
) -> ReplayResult:
    """Decode the pending dead letters again with ``contracts`` and apply the ones that now decode.

    ``topic`` limits the replay to one topic (the stream unblocking a table after its contract changed).
    """
    result = ReplayResult()
    df = read_dead_letters(spark, lake_root)
    if df is None:
        log("no dead-letter table yet: nothing to replay")
        return result
    if topic is not None:
        df = df.where(F.col("topic") == topic)
    pending = _select(df, table=table, status=PENDING).persist()
    try:
        topics = [r["topic"] for r in pending.select("topic").distinct().collect()]
        by_topic = {c.topic(): c for c in contracts}
        batch_id = int(time.time())
        for name in sorted(topics):
            records = pending.where(F.col("topic") == name).select(
                "topic", "partition", "offset", F.col("key").cast("binary").alias("key"), F.col("value").cast("binary").alias("value")
            )
            contract = by_topic.get(name)
            if contract is None:
                n = records.count()
                result.still_failing += n
                result.reasons.append(f"{name}: still no contract ({n} record(s))")
                continue
            records = records.where(F.col("value").isNotNull())
            decoded = decode_checked(records, contract, added_later=_current_shape(records)).persist()
            try:
                good = decoded.where(F.col(ERROR_COLUMN).isNull()).drop(ERROR_COLUMN, "_kafka_key", "_kafka_value")
                bad = decoded.where(F.col(ERROR_COLUMN).isNotNull())
                n_good, n_bad = good.count(), bad.count()
                if n_good:
                    # A parked change older than what the lake already applied for its key must not bring a row back.
                    apply_table(good, contract, lake_root, batch_id, stale_guard=True, pii_key=pii_key)
                    done = good.select(
                        F.col("_cdc_topic").alias("topic"), F.col("_cdc_partition").alias("partition"), F.col("_cdc_offset").alias("offset")
                    )
                    write_dead_letters(
                        pending.join(done, ["topic", "partition", "offset"], "left_semi").select(
                            "topic", "partition", "offset", "table", "key", "value", "reason"
                        ),
                        lake_root,
                        status=REPLAYED,
                    )
                if n_bad:
                    # Still not decodable: keep it pending, with today's reason.
                    write_dead_letters(
                        bad.select(
                            F.col("_cdc_topic").alias("topic"), F.col("_cdc_partition").alias("partition"),
                            F.col("_cdc_offset").alias("offset"), F.lit(contract.qualified_source).alias("table"),
                            F.col("_kafka_key").alias("key"), F.col("_kafka_value").alias("value"), F.col(ERROR_COLUMN).alias("reason"),
                        ),
                        lake_root,
                        contract=contract,
                    )
                    result.reasons += [f"{name}: {r[ERROR_COLUMN]}" for r in bad.select(ERROR_COLUMN).limit(5).collect()]
                # A record that decodes to nothing (a tombstone, a transaction marker) has nothing left to do.
                skipped = records.join(decoded.select(
                    F.col("_cdc_topic").alias("topic"), F.col("_cdc_partition").alias("partition"), F.col("_cdc_offset").alias("offset")
                ), ["topic", "partition", "offset"], "left_anti")
                n_skipped = skipped.count()
                if n_skipped:
                    write_dead_letters(
                        pending.join(skipped.select("topic", "partition", "offset"), ["topic", "partition", "offset"], "left_semi").select(
                            "topic", "partition", "offset", "table", "key", "value", "reason"
                        ),
                        lake_root,
                        status=REPLAYED,
                    )
                result.replayed += n_good + n_skipped
                result.still_failing += n_bad
                result.per_table[contract.qualified_target] = n_good
                log(f"{name}: {n_good} replayed into {contract.qualified_target}, {n_bad} still failing")
            finally:
                decoded.unpersist()
    finally:
        pending.unpersist()
    return result
