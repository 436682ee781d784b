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
    bad = [d.summary() for d in diffs if not d.equal]
    assert not bad, f"{what} differs from source:\n" + "\n".join(bad)
    assert all(d.hash_mismatches == 0 and d.source_rows == d.lake_rows for d in diffs)
    return diffs
