"""Run a query on Athena with boto3: start it in a named workgroup, poll with progress, page through the rows.

Values come back from Athena as text; they are turned into Python values by the column types the
result metadata names (decimal -> Decimal, timestamp -> datetime, ...), so a result compares with
the Spark path's rows exactly.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from cdc.errors import TerminalError, TransientError
from cdc.log import Log
from cdc.settings import Settings
from lakehouse_schemas.types import LAKE_KINDS

DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


class AthenaQueryFailed(TerminalError):
    """Athena ran the query and it failed (syntax, permissions, data)."""


class AthenaTimeout(TransientError):
    """The query did not finish in time; it was cancelled."""


class AthenaResult(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    query_execution_id: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    bytes_scanned: int = 0
    elapsed_ms: int = 0
    output_location: str | None = None


def _timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace(" UTC", ""))


# How Athena's text form of a value becomes the Python value of its lake kind.
_PARSE: dict[type, Callable[[str], Any]] = {
    str: str,
    int: int,
    float: float,
    Decimal: Decimal,
    bool: lambda s: s.lower() == "true",
    dt.date: dt.date.fromisoformat,
    dt.datetime: _timestamp,
    bytes: lambda s: bytes.fromhex(s.replace(" ", "")),
}
# Result types by Trino name: the lake kinds (LAKE_KINDS), plus what SQL expressions can produce besides.
CONVERTERS: dict[str, Callable[[str], Any]] = {k.trino: _PARSE[k.python] for k in LAKE_KINDS.values()} | {
    "tinyint": int,
    "smallint": int,
    "int": int,
    "float": float,
    "timestamp with time zone": _timestamp,
}


def convert(value: str | None, athena_type: str) -> Any:
    if value is None:
        return None
    fn = CONVERTERS.get(athena_type.lower())
    return fn(value) if fn else value


def _client(settings: Settings, client):
    if client is not None:
        return client
    import boto3

    return boto3.client("athena", region_name=settings.catalog.glue_region or settings.access.region)


def start(settings: Settings, sql: str, *, workgroup: str, database: str | None = None, client=None) -> str:
    client = _client(settings, client)
    req: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    ctx = {"Catalog": settings.catalog.athena_catalog}
    if database:
        ctx["Database"] = database
    req["QueryExecutionContext"] = ctx
    if settings.catalog.athena_output:
        # Only used when the workgroup does not enforce its own result location (ours do).
        req["ResultConfiguration"] = {"OutputLocation": settings.catalog.athena_output}
    from botocore.exceptions import ClientError

    try:
        return client.start_query_execution(**req)["QueryExecutionId"]
    except ClientError as exc:
        raise AthenaQueryFailed(
            f"Athena refused the query in workgroup {workgroup}: {exc}",
            next_step="check the workgroup name (cdclake access apply creates them) and your permissions",
            workgroup=workgroup,
        ) from exc


def wait(settings: Settings, qid: str, *, client=None, log: Log = print, sleep: Callable[[float], None] = time.sleep) -> dict:
    """Poll until the query ends; log each state change and the bytes scanned so far."""
    client = _client(settings, client)
    deadline = time.monotonic() + settings.catalog.query_timeout_s
    last = None
    while True:
        q = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        state = q["Status"]["State"]
        stats = q.get("Statistics", {})
        progress = (state, stats.get("DataScannedInBytes"))
        if progress != last:
            log(
                f"athena {qid}: {state}"
                + (f", {stats['DataScannedInBytes']:,} bytes scanned" if stats.get("DataScannedInBytes") is not None else "")
                + (f", {stats['EngineExecutionTimeInMillis']} ms" if stats.get("EngineExecutionTimeInMillis") is not None else "")
            )
            last = progress
        if state in DONE:
            if state != "SUCCEEDED":
                reason = q["Status"].get("StateChangeReason", "no reason given")
                raise AthenaQueryFailed(f"Athena query {qid} {state}: {reason}", next_step="fix the SQL or the workgroup's permissions", query_execution_id=qid)
            return q
        if time.monotonic() > deadline:
            client.stop_query_execution(QueryExecutionId=qid)
            raise AthenaTimeout(f"Athena query {qid} still {state} after {settings.catalog.query_timeout_s:.0f}s; cancelled", next_step="narrow the query or raise catalog.query_timeout_s")
        sleep(settings.catalog.poll_interval_s)


def results(qid: str, client, *, max_rows: int | None = None) -> tuple[list[str], list[str], list[tuple]]:
    """Column names, Athena types and converted rows (the header row of a SELECT skipped)."""
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple] = []
    first = True
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        rs = page["ResultSet"]
        if not columns:
            info = rs.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = [c["Name"] for c in info]
            types = [c["Type"] for c in info]
        data = rs.get("Rows", [])
        if first and data and [d.get("VarCharValue") for d in data[0]["Data"]] == columns:
            data = data[1:]  # Athena repeats the column names as the first row of a SELECT
        first = False
        for r in data:
            values = [d.get("VarCharValue") for d in r["Data"]]
            rows.append(tuple(convert(v, t) for v, t in zip(values, types, strict=False)))
            if max_rows is not None and len(rows) >= max_rows:
                return columns, types, rows
    return columns, types, rows


def run(
    settings: Settings,
    sql: str,
    *,
    workgroup: str | None = None,
    database: str | None = None,
    client=None,
    log: Log = print,
    max_rows: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AthenaResult:
    client = _client(settings, client)
    wg = workgroup or settings.catalog.athena_workgroup
    qid = start(settings, sql, workgroup=wg, database=database, client=client)
    log(f"athena {qid}: started in workgroup {wg}")
    q = wait(settings, qid, client=client, log=log, sleep=sleep)
    cols, types, rows = results(qid, client, max_rows=max_rows)
    stats = q.get("Statistics", {})
    return AthenaResult(
        query_execution_id=qid,
        columns=tuple(cols),
        types=tuple(types),
        rows=tuple(rows),
        bytes_scanned=int(stats.get("DataScannedInBytes") or 0),
        elapsed_ms=int(stats.get("TotalExecutionTimeInMillis") or 0),
        output_location=q.get("ResultConfiguration", {}).get("OutputLocation"),
    )
