"""Contracts on the local S3 server: the stream's contract source sees a change at its next call (every batch)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cdc.contracts_remote import mirrored_loader
from cdc.s3 import s3_client
from spark_jobs.stream import contract_reloader

pytestmark = [pytest.mark.e2e, pytest.mark.s3]
CHINOOK = Path(__file__).resolve().parents[2] / "lakehouse_schemas" / "tables" / "chinook"


def test_contract_changes_on_s3_reach_the_job(local_stack):
    prefix = f"contracts-{uuid.uuid4().hex[:8]}"
    settings = local_stack.model_copy(update={"contracts_dir": f"s3://lake/{prefix}"})
    s3 = s3_client(settings)
    for name in ("genre.yaml", "artist.yaml"):
        s3.put_object(Bucket="lake", Key=f"{prefix}/chinook/{name}", Body=(CHINOOK / name).read_bytes())
    logs: list[str] = []
    load = mirrored_loader(settings, settings.contracts_dir, "chinook", lambda d: contract_reloader(d, logs.append), logs.append)
    assert sorted(c.table for c in load()) == ["Artist", "Genre"]

    changed = (CHINOOK / "genre.yaml").read_text().replace("target_table: genre", "target_table: genre_v2")
    s3.put_object(Bucket="lake", Key=f"{prefix}/chinook/genre.yaml", Body=changed.encode())
    s3.delete_object(Bucket="lake", Key=f"{prefix}/chinook/artist.yaml")
    now = {c.table: c for c in load()}
    assert sorted(now) == ["Genre"] and now["Genre"].target_table == "genre_v2"

    # A contract that stops validating on S3 keeps the last good ones, as a local folder does.
    s3.put_object(Bucket="lake", Key=f"{prefix}/chinook/genre.yaml", Body=b"source: chinook\ntable: [broken\n")
    assert [c.target_table for c in load()] == ["genre_v2"]
    assert any("keeping the previous ones" in line for line in logs)
