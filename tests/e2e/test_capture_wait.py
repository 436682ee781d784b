"""The capture wait holds until a transaction's changes are in their tables' topics, not just its END.

Debezium's producer orders records within a partition only, so a transaction's END can land in the
transaction topic before the last changes land in a table's topic. A CI run read the topics in that
window and the lake missed the tail of one table (fault test, InvoiceLine). These tests write the
records themselves on the real local broker, in the shape Debezium gives them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from confluent_kafka import Producer

from cdc.capture import debezium as dbz
from cdc.errors import ReplicationTimeout
from cdc.kafka_security import librdkafka_config
from cdc.settings import SourceSettings

pytestmark = pytest.mark.e2e

TABLE = "Shop.Orders"


@pytest.fixture
def source(local_stack):
    """Settings for a source of its own: its topics are new, so nothing else is in them."""
    name = f"wait{uuid.uuid4().hex[:8]}"
    settings = local_stack.model_copy(update={"source": SourceSettings(**{**local_stack.source.model_dump(), "name": name})})
    yield settings
    dbz.reset(settings, log=lambda m: None)  # its topics


def _produce(settings, tx: str, orders: list[int], other: int = 3) -> None:
    """Changes of ``tx`` with the given data_collection_order values, after ``other`` changes of another transaction."""
    p = Producer(librdkafka_config(settings))
    topic = f"{settings.source.name}.{TABLE}"
    # What the job dead-letters can sit in a table topic too: the wait looks past it.
    for poison in (b"{not json", b"\xff\xfe", b"[1, 2]", b"[" * 100000 + tx.encode(), json.dumps({"transaction": {"id": tx, "data_collection_order": [3]}}).encode()):
        p.produce(topic, key=b"{}", value=poison)
    for i in range(other):
        p.produce(topic, key=json.dumps({"id": 1000 + i}), value=json.dumps({"op": "u", "transaction": {"id": "0-1-1", "data_collection_order": i + 1}}))
    for o in orders:
        value = {"op": "c", "after": {"id": o}, "transaction": {"id": tx, "total_order": o, "data_collection_order": o}}
        p.produce(topic, key=json.dumps({"id": o}), value=json.dumps(value))
        p.produce(topic, key=json.dumps({"id": o}), value=None)  # a tombstone has no value: skipped, not an error
    assert p.flush(30) == 0


def test_waits_for_the_tail_of_a_table_that_lands_after_the_end(source):
    tx = "0-1-7"
    _produce(source, tx, [1, 2])
    sent = threading.Event()

    def produce_the_tail():
        sent.set()  # before the record exists: a wait that returns earlier finds this unset
        _produce(source, tx, [3], other=0)

    late = threading.Timer(3.0, produce_the_tail)
    late.start()
    dbz._wait_for_changes(source, {TABLE: (tx, 3)}, time.monotonic() + 60, log=print)
    returned_after_the_tail = sent.is_set()
    late.join()
    assert returned_after_the_tail


def test_a_tail_that_never_lands_is_an_error_naming_the_table(source):
    tx = "0-1-8"
    _produce(source, tx, [1, 3])  # change 2 of 3 never arrives
    with pytest.raises(ReplicationTimeout) as err:
        dbz._wait_for_changes(source, {TABLE: (tx, 3)}, time.monotonic() + 5, log=print)
    assert TABLE in str(err.value) and "1 of its 3" in str(err.value)


def test_changes_already_there_return_at_once_even_with_a_restart_renumbering(source):
    tx = "0-1-9"
    # A restart inside the transaction re-published changes 1-2 with the numbering started again.
    _produce(source, tx, [1, 2, 1, 2, 3])
    dbz._wait_for_changes(source, {TABLE: (tx, 3)}, time.monotonic() + 10, log=print)  # raises if it misses one
