"""Glue table definitions and partition sync, and the Athena runner, against moto (Athena's execution itself is not emulated)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import boto3
import pytest
import requests
from moto import mock_aws

from cdc.catalog import glue
from cdc.query import athena
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


def _moto_results(rows, column_info):
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={"account_id": "123456789012", "region": REGION, "results": [{"rows": rows, "column_info": column_info}]},
        timeout=10,
    )


@mock_aws
def test_athena_runner_starts_polls_and_converts_rows(settings):
    client = boto3.client("athena", region_name=REGION)
    client.create_work_group(Name="cdclake-finance", Configuration={"ResultConfiguration": {"OutputLocation": "s3://corp-lake/athena-results/cdclake-finance/"}})
    cols = [
        {"Name": "InvoiceId", "Type": "integer"},
        {"Name": "Total", "Type": "decimal", "Precision": 10, "Scale": 2},
        {"Name": "InvoiceDate", "Type": "timestamp"},
        {"Name": "_cdc_snapshot", "Type": "boolean"},
        {"Name": "BillingState", "Type": "varchar"},
    ]
    header = {"Data": [{"VarCharValue": c["Name"]} for c in cols]}
    row = {"Data": [{"VarCharValue": "123"}, {"VarCharValue": "13.86"}, {"VarCharValue": "2025-10-03 14:30:00.000"}, {"VarCharValue": "false"}, {}]}
    _moto_results([header, row], cols)

    # moto answers SUCCEEDED at once; the wrapper makes the first polls see QUEUED and RUNNING as Athena does
    class Slow:
        def __init__(self, inner):
            self.inner, self.states = inner, ["QUEUED", "RUNNING", "RUNNING"]

        def get_query_execution(self, **kw):
            q = self.inner.get_query_execution(**kw)
            if self.states:
                q["QueryExecution"]["Status"]["State"] = self.states.pop(0)
            return q

        def __getattr__(self, name):
            return getattr(self.inner, name)

    logs, sleeps = [], []
    res = athena.run(settings, "SELECT 1", database="chinook_finance", client=Slow(client), log=logs.append, sleep=sleeps.append)
    assert res.columns == ("InvoiceId", "Total", "InvoiceDate", "_cdc_snapshot", "BillingState")
    assert res.rows == ((123, Decimal("13.86"), dt.datetime(2025, 10, 3, 14, 30), False, None),)
    assert [m.split(": ")[1].split(",")[0] for m in logs[1:]] == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert len(sleeps) == 3 and logs[0].endswith("started in workgroup cdclake-finance")
    q = client.get_query_execution(QueryExecutionId=res.query_execution_id)["QueryExecution"]
    assert q["WorkGroup"] == "cdclake-finance" and q["QueryExecutionContext"]["Database"] == "chinook_finance"
    assert q["Query"] == "SELECT 1"


@mock_aws
def test_athena_failure_names_the_query_and_reason(settings):
    client = boto3.client("athena", region_name=REGION)

    class Failing:
        def __init__(self, inner):
            self.inner = inner

        def get_query_execution(self, **kw):
            q = self.inner.get_query_execution(**kw)
            q["QueryExecution"]["Status"] = {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: chinook_finance.nope"}
            return q

        def __getattr__(self, name):
            return getattr(self.inner, name)

    with pytest.raises(athena.AthenaQueryFailed, match="workgroup cdclake-finance"):
        athena.run(settings, "SELECT 1", client=client, log=lambda m: None)  # no such workgroup yet
    client.create_work_group(Name="cdclake-finance", Configuration={})
    with pytest.raises(athena.AthenaQueryFailed, match="TABLE_NOT_FOUND"):
        athena.run(settings, "SELECT * FROM nope", client=Failing(client), log=lambda m: None, sleep=lambda s: None)
