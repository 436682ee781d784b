"""Athena SQL on the local Trino (`cdclake query --engine trino`): the engine Athena v3 is built on, over the Glue API.

Each Trino catalog is one Hudi connector whose metastore is the Glue API and whose files are read
from S3 with the native S3 file system: ``lake`` with the lake owner's keys, and one catalog per
Athena workgroup (created with SQL, dropped the same way) with that workgroup's own S3 keys, so a
query runs with exactly the S3 rights the generated policies give the workgroup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdc.errors import TerminalError
from cdc.settings import Settings

LAKE_CATALOG = "lake"
# Trino names the objects it could not read in its error text; S3 refusals carry one of these.
ACCESS_DENIED = re.compile(r"Access Denied|AccessDenied|Status Code: 403|403 Forbidden", re.IGNORECASE)
_CATALOG_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def local_glue_endpoint(settings: Settings) -> str:
    return f"http://{settings.stack.host}:{settings.stack.glue_port}"


def glue_endpoint(settings: Settings) -> str:
    return settings.catalog.glue_endpoint or local_glue_endpoint(settings)


def trino_url(settings: Settings) -> str:
    return f"http://{settings.stack.host}:{settings.stack.trino_port}"


def catalog_properties(settings: Settings, access_key: str, secret_key: str) -> dict[str, str]:
    """A Hudi catalog reading Glue definitions from the Glue API and files from S3 with these keys."""
    region = settings.catalog.glue_region or settings.access.region
    props = {
        "connector.name": "hudi",
        "hive.metastore": "glue",
        "hive.metastore.glue.region": region,
        "hive.metastore.glue.endpoint-url": glue_endpoint(settings),
        # the local Glue API (moto) takes any keys; the S3 keys below are the ones that are checked
        "hive.metastore.glue.aws-access-key": "local",
        "hive.metastore.glue.aws-secret-key": "local",
        "fs.native-s3.enabled": "true",
        "s3.region": settings.lake.s3_region,
        "s3.path-style-access": "true",
        "s3.aws-access-key": access_key,
        "s3.aws-secret-key": secret_key,
    }
    endpoint = settings.s3_endpoint()
    if endpoint:
        props["s3.endpoint"] = endpoint
    return props


@dataclass
class TrinoResult:
    columns: list[str]
    rows: list[tuple]


class TrinoQueryError(TerminalError):
    """Trino refused or failed a query; ``detail`` holds its whole cause chain (S3's own error sits at the end)."""

    detail: str = ""

    @property
    def access_denied(self) -> bool:
        return bool(ACCESS_DENIED.search(self.detail))


def _causes(info: dict | None) -> list[str]:
    out = []
    while info:
        if info.get("message"):
            out.append(f"{str(info.get('type', '')).rsplit('.', 1)[-1]}: {info['message']}")
        info = info.get("cause")
    return out


def connect(settings: Settings, catalog: str = LAKE_CATALOG, schema: str | None = None):
    import trino  # lazy: the client is an extra (`pip install cdclake[trino]`)

    return trino.dbapi.connect(
        host=settings.stack.host,
        port=settings.stack.trino_port,
        user="cdclake",
        catalog=catalog,
        schema=schema,
        http_scheme="http",
        timezone="UTC",
    )


def run(settings: Settings, sql: str, *, catalog: str = LAKE_CATALOG, max_rows: int | None = None) -> TrinoResult:
    """Run one statement; rows come back with Trino's Python types (DECIMAL as Decimal, NULL as None)."""
    from trino.exceptions import TrinoQueryError as ClientQueryError

    conn = connect(settings, catalog)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall() if max_rows is None else cur.fetchmany(max_rows)
        columns = [d[0] for d in cur.description or []]
        return TrinoResult(columns=columns, rows=[tuple(r) for r in rows])
    except ClientQueryError as exc:
        causes = _causes(exc.failure_info)
        root = causes[-1].split(" (Service:", 1)[0] if len(causes) > 1 else ""
        raise TrinoQueryError(
            f"Trino ({catalog}): {exc.error_name}: {exc.message}" + (f" <- {root}" if root else ""),
            next_step="read the message; when S3 refused this catalog's keys, query through the workgroup whose domain holds the table",
            catalog=catalog,
            detail=" <- ".join([exc.message, *causes]),
        ) from exc
    except OSError as exc:  # requests' connection errors are OSErrors
        raise TerminalError(
            f"Trino at {trino_url(settings)} is not reachable: {exc}",
            next_step="start it with `cdclake stack up glue trino` (the lake's Glue entries: `cdclake catalog sync`)",
        ) from exc
    finally:
        conn.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_catalog(settings: Settings, name: str, access_key: str, secret_key: str) -> None:
    """A workgroup's catalog: the lake's Glue definitions read with that workgroup's S3 keys."""
    if not _CATALOG_NAME.fullmatch(name):
        raise TerminalError(f"{name!r} is not a Trino catalog name", next_step="use lower-case letters, digits and _")
    props = catalog_properties(settings, access_key, secret_key)
    connector = props.pop("connector.name")
    with_ = ", ".join(f'"{k}" = {_literal(v)}' for k, v in props.items())
    run(settings, f"DROP CATALOG IF EXISTS {name}")
    run(settings, f"CREATE CATALOG {name} USING {connector} WITH ({with_})")


def drop_catalog(settings: Settings, name: str) -> None:
    run(settings, f"DROP CATALOG IF EXISTS {name}")
