"""Least-privilege IAM policy documents generated from the table contracts and ``Settings.access``.

Principals: ``writer`` (the streaming job: reads its change topics, writes every domain's prefix,
registers Glue tables) and one reader per entry of ``access.readers`` (``analysts`` -> general,
``finance`` -> finance by default: read their domains' prefixes and Glue databases, query only
through their own Athena workgroup, write only their workgroup's results prefix).

The lake layout makes this possible: ``<lake root>/<domain>/<target_database>/<table>`` in S3 and
one Glue database ``<target_database>_<domain>`` per domain (``TableContract.glue_database``), so
every grant is a prefix or a database, never a list of tables. Adding a table to a domain changes
no policy text unless it brings a new lake database (then one more Glue database ARN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict

from cdc.errors import ConfigError
from cdc.kafka_security import OFFSETS_READER_GROUP_PREFIX
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

WRITER = "writer"
SYSTEM_DOMAIN = "_system"  # dead letters: the writer's alone (raw change values may hold clear PII)
VERSION = "2012-10-17"

S3_OBJECT_READ = ["s3:GetObject"]
S3_OBJECT_WRITE = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
GLUE_READ = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
]
GLUE_WRITE = [
    *GLUE_READ,
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
]
ATHENA_QUERY = [
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetWorkGroup",
]


class Principal(BaseModel):
    """One IAM role of the lake and the access domains it reaches."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["writer", "reader"]
    domains: tuple[str, ...]


class LakeLocation(BaseModel):
    """Where the lake and the job's checkpoints live in S3 (bucket + key prefixes, no slashes at the ends)."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    prefix: str
    checkpoint_bucket: str | None = None
    checkpoint_prefix: str | None = None

    def domain_prefix(self, domain: str) -> str:
        return _join(self.prefix, domain)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _s3_split(uri: str) -> tuple[str, str] | None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a"):
        return None
    return parsed.netloc, parsed.path.strip("/")


def lake_location(settings: Settings) -> LakeLocation:
    a = settings.access
    split = _s3_split(settings.lake_root)
    bucket = a.bucket or (split[0] if split else None)
    if not bucket:
        raise ConfigError(
            f"the lake root {settings.lake_root} is not in S3, so there is no bucket to grant",
            next_step="set CDCLAKE_LAKE__ROOT=s3a://<bucket>/<prefix> (or CDCLAKE_ACCESS__BUCKET and CDCLAKE_ACCESS__LAKE_PREFIX)",
        )
    prefix = a.lake_prefix if a.lake_prefix is not None else (split[1] if split else "")
    ckpt = _s3_split(settings.checkpoint_root)
    return LakeLocation(
        bucket=bucket, prefix=prefix.strip("/"), checkpoint_bucket=ckpt[0] if ckpt else None, checkpoint_prefix=ckpt[1] if ckpt else None
    )


def domains(contracts: list[TableContract]) -> list[str]:
    return sorted({c.domain for c in contracts})


def principals(settings: Settings, contracts: list[TableContract]) -> list[Principal]:
    known = domains(contracts)
    out = [Principal(name=WRITER, kind="writer", domains=tuple(known))]
    for name, reads in sorted(settings.access.readers.items()):
        if name == WRITER:
            raise ConfigError("access.readers may not define the writer", next_step="rename the reader")
        unknown = sorted(set(reads) - set(known))
        if unknown:
            raise ConfigError(
                f"reader {name!r} is granted domain(s) {unknown} that no contract uses (known: {known})",
                next_step="fix CDCLAKE_ACCESS__READERS or the contracts' `domain` field",
                reader=name,
            )
        out.append(Principal(name=name, kind="reader", domains=tuple(sorted(set(reads)))))
    return out


def workgroup_name(settings: Settings, principal: str) -> str:
    return f"{settings.access.workgroup_prefix}{principal}"


def results_location(settings: Settings, principal: str) -> tuple[str, str]:
    """(bucket, key prefix) of a reader's Athena query results."""
    bucket = settings.access.results_bucket or lake_location(settings).bucket
    return bucket, _join(settings.access.results_prefix, workgroup_name(settings, principal))


class Arns:
    """ARN builders for one account/region/partition."""

    def __init__(self, settings: Settings) -> None:
        a = settings.access
        self.p, self.region, self.account = a.partition, a.region, a.account_id

    def bucket(self, bucket: str) -> str:
        return f"arn:{self.p}:s3:::{bucket}"

    def objects(self, bucket: str, prefix: str) -> str:
        return f"arn:{self.p}:s3:::{_join(bucket, prefix)}/*"

    def glue(self, kind: str, *names: str) -> str:
        return f"arn:{self.p}:glue:{self.region}:{self.account}:{'/'.join([kind, *names])}"

    def workgroup(self, name: str) -> str:
        return f"arn:{self.p}:athena:{self.region}:{self.account}:workgroup/{name}"


def _prefix_condition(prefixes: list[str]) -> dict:
    """ListBucket only under these prefixes: S3 checks the request's ``prefix`` parameter."""
    values = sorted({v for p in prefixes for v in (f"{p}/", f"{p}/*")})
    return {"StringLike": {"s3:prefix": values}}


def _statement(sid: str, actions: list[str], resources: list[str], condition: dict | None = None) -> dict:
    st = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": sorted(set(resources))}
    if condition:
        st["Condition"] = condition
    return st


def _glue_databases(contracts: list[TableContract], domains_: tuple[str, ...]) -> list[str]:
    return sorted({c.glue_database for c in contracts if c.domain in domains_})


def _kms(settings: Settings, actions: list[str]) -> list[dict]:
    if not settings.access.kms_key_arn:
        return []
    # Glue too: the Data Catalog is encrypted with the lake key (terraform glue_catalog).
    r = settings.access.region
    via = {"StringEquals": {"kms:ViaService": [f"glue.{r}.amazonaws.com", f"s3.{r}.amazonaws.com"]}}
    return [_statement("LakeKeyViaS3AndGlue", actions, [settings.access.kms_key_arn], via)]


def writer_policy(settings: Settings, contracts: list[TableContract], principal: Principal) -> dict:
    arn, loc = Arns(settings), lake_location(settings)
    writable = [loc.domain_prefix(d) for d in principal.domains] + [loc.domain_prefix(SYSTEM_DOMAIN)]
    statements = [
        _statement("LakeBucketLocation", ["s3:GetBucketLocation"], [arn.bucket(loc.bucket)]),
        _statement("ListLakeDomains", ["s3:ListBucket"], [arn.bucket(loc.bucket)], _prefix_condition(writable)),
        _statement("WriteLakeDomains", S3_OBJECT_WRITE, [arn.objects(loc.bucket, p) for p in writable]),
    ]
    if loc.checkpoint_bucket and loc.checkpoint_prefix is not None:
        cb, cp = loc.checkpoint_bucket, loc.checkpoint_prefix
        statements += [
            _statement("ListCheckpoints", ["s3:ListBucket"], [arn.bucket(cb)], _prefix_condition([cp])),
            _statement("WriteCheckpoints", S3_OBJECT_WRITE, [arn.objects(cb, cp)]),
        ]
    dbs = _glue_databases(contracts, principal.domains)
    statements.append(
        _statement(
            "GlueRegisterLakeTables",
            GLUE_WRITE,
            [arn.glue("catalog")] + [arn.glue("database", d) for d in dbs] + [arn.glue("table", d, "*") for d in dbs],
        )
    )
    statements += _kms(settings, ["kms:Decrypt", "kms:GenerateDataKey"])
    statements += _msk(settings, contracts)
    statements += _pii_secret(settings)
    if settings.metrics.cloudwatch_namespace:
        # PutMetricData has no resource ARN; the namespace condition keeps the job to its own metrics.
        statements.append(
            _statement("PublishJobMetrics", ["cloudwatch:PutMetricData"], ["*"],
                       {"StringEquals": {"cloudwatch:namespace": [settings.metrics.cloudwatch_namespace]}})
        )
    return {"Version": VERSION, "Statement": statements}


def consumer_group_prefix(source: str) -> str:
    """Spark's Kafka consumer groups of the stream for ``source`` start with this (its groupIdPrefix)."""
    return f"cdclake-{source}-stream"


def _msk(settings: Settings, contracts: list[TableContract]) -> list[dict]:
    cluster = settings.access.msk_cluster_arn
    if not cluster:
        return []
    # arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> -> topic/<name>/<uuid>/<topic>, group/<name>/<uuid>/<group>
    head, _, tail = cluster.partition(":cluster/")
    if not tail:
        raise ConfigError(f"not an MSK cluster ARN: {cluster}", next_step="use arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>")
    # The job subscribes to every table topic of its source databases (stream.topic_pattern): a new
    # table's changes reach the dead-letter table instead of being invisible.
    topics = sorted({f"{head}:topic/{tail}/{c.source}.{c.database}.*" for c in contracts})
    groups = sorted({f"{head}:group/{tail}/{consumer_group_prefix(c.source)}*" for c in contracts})
    if settings.connect.offsets_topic:
        # The scheduled binlog-gap check reads the connector's offsets from the workers' topic (MSK Connect has no REST API).
        topics.append(f"{head}:topic/{tail}/{settings.connect.offsets_topic}")
        groups.append(f"{head}:group/{tail}/{OFFSETS_READER_GROUP_PREFIX}*")
    return [
        _statement("MskConnect", ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], [cluster]),
        _statement("MskReadChangeTopics", ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], topics),
        _statement("MskConsumerGroups", ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], groups),
    ]


def _pii_secret(settings: Settings) -> list[dict]:
    sid = settings.pii.secret_id
    if not sid or not sid.startswith("arn:"):
        return []
    return [_statement("ReadPiiKey", ["secretsmanager:GetSecretValue"], [sid])]


def reader_policy(settings: Settings, contracts: list[TableContract], principal: Principal) -> dict:
    arn, loc = Arns(settings), lake_location(settings)
    readable = [loc.domain_prefix(d) for d in principal.domains]
    rbucket, rprefix = results_location(settings, principal.name)
    wg = workgroup_name(settings, principal.name)
    dbs = _glue_databases(contracts, principal.domains)
    statements = [
        _statement("BucketLocation", ["s3:GetBucketLocation"], [arn.bucket(loc.bucket), arn.bucket(rbucket)]),
        _statement("ListOwnDomains", ["s3:ListBucket"], [arn.bucket(loc.bucket)], _prefix_condition(readable)),
        _statement("ReadOwnDomains", S3_OBJECT_READ, [arn.objects(loc.bucket, p) for p in readable]),
        _statement("ListOwnResults", ["s3:ListBucket"], [arn.bucket(rbucket)], _prefix_condition([rprefix])),
        _statement(
            "WriteOwnResults",
            ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            [arn.objects(rbucket, rprefix)],
        ),
        _statement("AthenaOwnWorkgroup", ATHENA_QUERY, [arn.workgroup(wg)]),
    ]
    if dbs:
        statements.append(
            _statement(
                "GlueReadOwnDomains",
                GLUE_READ,
                [arn.glue("catalog")] + [arn.glue("database", d) for d in dbs] + [arn.glue("table", d, "*") for d in dbs],
            )
        )
    statements += _kms(settings, ["kms:Decrypt", "kms:GenerateDataKey"])
    return {"Version": VERSION, "Statement": statements}


def generate(settings: Settings, contracts: list[TableContract]) -> dict[str, dict]:
    """principal name -> its IAM policy document."""
    out = {}
    for p in principals(settings, contracts):
        out[p.name] = writer_policy(settings, contracts, p) if p.kind == "writer" else reader_policy(settings, contracts, p)
    return out


def s3_only(document: dict) -> dict:
    """The document's S3 statements alone (what an S3-compatible server like MinIO evaluates)."""
    statements = []
    for st in document["Statement"]:
        actions = [a for a in st["Action"] if a.startswith("s3:")]
        if actions:
            statements.append({**st, "Action": actions})
    return {"Version": document["Version"], "Statement": statements}


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def policy_file(out: Path, principal: str) -> Path:
    return out / "iam" / f"{principal}.json"


def write_documents(documents: dict[str, dict], out: Path) -> list[Path]:
    paths = []
    for name, doc in sorted(documents.items()):
        path = policy_file(out, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(doc))
        paths.append(path)
    return paths
