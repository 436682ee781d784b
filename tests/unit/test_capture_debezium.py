"""wait_running restarts a task that failed because the database went away, and nothing else."""

from __future__ import annotations

import pytest

from cdc.capture import debezium as dbz
from cdc.errors import TerminalError
from cdc.settings import Settings


class FakeConnect:
    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.restarts = 0

    def status(self, name):
        return self.statuses[0] if len(self.statuses) == 1 else self.statuses.pop(0)

    def restart(self, name):
        self.restarts += 1


def _status(state, trace=""):
    return {"connector": {"state": "RUNNING"}, "tasks": [{"state": state, "trace": trace}]}


def _patch(monkeypatch, fake):
    monkeypatch.setattr(dbz, "ConnectClient", lambda settings: fake)
    monkeypatch.setattr(dbz.time, "sleep", lambda s: None)


def test_a_lost_connection_is_restarted(monkeypatch):
    lost = "io.debezium.DebeziumException: ...\nCaused by: java.sql.SQLNonTransientConnectionException: (conn=333) Socket error"
    fake = FakeConnect([_status("FAILED", lost), _status("RUNNING")])
    _patch(monkeypatch, fake)
    assert dbz.wait_running(Settings(), timeout_s=5, log=lambda m: None)["tasks"][0]["state"] == "RUNNING"
    assert fake.restarts == 1


def test_any_other_failure_is_reported(monkeypatch):
    fake = FakeConnect([_status("FAILED", "org.apache.kafka.common.config.ConfigException: bad table.include.list")])
    _patch(monkeypatch, fake)
    with pytest.raises(TerminalError, match="bad table.include.list"):
        dbz.wait_running(Settings(), timeout_s=5, log=lambda m: None)
    assert fake.restarts == 0


def test_restarts_are_bounded(monkeypatch):
    fake = FakeConnect([_status("FAILED", "Connection refused")])
    _patch(monkeypatch, fake)
    with pytest.raises(TerminalError):
        dbz.wait_running(Settings(), timeout_s=5, log=lambda m: None)
    assert fake.restarts == dbz.MAX_CONNECTION_RESTARTS


def _offsets(*values):
    return [{"partition": {"server": "chinook"}, "offset": v} for v in values]


@pytest.mark.parametrize(
    ("offsets", "done"),
    [
        # What Connect held, in order, for a fresh connector in a CI run that waited on the wrong thing.
        ([], False),
        (_offsets({}), False),
        (_offsets({"ts_sec": 1, "file": "mysql-bin.000020", "pos": 1030641, "gtids": "0-1-28780", "snapshot": "INITIAL"}), False),
        (_offsets({"ts_sec": 1, "file": "mysql-bin.000020", "pos": 4, "gtids": "0-1-28780", "server_id": 1}), True),
        (_offsets(None), False),
    ],
)
def test_snapshot_is_finished_only_at_a_streaming_position(offsets, done):
    assert dbz.snapshot_finished(offsets) is done
