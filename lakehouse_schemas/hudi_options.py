"""Every Hudi option key this project sets, in one place, and the writer options per contract.

Keys moved between Hudi releases (precombine -> ordering fields, payload classes ->
merge modes); keeping them here makes a Hudi upgrade a one-file change.
"""

from __future__ import annotations

from cdc import versions
from cdc.events import META_CHANGE_ID, META_POS
from lakehouse_schemas.contract import TableContract

TABLE_NAME = "hoodie.table.name"
DATABASE_NAME = "hoodie.database.name"
TABLE_TYPE = "hoodie.datasource.write.table.type"
OPERATION = "hoodie.datasource.write.operation"
RECORD_KEY = "hoodie.datasource.write.recordkey.field"
PARTITION_PATH = "hoodie.datasource.write.partitionpath.field"
KEYGEN_CLASS = "hoodie.datasource.write.keygenerator.class"
HIVE_STYLE_PARTITIONING = "hoodie.datasource.write.hive_style_partitioning"
PRECOMBINE_FIELD = "hoodie.datasource.write.precombine.field"  # the ordering field, the key table version 6 knows
PAYLOAD_CLASS = "hoodie.datasource.write.payload.class"
RECORD_MERGE_MODE = "hoodie.record.merge.mode"
WRITE_TABLE_VERSION = "hoodie.write.table.version"
AUTO_UPGRADE = "hoodie.write.auto.upgrade"
COMBINE_BEFORE_UPSERT = "hoodie.combine.before.upsert"
INDEX_TYPE = "hoodie.index.type"
BUCKET_INDEX_ENGINE = "hoodie.index.bucket.engine"
BUCKET_INDEX_NUM_BUCKETS = "hoodie.bucket.index.num.buckets"
# Commit metadata of every current-state write: the bucket count it was written with (0: simple index).
BUCKETS_META = "_cdclake_buckets"
# Commit metadata of every history write of the stream: how far the history reaches once the commit is in
# (its topic's highest offset applied per Kafka partition, as JSON, and the greatest source position), so
# a job that starts reads one commit instead of scanning the whole history (spark_jobs.history.applied_marks).
HISTORY_OFFSETS_META = "_cdclake_applied_offsets"
HISTORY_NEWEST_POS_META = "_cdclake_newest_pos"
CLUSTER_OPERATION = "CLUSTER"  # a commit's operationType when it only rewrote files (clustering)
# A bucket is one file group, rewritten whole by every batch that changes one of its keys: past this
# size a bucketed table has outgrown its count (Hudi's simple index would have split it in 120 MB files).
BUCKET_FILE_WARN_BYTES = 1024**3
METADATA_ENABLE = "hoodie.metadata.enable"
EMBEDDED_TIMELINE_SERVER = "hoodie.embed.timeline.server"
MARKERS_TYPE = "hoodie.write.markers.type"
UPSERT_PARALLELISM = "hoodie.upsert.shuffle.parallelism"
INSERT_PARALLELISM = "hoodie.insert.shuffle.parallelism"
DELETE_PARALLELISM = "hoodie.delete.shuffle.parallelism"
BULKINSERT_PARALLELISM = "hoodie.bulkinsert.shuffle.parallelism"
CLEANER_COMMITS_RETAINED = "hoodie.cleaner.commits.retained"
KEEP_MIN_COMMITS = "hoodie.keep.min.commits"
KEEP_MAX_COMMITS = "hoodie.keep.max.commits"
CLEAN_MAX_COMMITS = "hoodie.clean.max.commits"
PARQUET_COMPRESSION_CODEC = "hoodie.parquet.compression.codec"
BLOOM_NUM_ENTRIES = "hoodie.index.bloom.num_entries"
SCHEMA_RECONCILE = "hoodie.datasource.write.reconcile.schema"
COMMIT_META_PREFIX = "hoodie.datasource.write.commitmeta.key.prefix"
# read side
QUERY_TYPE = "hoodie.datasource.query.type"
AS_OF_INSTANT = "as.of.instant"
BEGIN_INSTANT = "hoodie.datasource.read.begin.instanttime"
END_INSTANT = "hoodie.datasource.read.end.instanttime"
# Glue sync (used on AWS)
META_SYNC_ENABLE = "hoodie.datasource.meta.sync.enable"
META_SYNC_CLIENT_TOOL = "hoodie.meta.sync.client.tool.class"
META_SYNC_DATABASE = "hoodie.datasource.hive_sync.database"
META_SYNC_TABLE = "hoodie.datasource.hive_sync.table"
META_SYNC_CONDITIONAL = "hoodie.datasource.meta_sync.condition.sync"
META_SYNC_PARTITION_FIELDS = "hoodie.datasource.hive_sync.partition_fields"

DELETE_MARKER_COLUMN = "_hoodie_is_deleted"
NONPARTITIONED_KEYGEN = "org.apache.hudi.keygen.NonpartitionedKeyGenerator"
COMPLEX_KEYGEN = "org.apache.hudi.keygen.ComplexKeyGenerator"
# Event-time ordering on table version 6: the stored row is only replaced by a change with
# a greater-or-equal ordering value, so a late older change never overwrites a newer row.
EVENT_TIME_PAYLOAD = "org.apache.hudi.common.model.DefaultHoodieRecordPayload"
GLUE_SYNC_TOOL = "org.apache.hudi.aws.sync.AwsGlueCatalogSyncTool"

# Cleaner retention bounds how far back Hudi's own time travel (as.of.instant) reaches.
DEFAULT_COMMITS_RETAINED = 50
# The cleaner plans (lists the table, reads the timeline) after this many commits instead of after
# every one: retention above is unchanged, old file versions just wait a few commits longer.
CLEAN_EVERY_COMMITS = 10
# Hudi's default is gzip; snappy (Spark's own default, read by Athena) costs a fraction of the CPU to
# write, for files about a third larger.
PARQUET_CODEC = "snappy"
# Every base file carries a bloom filter of its record keys in its footer (Hudi's bloom indexes read it:
# the history's duplicate check on replays). Its first segment is sized for this many keys; the dynamic
# filter (Hudi's default type) adds segments as a file holds more, up to Hudi's bound of 100000 keys, so
# a big file ends with the filter it gets at Hudi's default of 60000, and a batch-sized file carries
# 14-22 KB instead of 863 KB (tests/unit/test_spark_apply_forward.py, 1500-3000 keys per file): at
# batch sizes the filters were most of the lake's bytes.
BLOOM_ENTRIES = 1000


def common_options(parallelism: int = 2) -> dict[str, str]:
    """What every table this project writes shares: table version 6 (Athena's reader), no auto-upgrade,
    parallelism, cleaner retention (how far Hudi's own time travel reaches) and the commit-metadata prefix.

    Per-commit fixed costs off (docs/performance.md): the metadata table is a second Hudi table that
    every commit also writes (and compacts), and the embedded timeline server starts with every
    datasource write; the tables here are small per batch, so listing files and writing markers
    directly is cheaper. Neither changes what a reader sees. The cleaner runs every few commits and
    files are snappy-compressed (cheaper to write than Hudi's gzip default). Key bloom filters start
    small and grow with the file (``BLOOM_ENTRIES``).
    """
    return {
        METADATA_ENABLE: "false",
        EMBEDDED_TIMELINE_SERVER: "false",
        MARKERS_TYPE: "DIRECT",
        WRITE_TABLE_VERSION: str(versions.HUDI_TABLE_VERSION),
        AUTO_UPGRADE: "false",
        UPSERT_PARALLELISM: str(parallelism),
        INSERT_PARALLELISM: str(parallelism),
        DELETE_PARALLELISM: str(parallelism),
        BULKINSERT_PARALLELISM: str(parallelism),
        CLEANER_COMMITS_RETAINED: str(DEFAULT_COMMITS_RETAINED),
        CLEAN_MAX_COMMITS: str(CLEAN_EVERY_COMMITS),
        PARQUET_COMPRESSION_CODEC: PARQUET_CODEC,
        BLOOM_NUM_ENTRIES: str(BLOOM_ENTRIES),
        KEEP_MIN_COMMITS: str(DEFAULT_COMMITS_RETAINED + 10),
        KEEP_MAX_COMMITS: str(DEFAULT_COMMITS_RETAINED + 20),
        COMMIT_META_PREFIX: "_cdclake_",
    }


def write_options(contract: TableContract, *, glue_sync: bool = False, parallelism: int = 2, bulk: bool = False) -> dict[str, str]:
    """The current-state upsert. The batch arrives with one change per key (``latest_per_key``), so Hudi's
    own combine step (a shuffle) is off. ``bulk``: the table does not exist yet (an initial snapshot), so
    nothing can be updated or deleted: ``bulk_insert`` writes the rows straight to files, no index lookup.
    """
    opts = {
        **common_options(parallelism),
        TABLE_NAME: contract.target_table,
        DATABASE_NAME: contract.target_database,
        TABLE_TYPE: contract.table_type,
        OPERATION: "bulk_insert" if bulk else "upsert",
        RECORD_KEY: META_CHANGE_ID if contract.mode == "append_only" else ",".join(contract.key),
        PRECOMBINE_FIELD: META_POS,
        PAYLOAD_CLASS: EVENT_TIME_PAYLOAD,
        RECORD_MERGE_MODE: "EVENT_TIME_ORDERING",
        COMBINE_BEFORE_UPSERT: "false",
        HIVE_STYLE_PARTITIONING: "true",
        INDEX_TYPE: "SIMPLE",
    }
    if contract.buckets:
        # Keys hash to a fixed file group per bucket (the record key is the hash field by default).
        opts.update({INDEX_TYPE: "BUCKET", BUCKET_INDEX_ENGINE: "SIMPLE", BUCKET_INDEX_NUM_BUCKETS: str(contract.buckets)})
    if contract.partition_by:
        opts[PARTITION_PATH] = ",".join(contract.partition_by)
        opts[KEYGEN_CLASS] = COMPLEX_KEYGEN
    else:
        opts[PARTITION_PATH] = ""
        opts[KEYGEN_CLASS] = NONPARTITIONED_KEYGEN
    if glue_sync:
        opts.update(
            {
                META_SYNC_ENABLE: "true",
                META_SYNC_CLIENT_TOOL: GLUE_SYNC_TOOL,
                META_SYNC_DATABASE: contract.target_database,
                META_SYNC_TABLE: contract.target_table,
                META_SYNC_CONDITIONAL: "true",
                META_SYNC_PARTITION_FIELDS: ",".join(contract.partition_by),
            }
        )
    return opts

# -- change history and daily snapshots (spark_jobs/history.py, spark_jobs/snapshot.py) ---------------
INSERT_DROP_DUPLICATES = "hoodie.datasource.write.insert.drop.duplicates"
INSERT_DUP_POLICY = "hoodie.datasource.insert.dup.policy"
COMBINE_BEFORE_INSERT = "hoodie.combine.before.insert"
BLOOM_INDEX_UPDATE_PARTITION_PATH = "hoodie.bloom.index.update.partition.path"
SIMPLE_INDEX_UPDATE_PARTITION_PATH = "hoodie.simple.index.update.partition.path"
GLOBAL_BLOOM_INDEX = "GLOBAL_BLOOM"
# Query a COW table through Hive/Glue: the input format Athena's Hudi reader recognises.
HIVE_QUERY_AS_RO_TABLE = "hoodie.query.as.ro.table"
# Hudi 1.1.1's drop-duplicates path tags records with a read client whose config lacks the writer
# schema (NullPointerException in tagGlobalLocationBackToRecords); passing it explicitly fixes that.
AVRO_SCHEMA = "hoodie.avro.schema"
CLUSTERING_INLINE = "hoodie.clustering.inline"
CLUSTERING_INLINE_MAX_COMMITS = "hoodie.clustering.inline.max.commits"
CLUSTERING_SMALL_FILE_LIMIT = "hoodie.clustering.plan.strategy.small.file.limit"
CLUSTERING_TARGET_FILE_MAX_BYTES = "hoodie.clustering.plan.strategy.target.file.max.bytes"
CLUSTERING_PARTITION_FILTER_MODE = "hoodie.clustering.plan.partition.filter.mode"
CLUSTERING_LOOKBACK_PARTITIONS = "hoodie.clustering.plan.strategy.daybased.lookback.partitions"
# A forward history batch is a bulk insert: new files each time (one per write task per ingest day).
# Inline clustering after this many commits merges the small ones of the latest ingest days, so a
# 5 s trigger leaves tens of files per table per day, not thousands.
HISTORY_CLUSTER_EVERY_COMMITS = 10
# Files past this size are left alone by clustering, so a busy day is not rewritten over and over.
HISTORY_CLUSTER_SMALL_FILE_BYTES = 64 * 1024 * 1024
HISTORY_CLUSTER_TARGET_FILE_BYTES = 128 * 1024 * 1024

# A single-field key with a partition column: ComplexKeyGenerator on one field trips Hudi 1.1's
# HUDI-7001 validation on the second write, so one-field keys use the simple generator.
SIMPLE_KEYGEN = "org.apache.hudi.keygen.SimpleKeyGenerator"
HISTORY_PARTITION_COLUMN = "_cdc_ingest_date"
SNAPSHOT_PARTITION_COLUMN = "snapshot_date"


def history_write_options(contract: TableContract, *, parallelism: int = 2, forward: bool = False, bulk: bool = False) -> dict[str, str]:
    """Append-only change history: key = table key + source position, partitioned by ingest date.

    A replay re-ingests a change on a later date, so the partition is not a function of the change:
    the global index finds the copy in its first partition and ``insert`` with drop-duplicates
    keeps that first copy (a change lands once, with its first ingestion time).
    ``forward``: every change of the batch is newer than any the history holds (the stream checks
    positions), so none can be a copy: ``bulk_insert`` straight to new files (no index lookup, no
    small-file packing, no combine: ``history_rows`` already keeps one row per key and position), and
    inline clustering every ``HISTORY_CLUSTER_EVERY_COMMITS`` commits merges the small files of the
    latest two ingest days.
    ``bulk``: the history does not exist yet (an initial snapshot): ``bulk_insert`` straight to files.
    """
    opts = {
        **common_options(parallelism),
        TABLE_NAME: contract.history_table,
        DATABASE_NAME: contract.target_database,
        TABLE_TYPE: "COPY_ON_WRITE",
        OPERATION: "insert",
        RECORD_KEY: ",".join((*contract.key, META_POS)),
        PRECOMBINE_FIELD: META_POS,
        PARTITION_PATH: HISTORY_PARTITION_COLUMN,
        KEYGEN_CLASS: COMPLEX_KEYGEN,
        HIVE_STYLE_PARTITIONING: "true",
        INDEX_TYPE: GLOBAL_BLOOM_INDEX,
        BLOOM_INDEX_UPDATE_PARTITION_PATH: "false",
        INSERT_DROP_DUPLICATES: "true",
        INSERT_DUP_POLICY: "drop",
        COMBINE_BEFORE_INSERT: "true",
    }
    if forward or bulk:
        opts.update({INSERT_DROP_DUPLICATES: "false", INSERT_DUP_POLICY: "none", OPERATION: "bulk_insert", COMBINE_BEFORE_INSERT: "false"})
    if forward and not bulk:
        opts.update(
            {
                CLUSTERING_INLINE: "true",
                CLUSTERING_INLINE_MAX_COMMITS: str(HISTORY_CLUSTER_EVERY_COMMITS),
                CLUSTERING_SMALL_FILE_LIMIT: str(HISTORY_CLUSTER_SMALL_FILE_BYTES),
                CLUSTERING_TARGET_FILE_MAX_BYTES: str(HISTORY_CLUSTER_TARGET_FILE_BYTES),
                CLUSTERING_PARTITION_FILTER_MODE: "RECENT_DAYS",
                CLUSTERING_LOOKBACK_PARTITIONS: "2",
            }
        )
    return opts


def snapshot_write_options(contract: TableContract, *, operation: str = "insert_overwrite", parallelism: int = 2) -> dict[str, str]:
    """Daily snapshot: one partition per day; ``insert_overwrite`` replaces a day whole, so a rebuild is idempotent."""
    return {
        **common_options(parallelism),
        TABLE_NAME: contract.snapshot_table,
        DATABASE_NAME: contract.target_database,
        TABLE_TYPE: "COPY_ON_WRITE",
        OPERATION: operation,
        RECORD_KEY: ",".join(contract.key),
        PRECOMBINE_FIELD: META_POS,
        PARTITION_PATH: SNAPSHOT_PARTITION_COLUMN,
        KEYGEN_CLASS: SIMPLE_KEYGEN if len(contract.key) == 1 else COMPLEX_KEYGEN,
        HIVE_STYLE_PARTITIONING: "true",
        INDEX_TYPE: "SIMPLE",
        COMBINE_BEFORE_INSERT: "true",
    }

PARTITIONS_TO_DELETE = "hoodie.datasource.write.partitions.to.delete"


def snapshot_delete_partitions_options(contract: TableContract, partitions: list[str]) -> dict[str, str]:
    """Drop whole snapshot days (retention, or a rebuilt day that is now empty)."""
    opts = snapshot_write_options(contract, operation="delete_partition")
    opts[PARTITIONS_TO_DELETE] = ",".join(f"{SNAPSHOT_PARTITION_COLUMN}={p}" for p in partitions)
    return opts

# The table properties a catalog (Glue/Hive) entry carries, and the meta columns Hudi adds to every row.
TABLE_PROPERTY_TYPE = "hoodie.table.type"
TABLE_PROPERTY_RECORD_KEYS = "hoodie.table.recordkey.fields"
TABLE_PROPERTY_ORDERING_FIELD = "hoodie.table.precombine.field"
TABLE_PROPERTY_PARTITION_FIELDS = "hoodie.table.partition.fields"
COPY_ON_WRITE = "COPY_ON_WRITE"
HUDI_META_COLUMNS = ("_hoodie_commit_time", "_hoodie_commit_seqno", "_hoodie_record_key", "_hoodie_partition_path", "_hoodie_file_name")
