from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from cdc import versions
from cdc.errors import ContractError
from cdc.settings import Settings
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas import load_contracts
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.types import parse_mysql_type

ROOT = Path(__file__).resolve().parents[2]


def test_chinook_contracts_cover_every_table():
    contracts = load_contracts("chinook")
    assert {c.table for c in contracts} == {
        "Album", "Artist", "Customer", "Employee", "Genre", "Invoice", "InvoiceLine",
        "MediaType", "Playlist", "PlaylistTrack", "Track",
    }
    pt = next(c for c in contracts if c.table == "PlaylistTrack")
    assert pt.key == ("PlaylistId", "TrackId")
    inv = next(c for c in contracts if c.table == "Invoice")
    assert inv.domain == "finance"
    assert inv.column("Total").lake_type.kind == "decimal"
    assert (inv.column("Total").lake_type.precision, inv.column("Total").lake_type.scale) == (10, 2)
    assert inv.column("InvoiceDate").lake_type.kind == "timestamp_ntz"  # DATETIME is wall-clock
    assert inv.table_path("s3a://b/lake") == "s3a://b/lake/finance/chinook/invoice"


@pytest.mark.parametrize(
    "text,kind,wire",
    [
        ("bigint unsigned", "decimal", "decimal_number"),  # precise + value.converter.decimal.format=NUMERIC
        ("int unsigned", "long", "number"),
        ("decimal(65,30)", "string", "decimal_string"),  # above Spark's 38 digits: exact text, never rounded
        ("decimal(38,10)", "decimal", "decimal_string"),
        ("datetime(6)", "timestamp_ntz", "epoch_micros"),
        ("datetime", "timestamp_ntz", "epoch_millis"),
        ("timestamp(3)", "timestamp", "zoned_string"),
        ("bit(1)", "boolean", "boolean"),
        ("varbinary(16)", "binary", "base64"),
        ("enum('a','b')", "string", "string"),
    ],
)
def test_type_mapping(text, kind, wire):
    t = parse_mysql_type(text)
    from lakehouse_schemas.types import lake_type

    lt = lake_type(t)
    assert (lt.kind, lt.wire) == (kind, wire)


def test_contract_rejects_missing_key_column():
    with pytest.raises(ContractError, match="not a column"):
        TableContract.from_yaml(
            "source: s\ndatabase: d\ntable: t\ntarget_database: d\ntarget_table: t\nkey: [nope]\ncolumns:\n- {name: id, type: int}\n"
        )


def test_hudi_options_write_version_6_with_event_time_ordering():
    inv = next(c for c in load_contracts("chinook") if c.table == "Invoice")
    opts = H.write_options(inv)
    assert opts[H.WRITE_TABLE_VERSION] == "6"
    assert opts[H.PRECOMBINE_FIELD] == "_cdc_pos"
    assert opts[H.OPERATION] == "upsert"
    assert opts[H.RECORD_KEY] == "InvoiceId"
    assert opts[H.PAYLOAD_CLASS].endswith("DefaultHoodieRecordPayload")


def test_pyspark_pin_is_in_one_place():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pyspark=={versions.PYSPARK}" in deps
    import pyspark

    assert pyspark.__version__ == versions.PYSPARK


def test_connector_config_has_no_secret_and_matches_contracts():
    from cdc.capture.debezium import render

    settings = Settings()
    contracts = load_contracts("chinook")
    cfg = render(settings.model_copy(), contracts)
    assert cfg["database.password"] == "${env:CDCLAKE_SOURCE__PASSWORD}"
    assert cfg["decimal.handling.mode"] == "string"
    from cdc.capture.debezium import signal_collection

    signals = signal_collection(settings.source.name)
    tables = cfg["table.include.list"].split(",")
    assert re.escape(signals) in tables and cfg["signal.data.collection"] == signals
    tables.remove(re.escape(signals))
    assert len(tables) == len(contracts)
    assert all(re.fullmatch(t, f"{c.database}.{c.table}") for t, c in zip(sorted(tables), sorted(contracts, key=lambda c: re.escape(c.qualified_source)), strict=True))
    msk = render(settings, contracts, target="msk", secret_arn="arn:aws:secretsmanager:eu-west-1:1:secret:x")
    assert msk["database.password"].startswith("${secretsmanager:arn:aws:secretsmanager")
    assert "password" not in json.dumps({k: v for k, v in msk.items() if k != "database.password"}).lower().replace("database.password", "")


def test_topic_pattern_matches_table_topics_only():
    from spark_jobs.stream import topic_pattern

    pat = re.compile(topic_pattern(load_contracts("chinook")))
    assert pat.match("chinook.Chinook.Invoice")
    assert pat.match("chinook.Chinook.NewTable")  # a new table is seen (and reported) without a restart
    assert not pat.match("chinook.transaction")
    assert not pat.match("chinook")
    assert not pat.match("_schema-history.chinook")


GEO_YAML = """
source: s
database: db
table: places
target_database: db
target_table: places
key: [id]
columns:
- {name: id, type: int, nullable: false}
- {name: g, type: geometry}
- {name: note, type: varchar(10)}
- {name: pt, type: point, pii: drop}
"""


def test_a_geometry_column_has_an_srid_column_in_the_lake_and_glue():
    from cdc.access.pii import lake_view
    from cdc.catalog.glue import _contract_columns

    c = TableContract.from_yaml(GEO_YAML)
    assert [(x.name, x.lake_type.kind) for x in c.lake_columns] == [
        ("id", "int"), ("g", "binary"), ("g__srid", "int"), ("note", "string"), ("pt", "binary"), ("pt__srid", "int")
    ]
    assert [x.name for x in c.columns] == ["id", "g", "note", "pt"]  # the contract (and its YAML) lists the geometry only
    assert "srid" not in c.to_yaml()
    # A dropped PII geometry column takes its SRID column with it; the Glue table has what the lake has.
    assert [x.name for x in lake_view(c).columns] == ["id", "g", "g__srid", "note"]
    assert _contract_columns(c) == [("id", "int"), ("g", "binary"), ("g__srid", "int"), ("note", "string")]


def test_a_source_column_named_like_the_srid_column_is_refused():
    clash = GEO_YAML + "- {name: g__srid, type: int}\n"
    with pytest.raises(ContractError, match=r"'g__srid' collides with the lake's SRID column of geometry column 'g'.*source_name: g__srid"):
        TableContract.from_yaml(clash)
    renamed = GEO_YAML + "- {name: g_srid_src, type: int, source_name: g__srid}\n"
    assert "g__srid" in [x.name for x in TableContract.from_yaml(renamed).lake_columns]
    with pytest.raises(ContractError, match="not a source type"):
        TableContract.from_yaml(GEO_YAML + "- {name: s, type: srid}\n")


def test_a_draft_gives_one_bucket_to_a_small_keyed_table_only():
    from lakehouse_schemas.contract import ONE_BUCKET_SOURCE_BYTES

    assert TableContract.draft_buckets(16384) == 1  # an empty InnoDB table
    assert TableContract.draft_buckets(ONE_BUCKET_SOURCE_BYTES) == 1
    assert TableContract.draft_buckets(ONE_BUCKET_SOURCE_BYTES + 1) is None  # large: the simple index
    assert TableContract.draft_buckets(None) is None  # size unknown
    assert TableContract.draft_buckets(16384, "append_only") is None  # a change log keyed by change id


def test_a_merge_on_read_contract_is_refused_until_the_catalog_and_compaction_support_it():
    """The catalog registers copy-on-write tables: a merge-on-read table's log blocks would be invisible to Athena."""
    base = "source: s\ndatabase: d\ntable: t\ntarget_database: d\ntarget_table: t\nkey: [id]\ncolumns:\n- {name: id, type: int}\n"
    with pytest.raises(ContractError, match=r"d\.t: table_type MERGE_ON_READ is not supported yet .* set table_type: COPY_ON_WRITE"):
        TableContract.from_yaml(base + "table_type: MERGE_ON_READ\n")
    assert TableContract.from_yaml(base + "table_type: COPY_ON_WRITE\n").table_type == "COPY_ON_WRITE"
