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
METADATA_ENABLE = "hoodie.metadata.enable"
UPSERT_PARALLELISM = "hoodie.upsert.shuffle.parallelism"
INSERT_PARALLELISM = "hoodie.insert.shuffle.parallelism"
DELETE_PARALLELISM = "hoodie.delete.shuffle.parallelism"
BULKINSERT_PARALLELISM = "hoodie.bulkinsert.shuffle.parallelism"
CLEANER_COMMITS_RETAINED = "hoodie.cleaner.commits.retained"
KEEP_MIN_COMMITS = "hoodie.keep.min.commits"
KEEP_MAX_COMMITS = "hoodie.keep.max.commits"
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


def write_options(contract: TableContract, *, glue_sync: bool = False, parallelism: int = 2) -> dict[str, str]:
    opts = {
        TABLE_NAME: contract.target_table,
        DATABASE_NAME: contract.target_database,
        TABLE_TYPE: contract.table_type,
        OPERATION: "upsert",
        RECORD_KEY: META_CHANGE_ID if contract.mode == "append_only" else ",".join(contract.key),
        PRECOMBINE_FIELD: META_POS,
        PAYLOAD_CLASS: EVENT_TIME_PAYLOAD,
        RECORD_MERGE_MODE: "EVENT_TIME_ORDERING",
        WRITE_TABLE_VERSION: str(versions.HUDI_TABLE_VERSION),
        AUTO_UPGRADE: "false",
        COMBINE_BEFORE_UPSERT: "true",
        HIVE_STYLE_PARTITIONING: "true",
        INDEX_TYPE: "SIMPLE",
        UPSERT_PARALLELISM: str(parallelism),
        INSERT_PARALLELISM: str(parallelism),
        DELETE_PARALLELISM: str(parallelism),
        BULKINSERT_PARALLELISM: str(parallelism),
        CLEANER_COMMITS_RETAINED: str(DEFAULT_COMMITS_RETAINED),
        KEEP_MIN_COMMITS: str(DEFAULT_COMMITS_RETAINED + 10),
        KEEP_MAX_COMMITS: str(DEFAULT_COMMITS_RETAINED + 20),
        COMMIT_META_PREFIX: "_cdclake_",
    }
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
