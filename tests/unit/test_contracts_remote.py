"""Contracts on S3: the stream's contract source mirrors the prefix on every call (moto's S3)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cdc.contracts_remote import mirrored_loader
from cdc.errors import ConfigError
from cdc.settings import Settings
from lakehouse_schemas.contract import load_contracts

CHINOOK = Path(__file__).resolve().parents[2] / "lakehouse_schemas" / "tables" / "chinook"


@mock_aws
def test_the_job_sees_contract_changes_on_s3_at_the_next_call(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="artifacts")
    settings = Settings(stack={"state_dir": tmp_path}, contracts_dir="s3://artifacts/contracts")
    assert settings.contracts_dir == "s3://artifacts/contracts"
    for name in ("genre.yaml", "artist.yaml"):
        s3.put_object(Bucket="artifacts", Key=f"contracts/chinook/{name}", Body=(CHINOOK / name).read_bytes())
    logs: list[str] = []
    load = mirrored_loader(settings, settings.contracts_dir, "chinook", lambda d: (lambda: load_contracts(directory=d)), logs.append)

    assert sorted(c.table for c in load()) == ["Artist", "Genre"]
    # A new contract, a changed one and a removed one: all seen at the next call, nothing else downloaded.
    s3.put_object(Bucket="artifacts", Key="contracts/chinook/album.yaml", Body=(CHINOOK / "album.yaml").read_bytes())
    s3.delete_object(Bucket="artifacts", Key="contracts/chinook/artist.yaml")
    changed = (CHINOOK / "genre.yaml").read_text().replace("target_table: genre", "target_table: genre_v2")
    assert changed != (CHINOOK / "genre.yaml").read_text()
    s3.put_object(Bucket="artifacts", Key="contracts/chinook/genre.yaml", Body=changed.encode())
    now = {c.table: c for c in load()}
    assert sorted(now) == ["Album", "Genre"]
    assert now["Genre"].target_table == "genre_v2"
    assert logs == ["contracts: 2 file(s) changed at s3://artifacts/contracts", "contracts: 2 file(s) changed at s3://artifacts/contracts"]


@mock_aws
def test_an_unreadable_prefix_names_the_setting(tmp_path):
    settings = Settings(stack={"state_dir": tmp_path}, contracts_dir="s3://no-such-bucket/contracts", lake={"s3_region": "us-east-1"})
    load = mirrored_loader(settings, settings.contracts_dir, "chinook", lambda d: (lambda: load_contracts(directory=d)))
    with pytest.raises(ConfigError, match="CDCLAKE_CONTRACTS_DIR"):
        load()


def test_a_local_contracts_dir_stays_a_path(tmp_path):
    assert Settings(contracts_dir=str(tmp_path)).contracts_dir == tmp_path
