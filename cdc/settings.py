"""One settings model, read from the environment with the prefix ``CDCLAKE_`` and ``__`` nesting.

Examples: ``CDCLAKE_SOURCE__HOST``, ``CDCLAKE_LAKE__ROOT=s3a://bucket/lake``,
``CDCLAKE_SPARK__MASTER=local[2]``. Secrets (passwords, S3 keys) come from the
environment only; for the local stack, ``cdclake stack up`` generates them into
the state folder (``credentials.json``, mode 0600), never into the repository.
"""

from __future__ import annotations

import json
import os
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from cdc.settings_checks import (
    check_account_id,
    check_arn,
    check_identifier,
    check_port,
    check_region,
    check_topic_prefix,
    settings_error,
    settings_parse_error,
)

ENV_PREFIX = "CDCLAKE_"
# Derived connector server ids lie in [SERVER_ID_BASE, SERVER_ID_BASE + SERVER_ID_SPAN): keep real replicas' ids outside it.
SERVER_ID_BASE = 184_000_000
SERVER_ID_SPAN = 1_000_000

Port = Annotated[int, BeforeValidator(check_port)]
AccountId = Annotated[str, AfterValidator(check_account_id)]
Arn = Annotated[str, AfterValidator(check_arn)]
Region = Annotated[str, AfterValidator(check_region)]
Identifier = Annotated[str, AfterValidator(check_identifier)]
TopicPrefix = Annotated[str, AfterValidator(check_topic_prefix)]
# Debezium's database.ssl.mode values (cdc.capture.debezium.SSL_MODES maps them per flavor).
SslMode = Literal["disabled", "preferred", "required", "verify_ca", "verify_identity"]


def _default_state_dir() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "cdclake"


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cdclake"


class StackSettings(BaseModel):
    """The native local stack: where it keeps data and which loopback ports it uses."""

    state_dir: Path = Field(default_factory=_default_state_dir, description="data, logs, pids")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="downloaded jars and binaries")
    host: str = "127.0.0.1"
    mariadb_port: Port = 13306
    kafka_port: Port = 19092
    kafka_controller_port: Port = 19093
    kafka_sasl_ssl_port: Port | None = Field(
        None, description="opt-in SASL_SSL listener (SCRAM-SHA-512, local CA): what MSK's 9096 looks like"
    )
    connect_port: Port = 18083
    s3_port: Port = 19000
    glue_port: Port = Field(15000, description="opt-in local Glue API (moto server) of `cdclake stack up glue`")
    trino_port: Port = Field(18090, description="opt-in local Trino (Athena's engine) of `cdclake stack up trino`")
    trino_java_home: Path | None = Field(None, description="a JDK 24+ for Trino; default: JAVA_HOME or the usual JDK folders")
    prometheus_port: Port = Field(19090, description="opt-in Prometheus server (`cdclake stack up prometheus`)")
    prometheus_scrape_interval_s: int = Field(15, ge=1, description="scrape and rule evaluation interval of the local Prometheus")
    start_timeout_s: float = 180.0


class SourceSettings(BaseModel):
    """The MySQL-family source that Debezium reads (local MariaDB by default)."""

    name: TopicPrefix = Field("chinook", description="logical source name; the Kafka topic prefix")
    flavor: Literal["mariadb", "mysql"] = "mariadb"
    host: str = "127.0.0.1"
    port: Port = 13306
    user: str = "cdc"
    password: SecretStr | None = None
    admin_user: str = "root"
    admin_password: SecretStr | None = None
    server_id: int | None = Field(
        None, ge=1, le=2**32 - 1, description="CDCLAKE_SOURCE__SERVER_ID; default: derived from the name (effective_server_id)"
    )
    databases: list[Identifier] = Field(default_factory=lambda: ["Chinook"])
    ssl_mode: SslMode = "disabled"
    password_secret_id: str | None = Field(None, description='Secrets Manager secret {"password": ...} (the RDS/Aurora format); the AWS jobs use it')

    @property
    def effective_server_id(self) -> int:
        """The replica server id the connector presents: distinct per source, so two sources' connectors
        on one server do not evict each other ("a slave with the same server_id is already connected").
        Derived: SERVER_ID_BASE + crc32(name) mod SERVER_ID_SPAN, stable across runs and machines."""
        if self.server_id is not None:
            return self.server_id
        return SERVER_ID_BASE + zlib.crc32(self.name.encode()) % SERVER_ID_SPAN


class KafkaSettings(BaseModel):
    """Brokers and how every Kafka client logs in (rendered per client by cdc/kafka_security.py)."""

    bootstrap_servers: str = "127.0.0.1:19092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "AWS_MSK_IAM"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = Field(None, description="CDCLAKE_KAFKA__SASL_PASSWORD; or sasl_secret_id")
    sasl_secret_id: str | None = Field(None, description='Secrets Manager secret {"username","password"} (MSK SCRAM format)')
    ssl_ca_location: Path | None = Field(None, description="PEM file of the brokers' CA; None: the system CAs (enough for MSK)")
    region: str | None = Field(None, description="AWS region of MSK IAM tokens and the SCRAM secret; default: access.region")
    topic_retention_ms: int = Field(
        -1, description="retention of the topics the connector creates: longer than the job's longest outage (-1: forever, the local default)"
    )


class ConnectSettings(BaseModel):
    url: str = "http://127.0.0.1:18083"
    offsets_topic: str | None = Field(
        None,
        description="read the connector's committed offsets from this Kafka topic (the workers' offset.storage.topic) "
        "instead of the REST API: MSK Connect has none",
    )


class LakeSettings(BaseModel):
    """Where the lake lives. ``file://`` by default; ``s3a://bucket/prefix`` for S3 or any S3-compatible store."""

    root: str | None = None
    checkpoint_root: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"


class SparkSettings(BaseModel):
    master: str = "local[2]"
    driver_memory: str = "4g"
    shuffle_partitions: int = 2
    # The tables of a micro-batch are written from this many driver threads at once (1: one after another).
    apply_threads: int = Field(16, ge=1, le=64)
    # The current states of a micro-batch (what readers of the latest rows wait for) are written from at most this
    # many threads, the tables with the most changes first, so they commit one after another instead of all at the end.
    current_state_threads: int = Field(4, ge=1, le=64)
    # A table whose changes in a batch (with those it holds back) are fewer than this is not written that batch: its
    # changes are staged durably and applied with a later write (spark_jobs/staging.py). 0: every table, every batch.
    defer_below: int = Field(0, ge=0)
    # ... but never longer than this: a quiet table's oldest held-back change is applied within about this many seconds.
    defer_seconds: float = Field(60.0, gt=0)
    # False on EMR: the job run's spark.jars carries the bundle's jars (cdc/deploy/emr.py).
    add_jars: bool = True
    jars_dir: Path | None = Field(None, description="take the jars from this folder (a job bundle's jars/) instead of resolving them")


class MetricsSettings(BaseModel):
    """What the streaming job and `cdclake observe exporter` publish (docs/observe.md)."""

    port: int = Field(0, ge=0, le=65535, description="driver port of the job's Prometheus endpoint; 0: not served")
    exporter_port: Port = Field(19109, description="port of `cdclake observe exporter` (connector state, binlog lag)")
    host: str = Field("127.0.0.1", description="address the endpoints bind to (0.0.0.0 on a cluster node)")
    cloudwatch_namespace: str | None = Field(None, description="publish the job's metrics to CloudWatch under this namespace (AWS)")
    freshness_alert_s: int = Field(900, gt=0, description="freshness alert threshold; a contract's freshness_alert_s overrides it")


class AccessSettings(BaseModel):
    """Who may read and write which part of the lake on AWS: the inputs of the generated IAM policies.

    The lake bucket and prefix default to the lake root (``s3a://bucket/prefix``); the domains and
    tables come from the contracts. ``readers`` maps each query principal (an IAM role, an Athena
    workgroup) to the access domains it may read; the writer (the streaming job) writes every domain.
    """

    account_id: AccountId = Field("123456789012", description="AWS account of the Glue catalog and Athena workgroups")
    region: Region = "us-east-1"
    partition: Literal["aws", "aws-cn", "aws-us-gov"] = "aws"
    bucket: str | None = Field(None, description="lake bucket; default: the bucket of the lake root")
    lake_prefix: str | None = Field(None, description="key prefix of the lake root; default: from the lake root")
    kms_key_arn: Arn | None = Field(None, description="KMS key of the lake and the query results (SSE-KMS)")
    msk_cluster_arn: Arn | None = Field(None, description="MSK cluster the writer reads the change topics from")
    readers: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict[str, tuple[str, ...]]({"analysts": ("general",), "finance": ("finance",)}),
        description="query principal -> access domains it may read",
    )
    workgroup_prefix: str = Field("cdclake-", description="Athena workgroup name = prefix + principal")
    results_bucket: str | None = Field(None, description="Athena query results bucket; default: the lake bucket")
    results_prefix: str = Field("athena-results", description="results of workgroup W go to s3://<results bucket>/<prefix>/W/")
    bytes_scanned_cutoff: int = Field(10 * 1024**3, ge=10 * 1024**2, description="Athena cancels a query scanning more bytes")
    role_prefix: str = Field("cdclake-", description="IAM role name of principal P = prefix + P (the deny policies exempt these ARNs)")
    break_glass_role_arn: str | None = Field(None, description="the one role besides a space's own principals that the deny policies let in")
    key_admin_arns: tuple[str, ...] = Field((), description="principals that administer the lake key (never use it); default: the account root")
    key_user_arns: tuple[str, ...] = Field((), description="other principals that may use the lake key outside the lake spaces (e.g. MSK Connect)")


class PiiSettings(BaseModel):
    """The key of the keyed hash for PII columns: from the environment or AWS Secrets Manager, never a file in the repo."""

    key: SecretStr | None = Field(None, description="CDCLAKE_PII__KEY")
    secret_id: str | None = Field(None, description="Secrets Manager secret (name or ARN) whose SecretString is the key")
    secret_region: str | None = None


class TimeTravelSettings(BaseModel):
    """Daily snapshots and as-of queries: where a day ends and how long snapshot partitions stay."""

    day_zone: str = Field("UTC", description="IANA time zone of the day boundary (snapshot dates, bare --as-of dates)")
    snapshot_retention_days: int = Field(400, ge=0, description="snapshot partitions older than this many days are dropped; 0 keeps all")


class CatalogSettings(BaseModel):
    """The AWS Glue Data Catalog that Athena reads, and the Athena defaults of `cdclake query --engine athena`."""

    glue_region: Region | None = Field(None, description="default: access.region")
    catalog_id: AccountId | None = Field(None, description="Glue catalog (account) id; default: the caller's account")
    glue_endpoint: str | None = Field(None, description="Glue API endpoint override: the local stack's Glue (http://127.0.0.1:<stack.glue_port>)")
    athena_workgroup: str = Field("cdclake-analysts", description="workgroup of `cdclake query --engine athena`")
    athena_output: str | None = Field(None, description="s3:// result location when the workgroup does not enforce one")
    athena_catalog: str = "AwsDataCatalog"
    poll_interval_s: float = Field(1.0, gt=0)
    query_timeout_s: float = Field(1800.0, gt=0)


class DmsSettings(BaseModel):
    """DMS deployment settings (env ``CDCLAKE_DMS__*``); identifiers and ARNs only, never a password."""

    region: str = "eu-west-1"
    task_id: str = Field("cdclake-{source}", description="replication task identifier; {source} is the source name")
    target_endpoint_id: str = "cdclake-{source}-kafka"
    source_endpoint_id: str = "cdclake-{source}-mysql"
    replication_instance_arn: str | None = None
    # The source endpoint: a MySQL-compatible server whose credentials live in Secrets Manager.
    source_engine: Literal["mysql", "aurora", "mariadb"] = "aurora"
    source_secret_arn: str | None = None
    source_secret_access_role_arn: str | None = None
    broker: str = "localhost:9092"
    security_protocol: Literal["plaintext", "ssl-encryption", "sasl-ssl"] = "sasl-ssl"
    sasl_username: str | None = None
    sasl_password_secret_arn: str | None = Field(None, description="Secrets Manager secret whose SecretString is the SASL password")
    lob_max_size_kb: int = Field(32, description="limited LOB mode: larger LOB values are truncated by DMS")
    migration_type: Literal["full-load-and-cdc", "cdc"] = "full-load-and-cdc"

    def name(self, template: str, source: str) -> str:
        return template.format(source=source)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore")

    stack: StackSettings = Field(default_factory=StackSettings)
    source: SourceSettings = Field(default_factory=SourceSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    connect: ConnectSettings = Field(default_factory=ConnectSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    timetravel: TimeTravelSettings = Field(default_factory=TimeTravelSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    dms: DmsSettings = Field(default_factory=DmsSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    contracts_dir: Path | str | None = Field(
        None,
        description="CDCLAKE_CONTRACTS_DIR: folder (or s3://bucket/prefix) of <source>/<table>.yaml contracts; default: the packaged lakehouse_schemas/tables",
    )

    @field_validator("contracts_dir", mode="before")
    @classmethod
    def _local_or_s3(cls, v: object) -> object:
        # s3:// stays a string (a Path would fold the "//"); anything else is a local folder.
        if v is None or (isinstance(v, str) and v.startswith(("s3://", "s3a://"))):
            return v
        return Path(str(v))

    @property
    def lake_root(self) -> str:
        return self.lake.root or (self.stack.state_dir / "lake").resolve().as_uri()

    @property
    def checkpoint_root(self) -> str:
        if self.lake.checkpoint_root:
            return self.lake.checkpoint_root
        return (self.stack.state_dir / "checkpoints" / _slug(self.lake_root)).resolve().as_uri()

    def local_credentials(self) -> dict[str, str]:
        """Secrets the local stack generated; empty when the stack was never started here."""
        path = self.stack.state_dir / "credentials.json"
        if path.exists():
            return json.loads(path.read_text())
        return {}

    def source_password(self) -> str:
        if self.source.password is None and self.source.password_secret_id:
            from cdc.secrets import secret_json

            return secret_json(self.source.password_secret_id, self.access.region, "CDCLAKE_SOURCE__PASSWORD_SECRET_ID")["password"]
        return _secret(self.source.password, self.local_credentials().get("source_password"), "CDCLAKE_SOURCE__PASSWORD")

    def source_admin_password(self) -> str:
        return _secret(
            self.source.admin_password, self.local_credentials().get("source_admin_password"), "CDCLAKE_SOURCE__ADMIN_PASSWORD"
        )

    def s3_credentials(self) -> tuple[str, str]:
        creds = self.local_credentials()
        access = _secret(self.lake.s3_access_key, creds.get("s3_access_key"), "CDCLAKE_LAKE__S3_ACCESS_KEY")
        secret = _secret(self.lake.s3_secret_key, creds.get("s3_secret_key"), "CDCLAKE_LAKE__S3_SECRET_KEY")
        return access, secret

    def s3_endpoint(self) -> str | None:
        if self.lake.s3_endpoint:
            return self.lake.s3_endpoint
        if self.local_credentials().get("s3_access_key"):
            return f"http://{self.stack.host}:{self.stack.s3_port}"
        return None


def _slug(uri: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in uri).strip("_")[-80:]


def _secret(value: SecretStr | None, fallback: str | None, env: str) -> str:
    if value is not None:
        return value.get_secret_value()
    if fallback:
        return fallback
    from cdc.errors import ConfigError

    raise ConfigError(f"no secret given for {env}", next_step=f"export {env}=... or start the local stack with `cdclake stack up`")


def load_settings() -> Settings:
    """Settings from the environment; a bad value is a ConfigError with one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc, Settings, ENV_PREFIX) from None
    except SettingsError as exc:  # a nested field's variable that is not JSON (e.g. CDCLAKE_ACCESS__READERS)
        raise settings_parse_error(exc, ENV_PREFIX) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
