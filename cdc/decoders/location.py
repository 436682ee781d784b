"""Where in Kafka a message being decoded came from, so every DecodeError names table, key, topic, partition, offset."""

from __future__ import annotations

from typing import Any

from cdc.errors import DecodeError
from cdc.events import KafkaOrigin
from lakehouse_schemas.contract import TableContract


class Where:
    """What is known about the message so far, for the DecodeError's location."""

    def __init__(self, contract: TableContract | None, origin: KafkaOrigin | None) -> None:
        self.table = contract.qualified_source if contract else None
        self.key: Any = None
        self.origin = origin

    def error(self, reason: str) -> DecodeError:
        o = self.origin
        return DecodeError(
            reason,
            table=self.table,
            key=self.key,
            topic=o.topic if o else None,
            partition=o.partition if o else None,
            offset=o.offset if o else None,
        )
