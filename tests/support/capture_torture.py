"""Re-capture the unit fixture tests/fixtures/debezium/torture.jsonl from a real run of the type-torture table.

The end-to-end type test calls ``capture`` before its connector and topics go, when asked to:

    source /work/stacks/<you>.env   # or any stack env
    TORTURE_RECAPTURE=1 .venv/bin/python -m pytest tests/e2e/test_types.py

It replaces the lines of the torture connector's alltypes topic with every record of that topic,
verbatim, in offset order (the unit tests address records by topic and offset); the lines of other
topics stay (truncme's were captured before the end-to-end test wrote its drain marker there, and
the truncate unit tests read them as changes.sql writes them). nulldefaults is covered end to end.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from cdc.kafka_security import librdkafka_config
from cdc.settings import get_settings

TOPICS = ("torture.torture.alltypes",)
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "debezium" / "torture.jsonl"


def _records(settings, topic: str) -> list[dict]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(librdkafka_config(settings, **{"group.id": f"capture-{uuid.uuid4()}", "enable.auto.commit": False, "log_level": 0}))
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        c.assign([TopicPartition(topic, 0, low)])
        out: list[dict] = []
        while len(out) < high - low:
            msg = c.poll(10.0)
            if msg is None:
                raise SystemExit(f"{topic}: no record after offset {low + len(out) - 1}; is the stack up and the e2e test run?")
            if msg.error():
                raise SystemExit(f"{topic}: {msg.error()}")
            key, value = msg.key(), msg.value()
            out.append(
                {
                    "topic": topic,
                    "partition": msg.partition(),
                    "offset": msg.offset(),
                    "key": key.decode("utf-8") if key is not None else None,
                    "value": value.decode("utf-8") if value is not None else None,
                }
            )
        return out
    finally:
        c.close()


def capture(settings=None) -> None:
    settings = settings or get_settings()
    lines = [json.dumps(r) for topic in TOPICS for r in _records(settings, topic)]
    kept = [line for line in OUT.read_text().splitlines() if json.loads(line)["topic"] not in TOPICS]
    OUT.write_text("\n".join(lines + kept) + "\n")
    print(f"{OUT}: {len(lines)} records", file=sys.stderr)


if __name__ == "__main__":
    capture()
