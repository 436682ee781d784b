"""The binlog-gap decision and the signal-table grant check, from recorded server outputs (no servers)."""

from __future__ import annotations

import pytest

from cdc.capture.recovery import SourceBinlogState, can_write_signal_table, decide_gap

NAME = "cdclake-chinook"
# The connector's committed offset as Kafka Connect's REST API returned it after a stop (MariaDB 10.11, Debezium 3.5.0).
MARIADB_OFFSET = {
    "transaction_id": "0-1-1513",
    "file": "mysql-bin.000004",
    "pos": 1156817,
    "gtids": "0-1-1512",
    "server_id": 1,
    "event": 9,
}
# The task trace after PURGE BINARY LOGS and resume (abridged to its first and cause lines).
TRACE_1236 = (
    "org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer. "
    "This connector will be stopped.\n\tat io.debezium.pipeline.ErrorHandler.setProducerThrowable(ErrorHandler.java:67)\n"
    "Caused by: io.debezium.DebeziumException: Could not find GTID state requested by slave in any binlog files. "
    "Probably the slave state is too old and required binlog files have been purged. Error code: 1236; SQLSTATE: HY000.\n"
    "\t... 6 more\n"
)


def test_mariadb_purged_transactions_the_connector_needs_are_a_gap() -> None:
    source = SourceBinlogState(("mysql-bin.000006",), first_gtid_list="0-1-1542")
    gap = decide_gap(NAME, "mariadb", MARIADB_OFFSET, source)
    assert gap is not None
    assert gap.connector_file == "mysql-bin.000004" and gap.oldest_available == "mysql-bin.000006"
    msg = gap.message()
    assert NAME in msg and "mysql-bin.000004:1156817" in msg and "0-1-1512" in msg
    assert "mysql-bin.000006" in msg and "0-1-1542" in msg and "cdclake capture resnapshot" in msg
    assert "seq 1512" in gap.reason and "seq 1542" in gap.reason


def test_mariadb_purged_file_whose_transactions_the_connector_has_is_no_gap() -> None:
    # The connector's file is gone, but it had read everything in it: it resumes by GTID.
    source = SourceBinlogState(("mysql-bin.000005",), first_gtid_list="[0-1-1512]")
    assert decide_gap(NAME, "mariadb", MARIADB_OFFSET, source) is None


def test_mariadb_position_still_on_the_source_is_no_gap() -> None:
    source = SourceBinlogState(("mysql-bin.000003", "mysql-bin.000004"), first_gtid_list="0-1-800")
    assert decide_gap(NAME, "mariadb", MARIADB_OFFSET, source) is None


def test_mariadb_domain_the_connector_never_saw_is_a_gap() -> None:
    source = SourceBinlogState(("mysql-bin.000006",), first_gtid_list="0-1-1500,7-2-40")
    gap = decide_gap(NAME, "mariadb", MARIADB_OFFSET, source)
    assert gap is not None and "domain 7" in gap.reason


def test_mariadb_multi_server_domain_uses_the_highest_sequence() -> None:
    source = SourceBinlogState(("mysql-bin.000006",), first_gtid_list="0-1-1500,0-2-1512")
    assert decide_gap(NAME, "mariadb", MARIADB_OFFSET, source) is None


def test_failed_task_with_error_1236_is_a_gap_whatever_the_offsets_say() -> None:
    source = SourceBinlogState(("mysql-bin.000004",), first_gtid_list="0-1-10")
    gap = decide_gap(NAME, "mariadb", MARIADB_OFFSET, source, [TRACE_1236])
    assert gap is not None
    assert gap.reason.startswith("the connector task failed: io.debezium.DebeziumException: Could not find GTID state")


def test_failed_task_for_another_reason_is_no_gap() -> None:
    source = SourceBinlogState(("mysql-bin.000004",), first_gtid_list="0-1-10")
    trace = (
        "org.apache.kafka.connect.errors.ConnectException\nCaused by: java.sql.SQLNonTransientConnectionException: Socket error"
    )
    assert decide_gap(NAME, "mariadb", MARIADB_OFFSET, source, [trace]) is None


def test_no_committed_offset_is_no_gap() -> None:
    assert decide_gap(NAME, "mariadb", None, SourceBinlogState(("mysql-bin.000009",), first_gtid_list="0-1-5")) is None


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (("mysql-bin.000010", "mysql-bin.000011"), True),  # file index 9 < 10: purged
        (("mysql-bin.000009", "mysql-bin.000010"), False),
    ],
)
def test_without_gtids_the_binlog_file_decides(files, expected) -> None:
    offset = {"file": "mysql-bin.000009", "pos": 120}
    gap = decide_gap(NAME, "mysql", offset, SourceBinlogState(files))
    assert (gap is not None) is expected
    if gap:
        assert "mysql-bin.000009 was purged" in gap.reason


UUID_A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
UUID_B = "8f2b4a11-0000-11ee-8000-000000000001"


@pytest.mark.parametrize(
    ("purged", "connector", "missing"),
    [
        (f"{UUID_A}:1-100", f"{UUID_A}:1-250", None),
        (f"{UUID_A}:1-300", f"{UUID_A}:1-250", f"{UUID_A}:1-300"),
        (f"{UUID_A}:1-100,\n{UUID_B}:1-5", f"{UUID_A}:1-250", f"{UUID_B}:1-5"),
        ("", f"{UUID_A}:1-250", None),
    ],
)
def test_mysql_gtid_purged_must_be_inside_the_connector_gtid_set(purged, connector, missing) -> None:
    offset = {"file": "mysql-bin-changelog.000002", "pos": 4, "gtids": connector}
    source = SourceBinlogState(("mysql-bin-changelog.000007",), gtid_purged=purged)
    gap = decide_gap(NAME, "mysql", offset, source)
    if missing is None:
        assert gap is None
    else:
        assert gap is not None and missing in gap.reason


@pytest.mark.parametrize(
    ("grants", "ok"),
    [
        (
            ["GRANT SELECT, RELOAD, REPLICATION SLAVE ON *.* TO `cdc`@`%`", "GRANT SELECT ON `cdclake_signal`.* TO `cdc`@`%`"],
            False,
        ),
        (["GRANT SELECT ON *.* TO `cdc`@`%`", "GRANT SELECT, INSERT ON `cdclake_signal`.* TO `cdc`@`%`"], True),
        (["GRANT INSERT ON `cdclake_signal`.`debezium_signal_chinook` TO `cdc`@`%`"], True),
        (["GRANT INSERT ON `cdclake_signal`.`debezium_signal_other` TO `cdc`@`%`"], False),  # another source's table
        (["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"], True),
        (["GRANT INSERT ON `Chinook`.* TO `cdc`@`%`"], False),
    ],
)
def test_signal_table_needs_insert_for_debezium_watermarks(grants, ok) -> None:
    assert can_write_signal_table(grants) is ok
