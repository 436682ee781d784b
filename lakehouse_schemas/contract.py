"""TableContract: what the lake promises about one source table. One YAML file per table."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cdc.errors import ContractError
from lakehouse_schemas.safe_yaml import load_limited
from lakehouse_schemas.types import GEOMETRY_TYPES, SRID_SUFFIX, SRID_TYPE, LakeType, MySQLType, lake_type, parse_mysql_type

TABLES_PACKAGE = "lakehouse_schemas"
TABLES_DIR = "tables"
# A draft contract (`cdclake contracts init`) gives a table this small at the source one hash bucket:
# the simple index keeps such a table in one file group too (files grow to 120 MB), so the bucket
# index changes nothing about its files and saves each upsert's index lookup. InnoDB's data length
# runs 2-5x the table's snappy Parquet. A larger table keeps the simple index (docs/performance.md, lever 15).
ONE_BUCKET_SOURCE_BYTES = 256 * 1024 * 1024


class Column(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: str = Field(description="the MySQL column type, e.g. 'decimal(10,2)', 'datetime(6)', 'int unsigned'")
    nullable: bool = True
    pii: Literal["hash", "mask", "drop"] | None = None
    # RENAME COLUMN: the lake keeps ``name``; the source now calls the column ``source_name``.
    source_name: str | None = None
    # DROP COLUMN under ``on_missing_column: null``: the lake keeps the column (its past values),
    # the source no longer has it, so the job expects it absent and reconcile leaves it out.
    retired: bool = False
    # DECIMAL headroom: the lake column is decimal(lake_precision, scale), so a later source widening
    # up to this precision is a contract-only change (Hudi cannot widen a decimal in place).
    lake_precision: int | None = Field(None, ge=1, le=38)

    @property
    def wire_name(self) -> str:
        """The field name in the source's change events."""
        return self.source_name or self.name

    @property
    def mysql_type(self) -> MySQLType:
        return parse_mysql_type(self.type)

    @property
    def is_geometry(self) -> bool:
        return self.mysql_type.base in GEOMETRY_TYPES

    @property
    def srid_of(self) -> str | None:
        """For a geometry column's SRID column (``TableContract.lake_columns``): the geometry column's lake name."""
        return self.name.removesuffix(SRID_SUFFIX) if self.type == SRID_TYPE else None

    def srid_column(self) -> Column:
        """The lake's SRID column of this geometry column: read from the same source column, retired with it."""
        return Column.model_construct(
            name=f"{self.name}{SRID_SUFFIX}", type=SRID_TYPE, nullable=True, pii=None,
            source_name=self.wire_name, retired=self.retired, lake_precision=None,
        )

    @property
    def lake_type(self) -> LakeType:
        t = lake_type(self.mysql_type)
        if self.lake_precision and t.kind == "decimal":
            if self.lake_precision < (t.precision or 0):
                raise ValueError(f"{self.name}: lake_precision {self.lake_precision} is below the source precision {t.precision}")
            return replace(t, precision=self.lake_precision)
        return t


FkAction = Literal["CASCADE", "SET NULL", "RESTRICT", "NO ACTION", "SET DEFAULT"]


class ForeignKey(BaseModel):
    """A source foreign key. InnoDB applies its CASCADE / SET NULL actions below the binlog (no row
    events), so the job derives them (spark_jobs/cascade.py, docs/guarantees.md "Cascades")."""

    model_config = ConfigDict(frozen=True)

    name: str
    columns: tuple[str, ...]
    ref_database: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_update: FkAction = "RESTRICT"
    on_delete: FkAction = "RESTRICT"

    @property
    def qualified_ref(self) -> str:
        return f"{self.ref_database}.{self.ref_table}"

    @property
    def cascades(self) -> bool:
        """Whether a parent change changes child rows (what the job has to apply)."""
        return self.on_update in ("CASCADE", "SET NULL") or self.on_delete in ("CASCADE", "SET NULL")


class TableContract(BaseModel):
    """Keys, ordering, partitioning, table type, access domain and columns of one replicated table."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="logical source name; the Kafka topic prefix")
    database: str = Field(description="source database (schema)")
    table: str = Field(description="source table")
    target_database: str = Field(description="lake / Glue database")
    target_table: str = Field(description="lake / Glue table name")
    key: tuple[str, ...] = Field(description="record key columns (the source primary key)")
    ordering: Literal["source_position"] = "source_position"
    partition_by: tuple[str, ...] = ()
    table_type: Literal["COPY_ON_WRITE", "MERGE_ON_READ"] = "COPY_ON_WRITE"
    domain: str = "general"
    capture_format: Literal["debezium", "dms"] = "debezium"
    # current_state: upsert by key (the source primary key, or a declared surrogate key).
    # append_only: a table without a usable key is kept as its change log, one row per change.
    mode: Literal["current_state", "append_only"] = "current_state"
    # A column the source stops sending (DROP COLUMN): park the events (default) or keep the column, NULL from then on.
    on_missing_column: Literal["park", "null"] = "park"
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    # The table's freshness alert threshold; None: CDCLAKE_METRICS__FRESHNESS_ALERT_S (docs/observe.md).
    freshness_alert_s: int | None = Field(None, gt=0)
    # Hash buckets per partition of the current state (Hudi's bucket index): an upsert finds each key's
    # file from its hash, with no index lookup or small-file search. Fixed for the table's life: set it
    # before the first write (docs/performance.md, lever 15). None: Hudi's simple index.
    buckets: int | None = Field(None, gt=0, le=4096)

    @staticmethod
    def draft_buckets(source_bytes: int | None, mode: str = "current_state") -> int | None:
        """The bucket count a draft contract proposes for a source table of ``source_bytes``."""
        small = source_bytes is not None and source_bytes <= ONE_BUCKET_SOURCE_BYTES
        return 1 if small and mode == "current_state" else None

    @field_validator("on_missing_column", mode="before")
    @classmethod
    def _yaml_null(cls, v: object) -> object:
        # `on_missing_column: null` written unquoted, as the docs and sync's advice spell it, is YAML's None.
        return "null" if v is None else v

    @model_validator(mode="after")
    def _check(self) -> TableContract:
        names = [c.name for c in self.columns]
        where = f"{self.database}.{self.table}"
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: duplicate column names")
        wire = [c.wire_name for c in self.columns if not c.retired]
        if len(set(wire)) != len(wire):
            raise ValueError(f"{where}: two columns read the same source column (check source_name)")
        for c in self.columns:
            if c.retired and c.name in self.key:
                raise ValueError(f"{where}: key column {c.name!r} cannot be retired")
        if self.table_type == "MERGE_ON_READ":
            # Written as asked, such a table would be catalogued as copy-on-write: Athena would read its
            # base files only and miss every change still in a log block, while reconcile (Spark's merged
            # view) said equal.
            raise ValueError(
                f"{where}: table_type MERGE_ON_READ is not supported yet (the catalog registers copy-on-write tables and "
                "no compaction is scheduled); set table_type: COPY_ON_WRITE (docs/performance.md, merge-on-read)"
            )
        if not self.key and self.mode == "current_state":
            raise ValueError(
                f"{where}: a record key is required in mode current_state; declare a surrogate key "
                "(unique, non-null columns) or set mode: append_only"
            )
        for k in (*self.key, *self.partition_by):
            if k not in names:
                raise ValueError(f"{where}: key/partition column {k!r} is not a column")
        for c in self.columns:
            c.lake_type  # noqa: B018 - fail early on an unmapped type
            if c.type == SRID_TYPE:
                raise ValueError(f"{where}: column {c.name!r}: {SRID_TYPE!r} is the lake's SRID column of a geometry column, not a source type")
            if c.is_geometry and c.srid_column().name in names:
                raise ValueError(
                    f"{where}: column {c.srid_column().name!r} collides with the lake's SRID column of geometry column {c.name!r}; "
                    f"keep it under another lake name (name: <new name>, source_name: {c.srid_column().name})"
                )
        for fk in self.foreign_keys:
            if len(fk.columns) != len(fk.ref_columns) or not set(fk.columns) <= set(names):
                raise ValueError(f"{where}: foreign key {fk.name!r}: columns {list(fk.columns)} do not match {list(fk.ref_columns)} or the table")
        return self

    @property
    def qualified_source(self) -> str:
        return f"{self.database}.{self.table}"

    @property
    def qualified_target(self) -> str:
        return f"{self.target_database}.{self.target_table}"

    def topic(self) -> str:
        """Debezium's topic naming: <topic.prefix>.<database>.<table>."""
        return f"{self.source}.{self.database}.{self.table}"

    @property
    def fingerprint(self) -> str:
        """Identifies this version of the contract (dead letters record the version they failed under)."""
        import hashlib

        # Foreign keys do not change how events decode: recording them must not replay dead letters.
        # Nor does the alert threshold.
        return hashlib.sha256(self.model_dump_json(exclude={"foreign_keys", "freshness_alert_s"}).encode()).hexdigest()[:16]

    @property
    def lake_columns(self) -> tuple[Column, ...]:
        """The lake table's columns: the contract's, each geometry column followed by its SRID column."""
        if not any(c.is_geometry for c in self.columns) or any(c.srid_of for c in self.columns):
            return self.columns  # no geometry, or already the lake's columns (``cdc.access.pii.lake_view``)
        return tuple(x for c in self.columns for x in ((c, c.srid_column()) if c.is_geometry else (c,)))

    @property
    def source_columns(self) -> tuple[Column, ...]:
        """The columns the source still has (retired ones excluded)."""
        return tuple(c for c in self.columns if not c.retired)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    # Layout: every table of a domain lives under <root>/<domain>/, so access is granted by prefix.
    # Current state, change history and daily snapshots sit side by side in the table's database folder.
    def table_path(self, lake_root: str) -> str:
        return f"{lake_root.rstrip('/')}/{self.domain}/{self.target_database}/{self.target_table}"

    def history_path(self, lake_root: str) -> str:
        return f"{lake_root.rstrip('/')}/{self.domain}/{self.target_database}/{self.history_table}"

    def snapshot_path(self, lake_root: str) -> str:
        return f"{lake_root.rstrip('/')}/{self.domain}/{self.target_database}/{self.snapshot_table}"

    @property
    def history_table(self) -> str:
        return f"{self.target_table}_history"

    @property
    def snapshot_table(self) -> str:
        return f"{self.target_table}_snapshot"

    @property
    def glue_database(self) -> str:
        """One Glue database per (lake database, domain): grants on a domain never reach another's tables."""
        return f"{self.target_database}_{self.domain}"

    @classmethod
    def from_yaml(cls, text: str | bytes, origin: str = "<string>") -> TableContract:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        try:
            return cls.model_validate(load_limited(data))
        except (ValidationError, ValueError, yaml.YAMLError) as exc:
            raise ContractError(f"invalid contract {origin}: {exc}", next_step="fix the YAML file", origin=origin) from exc

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_defaults=False)
        data["columns"] = [{k: v for k, v in c.items() if v is not None and not (k == "retired" and v is False)} for c in data["columns"]]
        if not data["foreign_keys"]:
            del data["foreign_keys"]
        for optional in ("freshness_alert_s", "buckets"):
            if data[optional] is None:
                del data[optional]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def contracts_dir(source: str | None = None, root: Path | None = None) -> Path:
    """``root`` or ``CDCLAKE_CONTRACTS_DIR`` (a folder the running job re-reads), else the contracts packaged with the code."""
    from cdc.settings import get_settings

    base = root or get_settings().contracts_dir or Path(str(resources.files(TABLES_PACKAGE) / TABLES_DIR))
    if isinstance(base, str):  # s3://: only the streaming job reads it (cdc/contracts_remote.py)
        raise ContractError(
            f"CDCLAKE_CONTRACTS_DIR={base} is on S3; this command needs a local folder of contracts",
            next_step="run it with CDCLAKE_CONTRACTS_DIR pointing at a local copy (aws s3 sync), then upload the result",
        )
    return base / source if source else base


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # removed or unreadable between the listing and the read
        raise ContractError(f"cannot read contract {path}: {exc.strerror}", next_step="check the file and its permissions", origin=str(path)) from None


def load_contracts(source: str | None = None, directory: Path | None = None) -> list[TableContract]:
    """Every contract under ``directory`` (default: the packaged ``tables/<source>``)."""
    root = directory or contracts_dir(source)
    files = sorted(root.rglob("*.yaml"))
    if not files:
        raise ContractError(
            f"no contracts under {root}", next_step="write them with `cdclake contracts init` and review them", directory=str(root)
        )
    contracts = [TableContract.from_yaml(_read(f), str(f)) for f in files]
    targets = [c.qualified_target for c in contracts]
    dupes = {t for t in targets if targets.count(t) > 1}
    if dupes:
        raise ContractError(f"two contracts write the same lake table(s) {sorted(dupes)}", next_step="rename target_table")
    return contracts
