"""Glue Data Catalog entries for the lake's Hudi copy-on-write tables, as Athena's Hudi reader needs them.

Per contract three tables in the domain's Glue database ``<target_database>_<domain>``:
``<table>`` (current state), ``<table>_history`` (partition key ``_cdc_ingest_date``) and
``<table>_snapshot`` (partition key ``snapshot_date``). Each is an EXTERNAL_TABLE with Hudi's input
format (``HoodieParquetInputFormat``: reads only the latest file slice of each file group, the
committed state), the Parquet SerDe and output format, a ``s3://`` location, Hudi's five meta
columns first, and partition keys kept out of the column list (Hive's rule). Partitions are
registered one by one (``BatchCreatePartition``) and removed when the lake drops them, which is how
Athena learns about a new snapshot day. The same definitions as Hudi's own Glue sync writes, done
with boto3 because Hudi's sync tool needs the AWS SDK v2 bundle the local stack does not ship.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from cdc import events as ev
from cdc.errors import TerminalError
from cdc.log import Log
from cdc.settings import Settings
from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.types import LAKE_KINDS, LakeType, hive_type

HUDI_INPUT_FORMAT = "org.apache.hudi.hadoop.HoodieParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
HOODIE_META_COLUMNS = H.HUDI_META_COLUMNS
HISTORY_PARTITION = H.HISTORY_PARTITION_COLUMN
SNAPSHOT_PARTITION = H.SNAPSHOT_PARTITION_COLUMN
DELETE_MARKER = H.DELETE_MARKER_COLUMN
STATE_META = (ev.META_OP, ev.META_POS, ev.META_COMMIT_TS, ev.META_SNAPSHOT)


def glue_type(t: LakeType) -> str:
    """Hive type of a lake column (DATETIME and TIMESTAMP are both Hive ``timestamp``; Athena reads them in UTC)."""
    return hive_type(t)


def s3_location(path: str) -> str:
    """Glue and Athena name S3 objects ``s3://``; Spark writes through ``s3a://``."""
    for scheme in ("s3a://", "s3n://"):
        if path.startswith(scheme):
            return "s3://" + path[len(scheme):]
    return path


class GlueTable(BaseModel):
    """One Glue table: the ``TableInput`` of CreateTable/UpdateTable, and its partitions."""

    model_config = ConfigDict(frozen=True)

    database: str
    name: str
    kind: str  # current | history | snapshot
    location: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...] = ()
    record_key: tuple[str, ...]
    ordering_field: str = ev.META_POS
    description: str = ""

    def table_input(self) -> dict:
        params = {
            "EXTERNAL": "TRUE",
            "classification": "hudi",
            "table_type": "HUDI",
            "spark.sql.sources.provider": "hudi",
            H.TABLE_PROPERTY_TYPE: H.COPY_ON_WRITE,
            H.TABLE_PROPERTY_RECORD_KEYS: ",".join(self.record_key),
            H.TABLE_PROPERTY_ORDERING_FIELD: self.ordering_field,
            "cdclake:kind": self.kind,
        }
        if self.partition_keys:
            params[H.TABLE_PROPERTY_PARTITION_FIELDS] = ",".join(n for n, _ in self.partition_keys)
        return {
            "Name": self.name,
            "Description": self.description,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in self.partition_keys],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in self.columns],
                "Location": self.location,
                "InputFormat": HUDI_INPUT_FORMAT,
                "OutputFormat": PARQUET_OUTPUT_FORMAT,
                "Compressed": False,
                "NumberOfBuckets": -1,
                "SerdeInfo": {
                    "SerializationLibrary": PARQUET_SERDE,
                    "Parameters": {"serialization.format": "1", "path": self.location, H.HIVE_QUERY_AS_RO_TABLE: "false"},
                },
                "StoredAsSubDirectories": False,
            },
        }

    def partition_location(self, values: tuple[str, ...]) -> str:
        parts = "/".join(f"{n}={v}" for (n, _), v in zip(self.partition_keys, values, strict=True))
        return f"{self.location.rstrip('/')}/{parts}"

    def partition_input(self, values: tuple[str, ...]) -> dict:
        sd = self.table_input()["StorageDescriptor"]
        return {
            "Values": list(values),
            "StorageDescriptor": {**sd, "Location": self.partition_location(values), "SerdeInfo": {**sd["SerdeInfo"], "Parameters": {"serialization.format": "1"}}},
        }


def _contract_columns(contract: TableContract) -> list[tuple[str, str]]:
    from cdc.access.pii import lake_view

    return [(c.name, glue_type(c.lake_type)) for c in lake_view(contract).columns]


def _meta(names: Iterable[str]) -> list[tuple[str, str]]:
    return [(n, LAKE_KINDS[ev.META_COLUMNS[n]].hive) for n in names]


def table_definitions(contract: TableContract, lake_root: str) -> list[GlueTable]:
    """The current, history and snapshot tables of one contract (Glue names; column names as the lake writes them)."""
    hoodie = [(n, "string") for n in HOODIE_META_COLUMNS]
    cols = _contract_columns(contract)
    db = contract.glue_database
    current = GlueTable(
        database=db,
        name=contract.target_table,
        kind="current",
        location=s3_location(contract.table_path(lake_root)),
        columns=tuple(hoodie + cols + _meta(ev.META_COLUMNS) + [(DELETE_MARKER, "boolean")]),
        partition_keys=tuple((p, dict(cols)[p]) for p in contract.partition_by),
        record_key=tuple(contract.key),
        description=f"{contract.qualified_source}: current state",
    )
    history = GlueTable(
        database=db,
        name=contract.history_table,
        kind="history",
        location=s3_location(contract.history_path(lake_root)),
        columns=tuple(hoodie + cols + _meta(ev.META_COLUMNS)),
        partition_keys=((HISTORY_PARTITION, "string"),),
        record_key=(*contract.key, ev.META_POS),
        description=f"{contract.qualified_source}: every change (op, row image, commit time, position), by ingest date",
    )
    snapshot = GlueTable(
        database=db,
        name=contract.snapshot_table,
        kind="snapshot",
        location=s3_location(contract.snapshot_path(lake_root)),
        columns=tuple(hoodie + cols + _meta(STATE_META)),
        partition_keys=((SNAPSHOT_PARTITION, "string"),),
        record_key=tuple(contract.key),
        description=f"{contract.qualified_source}: full state at the end of each day",
    )
    return [current, history, snapshot]


@dataclass
class SyncReport:
    databases: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    partitions_added: dict[str, int] = field(default_factory=dict)
    partitions_removed: dict[str, int] = field(default_factory=dict)


def glue_client(settings: Settings, client):
    if client is not None:
        return client
    import boto3

    region = settings.catalog.glue_region or settings.access.region
    endpoint = settings.catalog.glue_endpoint
    if not endpoint:
        return boto3.client("glue", region_name=region)
    # An endpoint override is a local Glue emulator (moto), which takes any keys: placeholders when
    # the machine has none, so a fresh clone needs no AWS configuration.
    session = boto3.session.Session(region_name=region)
    keys = {} if session.get_credentials() else {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return session.client("glue", endpoint_url=endpoint, **keys)


def _catalog(settings: Settings) -> dict:
    return {"CatalogId": settings.catalog.catalog_id} if settings.catalog.catalog_id else {}


def _code(exc) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def ensure_database(client, settings: Settings, name: str, domain: str) -> str:
    from botocore.exceptions import ClientError

    try:
        client.get_database(Name=name, **_catalog(settings))
        return "unchanged"
    except ClientError as exc:
        if _code(exc) != "EntityNotFoundException":
            raise TerminalError(f"cannot read Glue database {name}: {exc}", next_step="check AWS credentials and region", database=name) from exc
    client.create_database(
        DatabaseInput={"Name": name, "Description": f"cdclake lake tables of access domain {domain}", "Parameters": {"cdclake:domain": domain}},
        **_catalog(settings),
    )
    return "created"


def ensure_table(client, settings: Settings, table: GlueTable) -> str:
    from botocore.exceptions import ClientError

    wanted = table.table_input()
    try:
        current = client.get_table(DatabaseName=table.database, Name=table.name, **_catalog(settings))["Table"]
    except ClientError as exc:
        if _code(exc) != "EntityNotFoundException":
            raise TerminalError(f"cannot read Glue table {table.database}.{table.name}: {exc}", next_step="check AWS credentials") from exc
        client.create_table(DatabaseName=table.database, TableInput=wanted, **_catalog(settings))
        return "created"
    if _same_table(current, wanted):
        return "unchanged"
    # UpdateTable replaces the definition; skip the archive so a sync does not pile up table versions.
    client.update_table(DatabaseName=table.database, TableInput=wanted, SkipArchive=True, **_catalog(settings))
    return "updated"


def _same_table(current: dict, wanted: dict) -> bool:
    sd, wsd = current.get("StorageDescriptor", {}), wanted["StorageDescriptor"]
    return (
        [(c["Name"], c["Type"]) for c in sd.get("Columns", [])] == [(c["Name"], c["Type"]) for c in wsd["Columns"]]
        and [(c["Name"], c["Type"]) for c in current.get("PartitionKeys", [])] == [(c["Name"], c["Type"]) for c in wanted["PartitionKeys"]]
        and sd.get("Location") == wsd["Location"]
        and sd.get("InputFormat") == wsd["InputFormat"]
        and sd.get("SerdeInfo", {}).get("SerializationLibrary") == wsd["SerdeInfo"]["SerializationLibrary"]
        and all(current.get("Parameters", {}).get(k) == v for k, v in wanted["Parameters"].items())
    )


def glue_partitions(client, settings: Settings, table: GlueTable) -> set[tuple[str, ...]]:
    return set(partition_locations(client, settings, table))


def partition_locations(client, settings: Settings, table: GlueTable) -> dict[tuple[str, ...], str]:
    pages = client.get_paginator("get_partitions").paginate(DatabaseName=table.database, TableName=table.name, **_catalog(settings))
    return {tuple(p["Values"]): p.get("StorageDescriptor", {}).get("Location", "") for page in pages for p in page.get("Partitions", [])}


def sync_partitions(client, settings: Settings, table: GlueTable, values: Iterable[tuple[str, ...]]) -> tuple[int, int]:
    """Make Glue's partitions of ``table`` exactly ``values`` (the partitions the lake holds); (added, removed).

    A partition whose location is not the table's (the lake moved to another root) is removed and
    added again: readers check that partition folders lie under the table's location.
    """
    wanted = {tuple(v) for v in values}
    have = partition_locations(client, settings, table)
    moved = {v for v in wanted & set(have) if have[v] != table.partition_location(v)}
    add = sorted((wanted - set(have)) | moved)
    remove = sorted((set(have) - wanted) | moved)
    for i in range(0, len(remove), 25):  # BatchDeletePartition takes at most 25
        client.batch_delete_partition(
            DatabaseName=table.database, TableName=table.name, PartitionsToDelete=[{"Values": list(v)} for v in remove[i : i + 25]], **_catalog(settings)
        )
    for i in range(0, len(add), 100):  # BatchCreatePartition takes at most 100
        resp = client.batch_create_partition(
            DatabaseName=table.database, TableName=table.name, PartitionInputList=[table.partition_input(v) for v in add[i : i + 100]], **_catalog(settings)
        )
        errors = [e for e in resp.get("Errors", []) if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"]
        if errors:
            raise TerminalError(f"Glue refused partitions of {table.database}.{table.name}: {errors[:3]}", next_step="read the error details")
    return len(add), len(remove)


def sync(
    settings: Settings,
    contracts: list[TableContract],
    partitions: Mapping[str, Iterable[tuple[str, ...]]] | None = None,
    *,
    existing: set[str] | None = None,
    client=None,
    log: Log = print,
) -> SyncReport:
    """Create/update the Glue databases and tables of ``contracts``; keep partitions in step with ``partitions``.

    ``partitions`` maps ``database.table`` to the partition values the lake holds (tables absent from
    it keep their Glue partitions); ``existing``, when given, limits the sync to tables that exist in the lake.
    """
    client = glue_client(settings, client)
    report = SyncReport()
    for c in contracts:
        if c.glue_database not in report.databases:
            report.databases[c.glue_database] = ensure_database(client, settings, c.glue_database, c.domain)
        for t in table_definitions(c, settings.lake_root):
            name = f"{t.database}.{t.name}"
            if existing is not None and name not in existing:
                continue
            report.tables[name] = ensure_table(client, settings, t)
            if t.partition_keys and partitions is not None and name in partitions:
                added, removed = sync_partitions(client, settings, t, partitions[name])
                report.partitions_added[name], report.partitions_removed[name] = added, removed
            log(
                f"glue {name}: {report.tables[name]}"
                + (f", partitions +{report.partitions_added.get(name, 0)} -{report.partitions_removed.get(name, 0)}" if t.partition_keys else "")
            )
    return report
