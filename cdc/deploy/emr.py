"""`cdclake deploy upload|start|status|stop`: the job bundle on S3 and its EMR Serverless job runs (boto3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cdc.deploy.bundle import ARCHIVE, ENTRY_POINT, MANIFEST
from cdc.errors import ConfigError, TerminalError

Log = Callable[[str], None]


def _split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ConfigError(f"{uri} is not an s3:// URI", next_step="pass the artifacts location as s3://bucket/prefix")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    return bucket, prefix.strip("/")


def _client(service: str, region: str | None):
    import boto3

    return boto3.client(service, region_name=region)


def upload(bundle_dir: Path, artifacts_uri: str, *, region: str | None = None, log: Log = print) -> list[str]:
    """Upload the bundle under ``artifacts_uri`` (the same relative layout); returns the s3:// URIs written."""
    manifest_path = bundle_dir / MANIFEST
    if not manifest_path.is_file():
        raise ConfigError(f"{bundle_dir} holds no job bundle ({MANIFEST} missing)", next_step="run `cdclake deploy bundle` first")
    manifest = json.loads(manifest_path.read_text())
    bucket, prefix = _split_s3(artifacts_uri)
    s3 = _client("s3", region)
    written = []
    for rel in [*manifest["sha256"], MANIFEST]:
        key = f"{prefix}/{rel}" if prefix else rel
        s3.upload_file(str(bundle_dir / rel), bucket, key, ExtraArgs={"Metadata": {"sha256": manifest["sha256"].get(rel, "")}})
        written.append(f"s3://{bucket}/{key}")
    log(f"uploaded {len(written)} file(s) to {artifacts_uri}")
    return written


def job_spark_conf(artifacts_uri: str, jars: list[str], environment: dict[str, str]) -> dict[str, str]:
    """Spark conf of a job run: the bundle's jars by path (first on the classpath), its Python archive, the settings."""
    base = artifacts_uri.rstrip("/")
    env = {**environment, "CDCLAKE_SPARK__ADD_JARS": "false"}
    conf = {
        # EMR Serverless puts its own Hudi (/usr/lib/hudi) on the classpath only when spark.jars names it:
        # listing the bundle's jars alone makes the tested Hudi and Kafka source the only ones.
        "spark.jars": ",".join(f"{base}/jars/{j}" for j in jars),
        "spark.archives": f"{base}/{ARCHIVE}#cdclake",
        "spark.emr-serverless.driverEnv.PYTHONPATH": "./cdclake",
        "spark.executorEnv.PYTHONPATH": "./cdclake",
        "spark.hadoop.hive.metastore.client.factory.class": "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory",
    }
    for k, v in sorted(env.items()):
        conf[f"spark.emr-serverless.driverEnv.{k}"] = v
        conf[f"spark.executorEnv.{k}"] = v
    return conf


def start(
    application_id: str,
    role_arn: str,
    artifacts_uri: str,
    jars: list[str],
    *,
    environment: dict[str, str],
    arguments: list[str],
    name: str = "cdclake-stream",
    streaming: bool = True,
    log_uri: str | None = None,
    region: str | None = None,
    log: Log = print,
) -> str:
    conf = job_spark_conf(artifacts_uri, jars, environment)
    request: dict[str, Any] = {
        "applicationId": application_id,
        "executionRoleArn": role_arn,
        "name": name,
        "mode": "STREAMING" if streaming else "BATCH",
        "jobDriver": {
            "sparkSubmit": {
                "entryPoint": f"{artifacts_uri.rstrip('/')}/{ENTRY_POINT}",
                "entryPointArguments": arguments,
                "sparkSubmitParameters": " ".join(f"--conf {k}={v}" for k, v in conf.items()),
            }
        },
    }
    if log_uri:
        request["configurationOverrides"] = {"monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": log_uri}}}
    try:
        run_id = _client("emr-serverless", region).start_job_run(**request)["jobRunId"]
    except Exception as e:
        raise TerminalError(
            f"EMR Serverless refused the job run on application {application_id}: {e}",
            next_step="check the application id, that the role may be passed (iam:PassRole), and the region",
        ) from e
    log(f"started job run {run_id} on application {application_id}")
    return run_id


def status(application_id: str, run_id: str | None = None, *, region: str | None = None) -> list[dict[str, str]]:
    """The given run, or every run of the application that is not finished."""
    emr = _client("emr-serverless", region)
    if run_id:
        runs = [emr.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"]]
    else:
        runs = emr.list_job_runs(applicationId=application_id)["jobRuns"]
    return [{"id": r.get("jobRunId") or r.get("id"), "name": r.get("name", ""), "state": r["state"]} for r in runs]


def stop(application_id: str, run_id: str, *, region: str | None = None, log: Log = print) -> str:
    emr = _client("emr-serverless", region)
    emr.cancel_job_run(applicationId=application_id, jobRunId=run_id)
    state = emr.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"]["state"]
    log(f"job run {run_id}: {state}")
    return state
