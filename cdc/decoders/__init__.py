"""Capture-format decoders: one Kafka record -> ``cdc.events.ChangeEvent`` (or None when it is not a row change).

``DECODERS`` is keyed by ``TableContract.capture_format`` so callers pick the decoder
from the contract instead of hard-coding a format.
"""

from __future__ import annotations

from typing import Protocol

from cdc.decoders.debezium import RawMessage, decode_debezium
from cdc.decoders.dms import decode_dms, decode_dms_events
from cdc.errors import ConfigError
from cdc.events import ChangeEvent, KafkaOrigin
from lakehouse_schemas.contract import TableContract


class Decoder(Protocol):
    def __call__(
        self,
        value: RawMessage,
        *,
        key: RawMessage = None,
        contract: TableContract | None = None,
        origin: KafkaOrigin | None = None,
    ) -> ChangeEvent | None: ...


DECODERS: dict[str, Decoder] = {"debezium": decode_debezium, "dms": decode_dms}


def decode_all(
    name: str,
    value: RawMessage,
    *,
    key: RawMessage = None,
    contract: TableContract | None = None,
    origin: KafkaOrigin | None = None,
) -> list[ChangeEvent]:
    """Every lake change one message stands for (a DMS primary-key change is two: delete old key, create new)."""
    if name == "dms":
        return decode_dms_events(value, key=key, contract=contract, origin=origin)
    event = get_decoder(name)(value, key=key, contract=contract, origin=origin)
    return [] if event is None else [event]


def get_decoder(name: str) -> Decoder:
    try:
        return DECODERS[name]
    except KeyError:
        raise ConfigError(
            f"no decoder for capture format {name!r} (known: {sorted(DECODERS)})",
            next_step="set capture_format in the table contract to a known format",
            capture_format=name,
        ) from None


__all__ = ["DECODERS", "Decoder", "decode_all", "decode_debezium", "decode_dms", "decode_dms_events", "get_decoder"]
