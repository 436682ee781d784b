"""What every Spark decoder's output shares: the error column and the ordering key.

Both decoders (spark_jobs/decode.py for Debezium, spark_jobs/decode_dms.py for DMS) import from here,
so neither imports the other's module for them.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

from cdc import events as ev

# Null for a good row; otherwise the reason it goes to the dead-letter table.
ERROR_COLUMN = "_cdc_error"


def position_sort_key(file: SparkColumn, pos: SparkColumn, snapshot: SparkColumn, row: SparkColumn) -> SparkColumn:
    """The same fixed-width key as cdc.events.SourcePosition.sort_key, built natively."""
    file_index = F.coalesce(F.regexp_extract(file, ev.BINLOG_INDEX_RE, 1).cast("long"), F.lit(0))
    phase = F.when(snapshot, F.lit(ev.PHASE_SNAPSHOT)).otherwise(F.lit(ev.PHASE_STREAM))
    fmt = f"%0{ev.FILE_INDEX_WIDTH}d:%0{ev.POS_WIDTH}d:%d:%0{ev.ROW_WIDTH}d"
    return F.format_string(fmt, file_index, F.coalesce(pos, F.lit(0)), phase, F.coalesce(row, F.lit(0)))
