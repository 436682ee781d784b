"""Shared by the type-torture and dead-letter end-to-end tests: an own source (database, connector,
topics, lake), so they never touch another test's capture."""

from __future__ import annotations

import uuid
from pathlib import Path

from cdc.capture import debezium as dbz
from cdc.settings import LakeSettings, Settings
from cdc.source import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def own_source(settings: Settings, name: str, server_id: int) -> Settings:
    """Settings for source ``name`` (database ``name``, connector cdclake-<name>, topics <name>.*) and a fresh lake."""
    run = uuid.uuid4().hex[:8]
    base = settings.stack.state_dir / "test-lakes" / f"{name}-{run}"
    return settings.model_copy(
        update={
            "source": settings.source.model_copy(update={"name": name, "databases": [name], "server_id": server_id}),
            "lake": LakeSettings(root=(base / "lake").resolve().as_uri(), checkpoint_root=(base / "checkpoints").resolve().as_uri()),
        }
    )


def run_sql(settings: Settings, statements: list[str], *, time_zone: str | None = None) -> str:
    """Run statements (autocommit) as the admin user in the source's database; return the last GTID (@@last_gtid)."""
    with connect(settings, admin=True, autocommit=True, database=settings.source.databases[0]) as conn, conn.cursor() as cur:
        if time_zone:
            cur.execute("SET time_zone = %s", (time_zone,))
        for s in statements:
            cur.execute(s)
        cur.execute("SELECT @@last_gtid")
        return cur.fetchone()[0]


def sql_statements(path: Path) -> list[str]:
    """The statements of a simple script (no DELIMITER), without comments and SET/USE lines."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    out = []
    for s in text.split(";\n"):
        s = s.strip().rstrip(";").strip()
        if s and not s.upper().startswith(("SET TIME_ZONE", "USE ")):
            out.append(s)
    return out


def reset_capture(settings: Settings) -> None:
    assert settings.source.name not in ("chinook",), "never reset the demo's capture from these tests"
    dbz.reset(settings)


def fresh_tables(settings: Settings, tables: list[str], directory: Path):
    """A fresh capture and lake for ``settings``' source, its database recreated with ``tables`` (CREATE TABLE
    statements naming ``<db>.<table>``) and their drafted contracts written to ``directory``: the reloader over them."""
    from cdc.devstack import pipeline
    from cdc.source import reflect_contracts
    from spark_jobs import stream

    db = settings.source.databases[0]
    reset_capture(settings)
    pipeline.wipe_lake(settings)
    run_sql(settings.model_copy(update={"source": settings.source.model_copy(update={"databases": ["mysql"]})}),
            [f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}", *tables])
    directory.mkdir()
    for c in reflect_contracts(settings, db, source=settings.source.name):
        (directory / f"{c.table}.yaml").write_text(c.to_yaml())
    return stream.contract_reloader(directory)
