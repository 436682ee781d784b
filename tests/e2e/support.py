"""Helpers the end-to-end tests share: a fresh lake per test, and the zero-difference assertion."""

from __future__ import annotations

import uuid

from cdc.devstack import pipeline
from cdc.settings import LakeSettings, Settings


def file_lake(settings: Settings, name: str) -> Settings:
    """``settings`` with a new, empty local lake and checkpoint folder under the stack's state folder."""
    base = settings.stack.state_dir / "test-lakes" / f"{name}-{uuid.uuid4().hex[:8]}"
    return settings.model_copy(
        update={"lake": LakeSettings(root=(base / "lake").resolve().as_uri(), checkpoint_root=(base / "ckpt").resolve().as_uri())}
    )


def assert_reconciled(spark, settings: Settings, contracts, what: str = "lake") -> list:
    """Source and lake equal by the full comparison (spark_jobs/reconcile.py): counts, chunk checksums,
    row digests and cells; no missing, extra or different row. Returns the per-table results."""
    diffs = pipeline.compare_all(spark, settings, contracts)
    bad = [d.summary() + kafka_trail(settings, contracts, d) for d in diffs if not d.equal]
    assert not bad, f"{what} differs from source:\n" + "\n".join(bad)
    assert all(d.hash_mismatches == 0 and d.source_rows == d.lake_rows for d in diffs)
    return diffs


def kafka_trail(settings: Settings, contracts, diff, limit: int = 5) -> str:
    """Where the differing keys' changes are in Kafka: says whether capture or the apply lost them."""
    import json

    from confluent_kafka import Consumer, TopicPartition

    from cdc.kafka_security import librdkafka_config

    contract = next((c for c in contracts if c.qualified_source == diff.table), None)
    keys = {tuple(str(v) for v in k) for k in diff.differing_keys[:limit]}
    if contract is None or not keys:
        return ""
    consumer = Consumer(librdkafka_config(settings, **{"group.id": f"trail-{uuid.uuid4().hex}", "enable.auto.commit": False, "log_level": 0}))
    last: dict[tuple, str] = {}
    try:
        meta = consumer.list_topics(contract.topic(), timeout=10).topics.get(contract.topic())
        for p in sorted(meta.partitions) if meta else []:
            lo, hi = consumer.get_watermark_offsets(TopicPartition(contract.topic(), p), timeout=10)
            consumer.assign([TopicPartition(contract.topic(), p, lo)])
            offset = lo
            while offset < hi - 1:
                msg = consumer.poll(5)
                if msg is None:
                    break
                if msg.error() or msg.key() is None:
                    continue
                offset = msg.offset()
                key = tuple(str(v) for v in json.loads(msg.key()).values())
                if key in keys and msg.value():
                    v = json.loads(msg.value())
                    tx = (v.get("transaction") or {}).get("id")
                    last[key] = f"op {v.get('op')} at {p}/{offset} (tx {tx}, source pos {v.get('source', {}).get('pos')})"
    finally:
        consumer.close()
    trail = "; ".join(f"{k}: {last.get(k, 'no change in Kafka')}" for k in sorted(keys))
    return f"\n    last change in Kafka per differing key (hi offsets at diagnosis time): {trail}"
