"""The canonical change event: the one model every decoder produces and the Spark job's columns derive from.

A ``SourcePosition`` orders changes of one source totally. Its ``sort_key`` is a
fixed-width string, so comparing two keys as strings compares (binlog file index,
position, phase, row) numerically: ``mysql-bin.000009`` < ``mysql-bin.000010``
although "9" > "1". The Spark job builds the same string with native functions
(``spark_jobs.decode``); a unit test holds both to the same fixtures.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Op(str, Enum):
    CREATE = "c"
    UPDATE = "u"
    DELETE = "d"
    READ = "r"  # snapshot read
    TRUNCATE = "t"


# Widths of the sort key fields; together they cover binlog index 10^10, position 10^20, row 10^10.
FILE_INDEX_WIDTH = 10
POS_WIDTH = 20
ROW_WIDTH = 10
BINLOG_INDEX_RE = r"\.(\d+)$"
# What a position may hold so its sort key keeps the fixed width (and the Spark job's long casts hold it):
# a decoder refuses anything outside these bounds instead of building a key that sorts wrongly.
MAX_FILE_INDEX = 10**FILE_INDEX_WIDTH - 1
MAX_POS = 2**63 - 1  # Spark reads source.pos as a long; 19 digits fit POS_WIDTH
MAX_ROW = 10**ROW_WIDTH - 1

# Phase separates snapshot reads from streamed changes at the same binlog position:
# the snapshot is taken at the position where streaming starts, so a streamed change
# at that exact position is newer than the snapshot row.
PHASE_SNAPSHOT = 0
PHASE_STREAM = 1


def binlog_file_index(file: str | None) -> int:
    if not file:
        return 0
    m = re.search(BINLOG_INDEX_RE, file)
    return int(m.group(1)) if m else 0


class SourcePosition(BaseModel):
    """Where a change sits in the source's log."""

    model_config = ConfigDict(frozen=True)

    file: str | None = None
    pos: int = 0
    row: int = 0
    snapshot: bool = False
    gtid: str | None = None

    @property
    def file_index(self) -> int:
        return binlog_file_index(self.file)

    @property
    def sort_key(self) -> str:
        phase = PHASE_SNAPSHOT if self.snapshot else PHASE_STREAM
        return f"{self.file_index:0{FILE_INDEX_WIDTH}d}:{self.pos:0{POS_WIDTH}d}:{phase}:{self.row:0{ROW_WIDTH}d}"


class KafkaOrigin(BaseModel):
    model_config = ConfigDict(frozen=True)

    topic: str
    partition: int
    offset: int


class ChangeEvent(BaseModel):
    """One row change, independent of the capture tool that reported it."""

    model_config = ConfigDict(frozen=True)

    op: Op
    database: str
    table: str
    key: dict[str, Any]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    position: SourcePosition
    commit_ts: datetime | None = Field(None, description="when the source committed the change (UTC)")
    snapshot: bool = False
    transaction_id: str | None = None
    schema_version: str | None = None
    origin: KafkaOrigin | None = None

    @property
    def row_image(self) -> dict[str, Any] | None:
        """The row as it is after the change; for a delete, the last image before it."""
        return self.after if self.after is not None else self.before

    @property
    def is_delete(self) -> bool:
        return self.op is Op.DELETE


# Columns the lake adds to every replicated table, with logical types that
# spark_jobs.schema maps to Spark types. Names are the contract with analysts: keep stable.
META_OP = "_cdc_op"
META_POS = "_cdc_pos"  # SourcePosition.sort_key: the Hudi ordering field
META_COMMIT_TS = "_cdc_commit_ts"
META_INGEST_TS = "_cdc_ingest_ts"
META_SNAPSHOT = "_cdc_snapshot"
META_TOPIC = "_cdc_topic"
META_PARTITION = "_cdc_partition"
META_OFFSET = "_cdc_offset"
# Record key of append-only tables (no usable primary key): the source position of a streamed
# change (unique per row of a binlog event), plus the Kafka coordinates for snapshot reads,
# which share one position.
META_CHANGE_ID = "_cdc_change_id"
META_COLUMNS: dict[str, str] = {
    META_OP: "string",
    META_POS: "string",
    META_COMMIT_TS: "timestamp",
    META_INGEST_TS: "timestamp",
    META_SNAPSHOT: "boolean",
    META_TOPIC: "string",
    META_PARTITION: "int",
    META_OFFSET: "long",
}
