"""`cdclake deploy upload|start|status|stop` against moto's S3 and EMR Serverless."""

from __future__ import annotations

import json
import shlex

import boto3
import pytest
from moto import mock_aws

from cdc import versions
from cdc.deploy import bundle, emr
from cdc.errors import ConfigError

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/cdclake-writer"


@pytest.fixture
def fake_bundle(tmp_path):
    d = tmp_path / "bundle"
    (d / "jars").mkdir(parents=True)
    jars = [versions.jar_file_name(c) for c in versions.JOB_JARS]
    files = {bundle.ARCHIVE: b"archive", bundle.ENTRY_POINT: b"print('job')", **{f"jars/{j}": j.encode() for j in jars}}
    for rel, data in files.items():
        (d / rel).write_bytes(data)
    (d / bundle.MANIFEST).write_text(json.dumps({"jars": jars, "sha256": {rel: "x" for rel in files}}))
    return d, jars, files


@mock_aws
def test_upload_start_status_stop(fake_bundle, monkeypatch):
    d, jars, files = fake_bundle
    sent = []
    real_client = emr._client

    def recording_client(service, region):
        c = real_client(service, region)
        # moto keeps no role or mode of a job run: read them from the request itself.
        c.meta.events.register("provide-client-params.emr-serverless.StartJobRun", lambda params, **_: sent.append(dict(params)))
        return c

    monkeypatch.setattr(emr, "_client", recording_client)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    written = emr.upload(d, "s3://artifacts/jobs", region=REGION, log=lambda _: None)
    assert sorted(written) == sorted(f"s3://artifacts/jobs/{rel}" for rel in [*files, bundle.MANIFEST])
    for rel, data in files.items():
        assert s3.get_object(Bucket="artifacts", Key=f"jobs/{rel}")["Body"].read() == data

    app = boto3.client("emr-serverless", region_name=REGION).create_application(
        name="cdclake-stream", releaseLabel=versions.EMR_PROFILE["release"], type="SPARK"
    )["applicationId"]
    run = emr.start(app, ROLE, "s3://artifacts/jobs", jars, environment={"CDCLAKE_LAKE__ROOT": "s3://lake/warehouse"},
                    arguments=["--trigger", "continuous"], region=REGION, log=lambda _: None)
    got = boto3.client("emr-serverless", region_name=REGION).get_job_run(applicationId=app, jobRunId=run)["jobRun"]
    driver = got["jobDriver"]["sparkSubmit"]
    assert driver["entryPoint"] == "s3://artifacts/jobs/stream.py"
    assert driver["entryPointArguments"] == ["--trigger", "continuous"]
    conf = dict(a.split("=", 1) for a in shlex.split(driver["sparkSubmitParameters"]) if a != "--conf")
    assert conf["spark.jars"].split(",") == [f"s3://artifacts/jobs/jars/{j}" for j in jars]
    assert conf["spark.archives"] == "s3://artifacts/jobs/cdclake-python.tar.gz#cdclake"
    assert conf["spark.emr-serverless.driverEnv.CDCLAKE_LAKE__ROOT"] == "s3://lake/warehouse"
    assert conf["spark.executorEnv.CDCLAKE_SPARK__ADD_JARS"] == "false"
    assert not any("jars.packages" in k for k in conf)  # nothing is downloaded at job start
    assert [(r["executionRoleArn"], r["mode"]) for r in sent] == [(ROLE, "STREAMING")]

    assert [r["id"] for r in emr.status(app, region=REGION)] == [run]
    client = boto3.client("emr-serverless", region_name=REGION)
    assert emr.status(app, run, region=REGION) == [
        {"id": run, "name": "cdclake-stream", "state": client.get_job_run(applicationId=app, jobRunId=run)["jobRun"]["state"]}
    ]
    state = emr.stop(app, run, region=REGION, log=lambda _: None)
    assert state == client.get_job_run(applicationId=app, jobRunId=run)["jobRun"]["state"]
    assert state in {"CANCELLING", "CANCELLED", "SUCCESS"}  # moto finishes runs at once


def test_upload_without_a_bundle_says_what_to_run(tmp_path):
    with pytest.raises(ConfigError, match="cdclake deploy bundle"):
        emr.upload(tmp_path, "s3://artifacts/jobs", region=REGION)


def test_bundle_requirements_leave_spark_to_the_runtime():
    reqs = [r.lower() for r in bundle.runtime_requirements()]
    assert not any(r.startswith(("pyspark", "py4j")) for r in reqs)
    assert any(r.startswith("confluent-kafka") for r in reqs) and any(r.startswith("boto3") for r in reqs)
