"""The source database: connections, CDC prerequisite checks, and schema reflection into draft contracts."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from urllib.parse import quote_plus

import pymysql
import sqlalchemy as sa

from cdc.settings import Settings
from lakehouse_schemas.contract import Column, ForeignKey, TableContract
from lakehouse_schemas.evolution import SourceColumn

MIN_BINLOG_RETENTION_S = 24 * 3600


def connect(settings: Settings, *, admin: bool = False, database: str | None = None, **kw) -> pymysql.Connection:
    s = settings.source
    return pymysql.connect(
        host=s.host,
        port=s.port,
        user=s.admin_user if admin else s.user,
        password=settings.source_admin_password() if admin else settings.source_password(),
        database=database,
        charset="utf8mb4",
        connect_timeout=10,
        **kw,
    )


def engine(settings: Settings, *, admin: bool = True, database: str | None = None) -> sa.Engine:
    s = settings.source
    user = s.admin_user if admin else s.user
    pw = settings.source_admin_password() if admin else settings.source_password()
    url = f"mysql+pymysql://{quote_plus(user)}:{quote_plus(pw)}@{s.host}:{s.port}/{database or ''}?charset=utf8mb4"
    return sa.create_engine(url, pool_pre_ping=True)


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


def check_source(settings: Settings, contracts: list[TableContract]) -> list[Finding]:
    """Checks what Debezium (and DMS) need from a MySQL-family source, as the CDC user sees it."""
    findings: list[Finding] = []
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        version = cur.fetchone()[0]
        findings.append(Finding("server version", True, version))

        def var(name: str) -> str | None:
            cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
            row = cur.fetchone()
            return row[1] if row else None

        aurora = var("aurora_version")
        log_bin = var("log_bin")
        findings.append(
            Finding(
                "binary log enabled",
                (log_bin or "").upper() == "ON",
                f"log_bin={log_bin}",
                "Aurora: set binlog_format in the DB cluster parameter group and reboot the writer; MySQL/MariaDB: start with --log-bin",
            )
        )
        fmt = var("binlog_format")
        findings.append(
            Finding("binlog_format=ROW", (fmt or "").upper() == "ROW", f"binlog_format={fmt}", "SET GLOBAL binlog_format='ROW' (Aurora: cluster parameter group)")
        )
        image = var("binlog_row_image")
        findings.append(
            Finding(
                "binlog_row_image=FULL",
                (image or "FULL").upper() == "FULL",
                f"binlog_row_image={image}",
                "SET GLOBAL binlog_row_image='FULL' (Aurora: cluster parameter group)",
            )
        )
        retention = _binlog_retention_seconds(cur, var, aurora is not None)
        findings.append(
            Finding(
                "binlog retention >= 24h",
                retention is not None and (retention == 0 and aurora is None or retention >= MIN_BINLOG_RETENTION_S),
                f"retention={'unlimited' if retention == 0 else retention}s",
                "Aurora: CALL mysql.rds_set_configuration('binlog retention hours', 168); MySQL: binlog_expire_logs_seconds=604800",
            )
        )
        cur.execute("SHOW GRANTS")
        grants = " ".join(r[0].upper() for r in cur.fetchall())
        all_privs = "ALL PRIVILEGES ON *.*" in grants
        for priv, alternatives in (
            ("SELECT", ("SELECT",)),
            ("RELOAD", ("RELOAD",)),
            ("SHOW DATABASES", ("SHOW DATABASES",)),
            ("REPLICATION SLAVE", ("REPLICATION SLAVE", "REPLICATION REPLICA")),
            ("REPLICATION CLIENT", ("REPLICATION CLIENT", "BINLOG MONITOR")),
        ):
            ok = all_privs or any(a in grants for a in alternatives)
            findings.append(
                Finding(
                    f"grant {priv}",
                    ok,
                    "granted" if ok else "missing",
                    f"GRANT {priv} ON *.* TO '{settings.source.user}'@'%'",
                )
            )
        for c in contracts:
            cur.execute(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
                "WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s AND CONSTRAINT_NAME='PRIMARY' ORDER BY ORDINAL_POSITION",
                (c.database, c.table),
            )
            pk = tuple(r[0] for r in cur.fetchall())
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s", (c.database, c.table)
            )
            exists = cur.fetchone()[0] == 1
            if not exists:
                findings.append(Finding(f"table {c.qualified_source}", False, "does not exist (or the CDC user cannot see it)", f"GRANT SELECT ON {c.database}.* TO '{settings.source.user}'@'%'"))
                continue
            if not pk:
                policy = "append-only change log" if c.mode == "append_only" else f"declared surrogate key {list(c.key)}"
                findings.append(
                    Finding(
                        f"primary key {c.qualified_source}",
                        True,
                        f"no primary key; contract policy: {policy}",
                        "a surrogate key must be unique and non-null in the source, or updates will merge rows",
                    )
                )
                continue
            findings.append(
                Finding(
                    f"primary key {c.qualified_source}",
                    pk == tuple(c.key),
                    f"source PK {list(pk)}, contract key {list(c.key)}",
                    "make the contract's key equal the primary key, or declare a surrogate key (see README: tables without a primary key)",
                )
            )
    if contracts:
        from cdc.foreign_keys import describe

        live = {c.qualified_source: foreign_keys(settings, c.database, c.table) for c in contracts}
        findings += [Finding(*f) for f in describe(contracts, live)]
        # Reported, not failed: a table without a contract is simply not captured.
        missing = uncontracted_tables(settings, contracts)
        findings.append(
            Finding(
                "tables without a contract",
                True,
                f"not captured: {', '.join(missing)}" if missing else "none",
                "write a contract (cdclake contracts init --database DB --out DIR; review), then cdclake capture register",
            )
        )
    return findings


def _binlog_retention_seconds(cur, var, aurora: bool) -> int | None:
    if aurora:
        try:
            cur.execute("CALL mysql.rds_show_configuration")
            for name, value, *_ in cur.fetchall():
                if name == "binlog retention hours":
                    return int(value) * 3600 if value not in (None, "NULL") else None
        except pymysql.MySQLError:
            return None
    seconds = var("binlog_expire_logs_seconds")
    if seconds not in (None, ""):
        return int(seconds)
    days = var("expire_logs_days")
    return int(float(days) * 86400) if days not in (None, "") else None


def reflect_contracts(settings: Settings, database: str, *, source: str | None = None, domain: str = "general") -> list[TableContract]:
    """Draft contracts for every base table of ``database`` (SQLAlchemy reflection)."""
    eng = engine(settings, database=database)
    insp = sa.inspect(eng)
    sizes = table_bytes(settings, database)
    contracts = []
    for table in sorted(insp.get_table_names(schema=database)):
        with warnings.catch_warnings():
            # SQLAlchemy's MySQL dialect has no spatial types and warns about every geometry column while
            # reflecting the key; the column types come from information_schema below, geometry included.
            warnings.filterwarnings("ignore", message="Did not recognize type", category=sa.exc.SAWarning)
            pk = insp.get_pk_constraint(table, schema=database).get("constrained_columns") or []
        # information_schema's COLUMN_TYPE is the exact source type (unsigned, fsp, enum values);
        # SQLAlchemy's generic types would lose some of it.
        cols = [Column(name=s.name, type=s.type, nullable=s.nullable) for s in source_columns(settings, database, table)]
        fks = foreign_keys(settings, database, table)
        # No primary key: the draft is an append-only change log; a reviewer may declare a surrogate key instead.
        key = pk
        mode = "current_state" if key else "append_only"
        contracts.append(
            TableContract(
                source=source or settings.source.name,
                database=database,
                table=table,
                target_database=_snake(database),
                target_table=_snake(table),
                key=tuple(key),
                mode=mode,
                domain=domain,
                columns=tuple(cols),
                foreign_keys=tuple(fks),
                buckets=TableContract.draft_buckets(sizes.get(table), mode),
            )
        )
    eng.dispose()
    return contracts


def table_bytes(settings: Settings, database: str) -> dict[str, int]:
    """Each base table's data length at the source (information_schema's estimate, as InnoDB keeps it)."""
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA=%s AND TABLE_TYPE='BASE TABLE'",
            (database,),
        )
        return {name: int(size or 0) for name, size in cur.fetchall()}


def source_columns(settings: Settings, database: str, table: str) -> list[SourceColumn]:
    """The live table's columns (name, exact type, nullability, default), in table order; [] when it does not exist."""
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s ORDER BY ORDINAL_POSITION",
            (database, table),
        )
        return [SourceColumn(name, _normalise_type(ctype), nullable == "YES", default) for name, ctype, nullable, default in cur.fetchall()]


def foreign_keys(settings: Settings, database: str, table: str) -> list[ForeignKey]:
    """The table's foreign keys with their ON UPDATE / ON DELETE actions (information_schema)."""
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, "
            "r.UPDATE_RULE, r.DELETE_RULE FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA "
            "AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME "
            "WHERE k.TABLE_SCHEMA=%s AND k.TABLE_NAME=%s AND k.REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            (database, table),
        )
        rows = cur.fetchall()
    by_name: dict[str, list] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    return [
        ForeignKey(
            name=name,
            columns=tuple(r[1] for r in rs),
            ref_database=rs[0][2],
            ref_table=rs[0][3],
            ref_columns=tuple(r[4] for r in rs),
            on_update=rs[0][5],
            on_delete=rs[0][6],
        )
        for name, rs in by_name.items()
    ]


def uncontracted_tables(settings: Settings, contracts: list[TableContract]) -> list[str]:
    """Base tables of the contracts' databases that no contract covers: not captured, so reported."""
    have = {c.qualified_source.lower() for c in contracts}
    databases = sorted({c.database for c in contracts} | set(settings.source.databases))
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE='BASE TABLE' AND TABLE_SCHEMA IN ("
            + ",".join(["%s"] * len(databases)) + ") ORDER BY 1, 2",
            databases,
        )
        return [f"{d}.{t}" for d, t in cur.fetchall() if f"{d}.{t}".lower() not in have]


def _normalise_type(column_type: str) -> str:
    """Drop integer display widths (int(11) -> int): they mean nothing since MySQL 8.0.17.

    Lower-case the type words only: ENUM/SET labels are values and keep their case ('G' is not 'g')."""
    import re

    parts = re.split(r"('(?:[^'\\]|\\.|'')*')", column_type.strip())
    lowered = "".join(p if p.startswith("'") else p.lower() for p in parts)
    return re.sub(r"^(tinyint|smallint|mediumint|int|bigint)\(\d+\)", r"\1", lowered)


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
