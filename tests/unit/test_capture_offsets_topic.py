"""Reading a connector's committed offsets from the workers' offsets topic (MSK Connect has no REST API)."""

from __future__ import annotations

import json

from cdc.capture.offsets_topic import offsets_from_records


def _rec(connector: str, server: str, offset: dict | None) -> tuple[bytes, bytes | None]:
    key = json.dumps([connector, {"server": server}]).encode()
    return key, None if offset is None else json.dumps(offset).encode()


def test_the_newest_record_per_partition_is_the_committed_offset():
    records = [
        _rec("cdclake-chinook", "chinook", {"file": "mysql-bin.000001", "pos": 4}),
        _rec("cdclake-other", "other", {"file": "mysql-bin.000009", "pos": 99}),
        (b"not json", b"{}"),
        (None, b"{}"),
        _rec("cdclake-chinook", "chinook", {"file": "mysql-bin.000002", "pos": 1234, "gtids": "0-1-55"}),
    ]
    assert offsets_from_records(records, "cdclake-chinook") == [
        {"partition": {"server": "chinook"}, "offset": {"file": "mysql-bin.000002", "pos": 1234, "gtids": "0-1-55"}}
    ]
    # Order decides: the older record read last would be the committed one.
    assert offsets_from_records([records[4], records[0]], "cdclake-chinook")[0]["offset"]["pos"] == 4


def test_a_tombstone_resets_the_offset_and_partitions_stay_apart():
    records = [
        _rec("c", "a", {"file": "f.000001", "pos": 1}),
        _rec("c", "b", {"file": "f.000003", "pos": 3}),
        _rec("c", "a", None),
    ]
    assert offsets_from_records(records, "c") == [{"partition": {"server": "b"}, "offset": {"file": "f.000003", "pos": 3}}]
    assert offsets_from_records(records, "missing") == []
