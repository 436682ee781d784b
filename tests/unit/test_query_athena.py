"""cdc/query/athena.py: the Athena runner against moto (Athena's execution itself is not emulated)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import boto3
import pytest
import requests
from moto import mock_aws

from cdc.query import athena
from cdc.settings import CatalogSettings, LakeSettings, Settings

REGION = "eu-west-1"


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return Settings(
        lake=LakeSettings(root="s3a://corp-lake/lake"),
        catalog=CatalogSettings(glue_region=REGION, athena_workgroup="cdclake-finance", poll_interval_s=0.01),
    )


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
