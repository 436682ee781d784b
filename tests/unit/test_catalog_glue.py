"""cdc/catalog/glue.py: Glue table definitions and partition sync, against moto."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from cdc.catalog import glue
from cdc.query.asof import time_travel_contracts
from cdc.settings import CatalogSettings, LakeSettings, Settings
from lakehouse_schemas import load_contracts

REGION = "eu-west-1"
CONTRACTS = time_travel_contracts(load_contracts("chinook"))
INVOICE = next(c for c in CONTRACTS if c.table == "Invoice")


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return Settings(
        lake=LakeSettings(root="s3a://corp-lake/lake"),
        catalog=CatalogSettings(glue_region=REGION, athena_workgroup="cdclake-finance", poll_interval_s=0.01),
    )


def test_table_definitions_are_what_athenas_hudi_reader_needs(settings):
    current, history, snapshot = glue.table_definitions(INVOICE, settings.lake_root)
    for t in (current, history, snapshot):
        ti = t.table_input()
        sd = ti["StorageDescriptor"]
        assert t.database == "chinook_finance"
        assert ti["TableType"] == "EXTERNAL_TABLE" and ti["Parameters"]["EXTERNAL"] == "TRUE"
        assert sd["InputFormat"] == "org.apache.hudi.hadoop.HoodieParquetInputFormat"
        assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
        assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
        assert sd["Location"].startswith("s3://corp-lake/lake/finance/chinook/")  # s3://, never s3a://
        assert [c["Name"] for c in sd["Columns"][:5]] == list(glue.HOODIE_META_COLUMNS)
        names = [c["Name"] for c in sd["Columns"]]
        assert len(names) == len(set(names))
        assert not {k["Name"] for k in ti["PartitionKeys"]} & set(names)  # Hive: partition keys are not columns
        assert ti["Parameters"]["hoodie.table.type"] == "COPY_ON_WRITE"
    types = {c["Name"]: c["Type"] for c in current.table_input()["StorageDescriptor"]["Columns"]}
    assert types["Total"] == "decimal(10,2)" and types["InvoiceDate"] == "timestamp" and types["InvoiceId"] == "int"
    assert types["_cdc_commit_ts"] == "timestamp" and types["_cdc_offset"] == "bigint" and types["_hoodie_is_deleted"] == "boolean"
    assert current.name == "invoice" and current.partition_keys == ()
    assert history.name == "invoice_history" and history.partition_keys == (("_cdc_ingest_date", "string"),)
    assert history.table_input()["Parameters"]["hoodie.table.recordkey.fields"] == "InvoiceId,_cdc_pos"
    assert snapshot.name == "invoice_snapshot" and snapshot.partition_keys == (("snapshot_date", "string"),)
    assert snapshot.partition_location(("2025-10-03",)) == "s3://corp-lake/lake/finance/chinook/invoice_snapshot/snapshot_date=2025-10-03"
    # a dropped PII column is absent from every definition
    customer = next(c for c in CONTRACTS if c.table == "Customer")
    dropped = {c.name for c in customer.columns if c.pii == "drop"}
    assert dropped and not dropped & {c for t in glue.table_definitions(customer, settings.lake_root) for c, _ in t.columns}


@mock_aws
def test_sync_creates_databases_tables_and_keeps_partitions_in_step(settings):
    client = boto3.client("glue", region_name=REGION)
    snaps = {"chinook_finance.invoice_snapshot": [("2025-10-01",), ("2025-10-02",), ("2025-10-03",)]}
    report = glue.sync(settings, CONTRACTS, snaps, client=client, log=lambda m: None)
    dbs = {d["Name"] for d in client.get_databases()["DatabaseList"]}
    assert dbs == {c.glue_database for c in CONTRACTS} == {"chinook_finance", "chinook_general"}
    assert set(report.tables.values()) == {"created"} and len(report.tables) == 3 * len(CONTRACTS)
    t = client.get_table(DatabaseName="chinook_finance", Name="invoice_history")["Table"]
    assert t["StorageDescriptor"]["InputFormat"] == glue.HUDI_INPUT_FORMAT
    assert [k["Name"] for k in t["PartitionKeys"]] == ["_cdc_ingest_date"]
    assert t["Parameters"]["hoodie.table.recordkey.fields"] == "InvoiceId,_cdc_pos"
    parts = client.get_partitions(DatabaseName="chinook_finance", TableName="invoice_snapshot")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["2025-10-01", "2025-10-02", "2025-10-03"]
    loc = {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in parts}
    assert loc["2025-10-02"].endswith("/invoice_snapshot/snapshot_date=2025-10-02")

    # retention dropped a day, a new day was built: Glue follows; unchanged tables are not rewritten
    snaps = {"chinook_finance.invoice_snapshot": [("2025-10-02",), ("2025-10-03",), ("2025-10-04",)]}
    report = glue.sync(settings, CONTRACTS, snaps, client=client, log=lambda m: None)
    assert set(report.tables.values()) == {"unchanged"}
    assert report.partitions_added["chinook_finance.invoice_snapshot"] == 1
    assert report.partitions_removed["chinook_finance.invoice_snapshot"] == 1
    parts = client.get_partitions(DatabaseName="chinook_finance", TableName="invoice_snapshot")["Partitions"]
    assert sorted(p["Values"][0] for p in parts) == ["2025-10-02", "2025-10-03", "2025-10-04"]

    # a drifted definition (someone changed the input format) is put back
    bad = glue.table_definitions(INVOICE, settings.lake_root)[0].table_input()
    bad["StorageDescriptor"]["InputFormat"] = "org.apache.hadoop.mapred.TextInputFormat"
    client.update_table(DatabaseName="chinook_finance", TableInput=bad)
    report = glue.sync(settings, [INVOICE], None, client=client, log=lambda m: None)
    assert report.tables["chinook_finance.invoice"] == "updated"
    t = client.get_table(DatabaseName="chinook_finance", Name="invoice")["Table"]
    assert t["StorageDescriptor"]["InputFormat"] == glue.HUDI_INPUT_FORMAT


@mock_aws
def test_sync_moves_partitions_when_the_lake_moves(settings):
    """Trino refuses a partition outside its table's location: a moved lake re-registers its partitions."""
    client = boto3.client("glue", region_name=REGION)
    snaps = {"chinook_finance.invoice_snapshot": [("2025-10-01",), ("2025-10-02",)]}
    glue.sync(settings, [INVOICE], snaps, client=client, log=lambda m: None)
    moved = settings.model_copy(update={"lake": LakeSettings(root="s3a://corp-lake/other/lake")})
    report = glue.sync(moved, [INVOICE], snaps, client=client, log=lambda m: None)
    assert report.tables["chinook_finance.invoice_snapshot"] == "updated"
    assert report.partitions_added["chinook_finance.invoice_snapshot"] == 2
    assert report.partitions_removed["chinook_finance.invoice_snapshot"] == 2
    parts = client.get_partitions(DatabaseName="chinook_finance", TableName="invoice_snapshot")["Partitions"]
    assert sorted(p["StorageDescriptor"]["Location"] for p in parts) == [
        "s3://corp-lake/other/lake/finance/chinook/invoice_snapshot/snapshot_date=2025-10-01",
        "s3://corp-lake/other/lake/finance/chinook/invoice_snapshot/snapshot_date=2025-10-02",
    ]
    report = glue.sync(moved, [INVOICE], snaps, client=client, log=lambda m: None)
    assert report.partitions_added["chinook_finance.invoice_snapshot"] == report.partitions_removed["chinook_finance.invoice_snapshot"] == 0
