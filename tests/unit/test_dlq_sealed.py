"""Dead letters never keep clear PII under the lake root: raw values and reasons are sealed, and unsealed on read."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from cdc import settings as settings_mod

EMAIL = "luisg@embraer.com.br"
VALUE = '{"before":null,"after":{"CustomerId":1,"Email":"' + EMAIL + '","Country":"Brazil"},"op":"x"}'
REASON = f"Chinook.Customer.Email: {EMAIL} is not a string"


@pytest.fixture(scope="module")
def spark_lake(spark, tmp_path_factory):
    from cdc.settings import LakeSettings, Settings

    root = tmp_path_factory.mktemp("dlq") / uuid.uuid4().hex[:8]
    settings = Settings(lake=LakeSettings(root=root.resolve().as_uri()))
    yield spark, settings.lake_root, root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pii_key(monkeypatch):
    from spark_jobs import dlq

    monkeypatch.setenv("CDCLAKE_PII__KEY", "unit-test-key-0123456789")
    settings_mod.get_settings.cache_clear()
    dlq.use_settings(settings_mod.get_settings())  # what a job does with its own settings
    yield
    dlq._KEYS.pop("sealing", None)
    settings_mod.get_settings.cache_clear()


def _files_containing(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def _write(spark, lake_root, offset):
    from spark_jobs import dlq

    df = spark.createDataFrame(
        [("chinook.Chinook.Customer", 0, offset, "Chinook.Customer", '{"CustomerId":1}', VALUE, REASON)],
        "topic string, partition int, offset long, table string, key string, value string, reason string",
    )
    dlq.write_dead_letters(df, lake_root)


def test_dead_letters_are_sealed_on_disk_and_exact_when_read(spark_lake, pii_key):
    from spark_jobs import dlq

    spark, lake_root, root = spark_lake
    _write(spark, lake_root, 7)
    files = [p for p in root.rglob("*.parquet")]
    assert files, "the dead-letter table was written"
    assert _files_containing(root, EMAIL) == []
    assert _files_containing(root, dlq.SEALED)  # what is on disk is the sealed form
    row = dlq.show(spark, lake_root, "chinook.Chinook.Customer:0:7")
    assert (row["value"], row["reason"], row["key"]) == (VALUE, REASON, '{"CustomerId":1}')


def test_the_scan_sees_clear_values_when_sealing_is_off(spark_lake, pii_key, monkeypatch):
    """Mutation: without the sealing key the same write leaves the e-mail in clear, and the scan finds it."""
    from spark_jobs import dlq

    spark, lake_root, root = spark_lake
    monkeypatch.setattr(dlq, "sealing_key", lambda: None)
    _write(spark, lake_root, 8)
    assert _files_containing(root, EMAIL)
    shutil.rmtree(root, ignore_errors=True)
