"""The local Kafka's KRaft cluster id: never one that kafka-storage's argument parser reads as an option."""

from __future__ import annotations

import base64
import uuid


def test_cluster_id_never_starts_with_a_dash(monkeypatch):
    from cdc.devstack import kafka

    dash = uuid.UUID(bytes=b"\xf8" + bytes(15))  # base64 "-A...": the parser took it for an option
    plain = uuid.UUID(bytes=bytes(range(16)))
    drawn = iter([dash, plain])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(drawn))

    cluster_id = kafka.new_cluster_id()

    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22
    assert base64.urlsafe_b64encode(dash.bytes).decode().startswith("-")
