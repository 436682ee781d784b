"""The connector's committed source offsets, from the Connect REST API or straight from the worker's offsets topic.

MSK Connect has no Connect REST API, so on AWS the binlog-gap check and the capture lag read the
offsets where every Connect worker keeps them: the compacted ``offset.storage.topic``. Kafka Connect
writes one record per source partition there; the key is the JSON list ``[connector, partition]``
(Debezium's MySQL/MariaDB partition is ``{"server": <topic.prefix>}``), the value the JSON offset
(``file``, ``pos``, ``gtids``, ...), and a tombstone when the offset was reset. The newest record per
key is the committed offset, which is what ``GET /connectors/{name}/offsets`` returns.
"""

from __future__ import annotations

import json
from typing import Any

from cdc.errors import TerminalError
from cdc.kafka_security import OFFSETS_READER_GROUP_PREFIX, explain_kafka_error, librdkafka_config
from cdc.settings import Settings


def offsets_from_records(records: list[tuple[bytes | None, bytes | None]], connector: str) -> list[dict[str, Any]]:
    """The newest offset per source partition of ``connector``, in the REST API's form, from (key, value) records in topic order."""
    latest: dict[str, dict[str, Any] | None] = {}
    partitions: dict[str, Any] = {}
    for key, value in records:
        try:
            parsed = json.loads(key) if key else None
        except ValueError:
            continue  # not a Connect offset key: another writer's record
        if not (isinstance(parsed, list) and len(parsed) == 2 and parsed[0] == connector):
            continue
        pkey = json.dumps(parsed[1], sort_keys=True)
        partitions[pkey] = parsed[1]
        latest[pkey] = json.loads(value) if value else None
    return [{"partition": partitions[k], "offset": v} for k, v in latest.items() if v is not None]


def read_offsets_topic(settings: Settings, topic: str, connector: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """Read the whole offsets topic once (it is compacted and small) and keep ``connector``'s newest offsets."""
    import time

    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

    consumer = Consumer(
        librdkafka_config(
            settings,
            **{"group.id": f"{OFFSETS_READER_GROUP_PREFIX}{connector}", "enable.auto.commit": False, "log_level": 0},
        )
    )
    try:
        meta = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise TerminalError(
                f"Kafka has no offsets topic {topic!r} (connector {connector})",
                next_step="set CDCLAKE_CONNECT__OFFSETS_TOPIC to the Connect workers' offset.storage.topic "
                "(terraform output of the msk_connect_debezium module), or unset it to use the Connect REST API",
            )
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1] for p in meta.partitions}
        todo = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in todo])
        records: list[tuple[bytes | None, bytes | None]] = []
        deadline = time.monotonic() + timeout_s
        while todo:
            if time.monotonic() > deadline:
                raise TerminalError(
                    f"could not read the offsets topic {topic!r} to its end within {timeout_s:.0f}s",
                    next_step="check that the brokers are reachable and this role may read the topic",
                )
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            records.append((msg.key(), msg.value()))
            if msg.offset() + 1 >= ends[msg.partition()]:
                todo.discard(msg.partition())
        # One partition per key keeps each key's history in order; across partitions order does not matter.
        return offsets_from_records(records, connector)
    except KafkaException as e:
        raise explain_kafka_error(settings, str(e)) or TerminalError(
            f"could not read the offsets topic {topic!r}: {e}", next_step="check the Kafka settings (CDCLAKE_KAFKA__*)"
        ) from None
    finally:
        consumer.close()

