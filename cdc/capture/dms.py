"""AWS DMS capture: render the task settings, table mappings and Kafka endpoint from the contracts; apply them with boto3.

What the product requires of DMS, and why (docs/dms.md):

* ``IncludeTransactionDetails``: the ``stream-position`` (binlog file:position:row) is the order
  of changes; without it a CDC record cannot be ordered and is dead-lettered.
* ``BeforeImageSettings`` (field ``before-image``, all columns): tells a primary-key change
  (delete old key + create new key) from an update.
* ``IncludeNullAndEmpty``: otherwise DMS leaves NULL and empty columns out of ``data``.
* ``IncludeTableAlterOperations`` + ``IncludeControlDetails``: a changed source table reaches the
  dead-letter table instead of silently mis-typed rows.
* ``BatchApplyEnabled`` false (the DMS guide: batch apply can lose data on a Kafka target);
  limited LOB mode (full LOB mode is not supported on Kafka).
* One topic per table, ``contract.topic()`` = ``<source>.<database>.<table>``, through
  object-mapping rules with ``kafka-target-topic``: the streaming job's topic dispatch is the
  same for both capture paths.

Secrets: the source password is never rendered; the source endpoint reads it from Secrets
Manager (``SecretsManagerSecretId``), the Kafka SASL password is read from Secrets Manager at apply time.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from cdc.decoders.dms import BEFORE_IMAGE_FIELD
from cdc.errors import ConfigError, TerminalError
from cdc.log import Log
from cdc.settings import DmsSettings, Settings
from lakehouse_schemas.contract import TableContract


class DmsConfig(BaseModel):
    """Everything DMS gets for one source, rendered from the contracts."""

    model_config = ConfigDict(frozen=True)

    task_settings: dict[str, Any]
    table_mappings: dict[str, Any]
    kafka_settings: dict[str, Any]


def _mine(contracts: list[TableContract], source: str | None) -> list[TableContract]:
    mine = [c for c in contracts if c.capture_format == "dms" and (source is None or c.source == source)]
    if not mine:
        raise ConfigError(
            f"no DMS contracts{f' for source {source!r}' if source else ''}",
            next_step="set capture_format: dms in the table contracts of the source",
            source=source,
        )
    sources = {c.source for c in mine}
    if len(sources) > 1:
        raise ConfigError(f"one DMS task per source, got {sorted(sources)}", next_step="render per source (--source)")
    return mine


def task_settings(settings: DmsSettings) -> dict[str, Any]:
    return {
        "TargetMetadata": {
            "TargetSchema": "",
            "SupportLobs": True,
            "FullLobMode": False,  # not supported on a Kafka target
            "LobChunkSize": 0,
            "LimitedSizeLobMode": True,
            "LobMaxSize": settings.lob_max_size_kb,
            "BatchApplyEnabled": False,  # DMS guide: batch apply on a Kafka target can lose data
            "ParallelLoadThreads": 0,
            "ParallelApplyThreads": 0,
        },
        "FullLoadSettings": {
            "TargetTablePrepMode": "DO_NOTHING",
            "CreatePkAfterFullLoad": False,
            "StopTaskCachedChangesApplied": False,
            "StopTaskCachedChangesNotApplied": False,
            "MaxFullLoadSubTasks": 8,
            "TransactionConsistencyTimeout": 600,
            "CommitRate": 10000,
        },
        "BeforeImageSettings": {"EnableBeforeImage": True, "FieldName": BEFORE_IMAGE_FIELD, "ColumnFilter": "all"},
        "ChangeProcessingDdlHandlingPolicy": {
            "HandleSourceTableDropped": True,
            "HandleSourceTableTruncated": True,
            "HandleSourceTableAltered": True,
        },
        "ChangeProcessingTuning": {
            "BatchApplyPreserveTransaction": True,
            "CommitTimeout": 1,
            "MemoryLimitTotal": 1024,
            "MemoryKeepTime": 60,
            "StatementCacheSize": 50,
            "MinTransactionSize": 1000,
        },
        "ErrorBehavior": {
            # A record DMS cannot convert must stop the task, not vanish: the lake would silently miss a row.
            "DataErrorPolicy": "STOP_TASK",
            "DataTruncationErrorPolicy": "STOP_TASK",
            "TableErrorPolicy": "STOP_TASK",
            "ApplyErrorDeletePolicy": "LOG_ERROR",
            "ApplyErrorInsertPolicy": "LOG_ERROR",
            "ApplyErrorUpdatePolicy": "LOG_ERROR",
        },
        "Logging": {
            "EnableLogging": True,
            "LogComponents": [
                {"Id": c, "Severity": "LOGGER_SEVERITY_DEFAULT"}
                for c in ("SOURCE_UNLOAD", "SOURCE_CAPTURE", "TARGET_LOAD", "TARGET_APPLY", "TASK_MANAGER")
            ],
        },
    }


def table_mappings(contracts: list[TableContract]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for c in sorted(contracts, key=lambda x: x.qualified_source):
        n = len(rules) + 1
        rules.append(
            {
                "rule-type": "selection",
                "rule-id": str(n),
                "rule-name": f"include-{c.database}-{c.table}",
                "object-locator": {"schema-name": c.database, "table-name": c.table},
                "rule-action": "include",
            }
        )
        rules.append(
            {
                "rule-type": "object-mapping",
                "rule-id": str(n + 1),
                "rule-name": f"topic-{c.database}-{c.table}",
                "rule-action": "map-record-to-record",
                # The Spark job dispatches by topic: the same name as the Debezium path's.
                "kafka-target-topic": c.topic(),
                "object-locator": {"schema-name": c.database, "table-name": c.table},
            }
        )
    return {"rules": rules}


def kafka_settings(settings: DmsSettings, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Broker": settings.broker,
        # Anything not mapped to a table topic; outside the job's <source>.<database>.<table> pattern.
        "Topic": f"_dms-default.{source}",
        "MessageFormat": "json-unformatted",
        "IncludeTransactionDetails": True,
        "IncludePartitionValue": True,
        "PartitionIncludeSchemaTable": True,
        "IncludeTableAlterOperations": True,
        "IncludeControlDetails": True,
        "IncludeNullAndEmpty": True,
        "NoHexPrefix": True,
        "MessageMaxBytes": 1000000,
    }
    if settings.security_protocol != "plaintext":
        out["SecurityProtocol"] = settings.security_protocol
    if settings.security_protocol == "sasl-ssl" and settings.sasl_username:
        out["SaslUsername"] = settings.sasl_username
    return out


def render(contracts: list[TableContract], settings: DmsSettings | None = None, source: str | None = None) -> DmsConfig:
    settings = settings or Settings().dms
    mine = _mine(contracts, source)
    return DmsConfig(
        task_settings=task_settings(settings),
        table_mappings=table_mappings(mine),
        kafka_settings=kafka_settings(settings, mine[0].source),
    )


# --------------------------------------------------------------------------- apply (boto3)


def _sasl_password(settings: DmsSettings, session: Any) -> str | None:
    if settings.security_protocol != "sasl-ssl":
        return None
    if not settings.sasl_username:
        raise ConfigError("sasl-ssl needs a SASL user name", next_step="set CDCLAKE_DMS__SASL_USERNAME")
    if not settings.sasl_password_secret_arn:
        raise ConfigError("sasl-ssl needs the SASL password's secret", next_step="set CDCLAKE_DMS__SASL_PASSWORD_SECRET_ARN")
    sm = session.client("secretsmanager", region_name=settings.region)
    return sm.get_secret_value(SecretId=settings.sasl_password_secret_arn)["SecretString"]


def _find_endpoint(dms: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found = dms.describe_endpoints(Filters=[{"Name": "endpoint-id", "Values": [identifier]}])["Endpoints"]
    except dms.exceptions.ResourceNotFoundFault:
        return None
    return found[0] if found else None


def _find_task(dms: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found = dms.describe_replication_tasks(Filters=[{"Name": "replication-task-id", "Values": [identifier]}])["ReplicationTasks"]
    except dms.exceptions.ResourceNotFoundFault:
        return None
    return found[0] if found else None


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(current.get(k) == v for k, v in wanted.items())


def apply(
    contracts: list[TableContract],
    settings: DmsSettings | None = None,
    *,
    source: str | None = None,
    session: Any = None,
    log: Log = print,
) -> dict[str, str]:
    """Create or update the Kafka target endpoint, the MySQL source endpoint and the replication task.

    Idempotent: what already matches is left alone. A changed task is modified (DMS requires
    the task to be stopped first: stop it, re-run, resume it). Returns the ARNs.
    """
    import boto3

    settings = settings or Settings().dms
    config = render(contracts, settings, source)
    src = _mine(contracts, source)[0].source
    session = session or boto3.session.Session()
    dms = session.client("dms", region_name=settings.region)
    if not settings.replication_instance_arn:
        raise ConfigError("no replication instance", next_step="set CDCLAKE_DMS__REPLICATION_INSTANCE_ARN")

    kafka = dict(config.kafka_settings)
    password = _sasl_password(settings, session)
    target_id = settings.name(settings.target_endpoint_id, src)
    target = _find_endpoint(dms, target_id)
    # The password is write-only in DMS: compare without it, send it only when something changes.
    if target is None:
        target = dms.create_endpoint(
            EndpointIdentifier=target_id,
            EndpointType="target",
            EngineName="kafka",
            KafkaSettings={**kafka, **({"SaslPassword": password} if password else {})},
        )["Endpoint"]
        log(f"created DMS Kafka endpoint {target_id}")
    elif not _same(target.get("KafkaSettings") or {}, kafka):
        target = dms.modify_endpoint(
            EndpointArn=target["EndpointArn"], KafkaSettings={**kafka, **({"SaslPassword": password} if password else {})}
        )["Endpoint"]
        log(f"updated DMS Kafka endpoint {target_id}")

    source_id = settings.name(settings.source_endpoint_id, src)
    source_ep = _find_endpoint(dms, source_id)
    if source_ep is None:
        if not (settings.source_secret_arn and settings.source_secret_access_role_arn):
            raise ConfigError(
                f"source endpoint {source_id} does not exist and no Secrets Manager secret is set",
                next_step="set CDCLAKE_DMS__SOURCE_SECRET_ARN and CDCLAKE_DMS__SOURCE_SECRET_ACCESS_ROLE_ARN",
            )
        source_ep = dms.create_endpoint(
            EndpointIdentifier=source_id,
            EndpointType="source",
            EngineName=settings.source_engine,
            MySQLSettings={
                "SecretsManagerSecretId": settings.source_secret_arn,
                "SecretsManagerAccessRoleArn": settings.source_secret_access_role_arn,
            },
        )["Endpoint"]
        log(f"created DMS source endpoint {source_id}")

    task_id = settings.name(settings.task_id, src)
    wanted = {
        "MigrationType": settings.migration_type,
        "TableMappings": json.dumps(config.table_mappings, sort_keys=True),
        "ReplicationTaskSettings": json.dumps(config.task_settings, sort_keys=True),
    }
    task = _find_task(dms, task_id)
    if task is None:
        task = dms.create_replication_task(
            ReplicationTaskIdentifier=task_id,
            SourceEndpointArn=source_ep["EndpointArn"],
            TargetEndpointArn=target["EndpointArn"],
            ReplicationInstanceArn=settings.replication_instance_arn,
            **wanted,
        )["ReplicationTask"]
        log(f"created DMS replication task {task_id}")
    elif _task_differs(task, wanted):
        if task.get("Status") not in ("stopped", "ready", "failed"):
            raise TerminalError(
                f"replication task {task_id} is {task.get('Status')}; DMS modifies only a stopped task",
                next_step=f"aws dms stop-replication-task --replication-task-arn {task['ReplicationTaskArn']}, then re-run",
            )
        task = dms.modify_replication_task(ReplicationTaskArn=task["ReplicationTaskArn"], **wanted)["ReplicationTask"]
        log(f"updated DMS replication task {task_id}")
    return {
        "target_endpoint_arn": target["EndpointArn"],
        "source_endpoint_arn": source_ep["EndpointArn"],
        "replication_task_arn": task["ReplicationTaskArn"],
    }


def _task_differs(task: dict[str, Any], wanted: dict[str, str]) -> bool:
    if task.get("MigrationType") != wanted["MigrationType"]:
        return True
    try:
        mappings = json.loads(task.get("TableMappings") or "{}")
        current = json.loads(task.get("ReplicationTaskSettings") or "{}")
    except ValueError:
        return True
    if mappings != json.loads(wanted["TableMappings"]):
        return True
    # DMS returns the full settings document with its defaults: compare only what we set.
    want = json.loads(wanted["ReplicationTaskSettings"])
    return any(not _same(current.get(section) or {}, values) for section, values in want.items() if isinstance(values, dict))
