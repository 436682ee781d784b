"""Every metric name cdclake publishes, in one place: the job (spark_jobs/metrics.py), the connector exporter
(cdc/observe/exporter.py), `cdclake status`, and the generated dashboard, alert rules and CloudWatch alarms all
read them from here, so a rename cannot leave a panel or an alert pointing at nothing.

Prometheus names; CloudWatch metric names are the same names (cloudwatch_name), in the namespace the settings give.
"""

from __future__ import annotations

PREFIX = "cdclake_"

# -- per table (label ``table`` = <database>.<table> of the source, as the dead-letter table names it)
CHANGES_APPLIED = "cdclake_table_changes_applied_total"  # counter: changes written to the lake
LAST_COMMIT_TS = "cdclake_table_last_commit_timestamp_seconds"  # newest source commit time applied
FRESHNESS = "cdclake_table_freshness_seconds"  # now minus LAST_COMMIT_TS, at scrape time
BATCH_LAG = "cdclake_table_batch_lag_seconds"  # apply time minus the newest commit time of the table's last batch
BLOCKED = "cdclake_table_blocked"  # 1 while schema drift (or a missing contract) parks the table
DEAD_LETTERS_PENDING = "cdclake_table_dead_letters_pending"  # pending dead letters (parked or undecodable)
DEAD_LETTERS = "cdclake_table_dead_letters_total"  # counter: dead letters written by this run of the job

# -- per batch (the StreamingQueryListener's progress)
BATCHES = "cdclake_batches_total"
BATCH_DURATION = "cdclake_batch_duration_seconds"
BATCH_INPUT_ROWS = "cdclake_batch_input_rows"
BATCH_ROWS_PER_SECOND = "cdclake_batch_rows_per_second"
LAST_BATCH_TS = "cdclake_last_batch_timestamp_seconds"
LAST_PROGRESS_TS = "cdclake_last_progress_timestamp_seconds"  # any progress event, data or idle

# -- per topic partition (labels ``topic``, ``partition``)
KAFKA_LAG = "cdclake_kafka_lag_records"  # the topic's end offset minus the job's committed end offset

# -- the connector (cdclake observe exporter; label ``connector``, and ``task`` on TASK_RUNNING)
CONNECT_UP = "cdclake_connect_up"  # 1 when the Connect REST API answers
CONNECTOR_RUNNING = "cdclake_connector_running"
TASK_RUNNING = "cdclake_connector_task_running"
BINLOG_BYTES_BEHIND = "cdclake_binlog_bytes_behind"
BINLOG_FILES_BEHIND = "cdclake_binlog_files_behind"
BINLOG_GAP = "cdclake_binlog_gap"  # 1 when the source purged binlogs the connector still needs

JOB_SCRAPE = "cdclake-job"  # Prometheus job names of the two endpoints
EXPORTER_SCRAPE = "cdclake-connector"


def cloudwatch_name(metric: str) -> str:
    """CloudWatch metric name: the Prometheus name without the common prefix (the namespace says cdclake)."""
    return metric.removeprefix(PREFIX)
