"""`cdclake status`: the whole path in one view, and whether a person is needed.

Where the job's side comes from: the running job's metrics endpoint (CDCLAKE_METRICS__PORT), the same
figures Prometheus scrapes, so the view and the alerts never disagree and the command starts no Spark.
With the job stopped (or metrics off) the view says so; the connector's side (Connect REST API and the
source's binlog) is read directly and is always there.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cdc import metric_names as M
from cdc.observe.connector import ConnectorState, connector_state
from cdc.settings import Settings


@dataclass
class TableStatus:
    table: str
    applied: int = 0
    freshness_s: float | None = None
    batch_lag_s: float | None = None
    blocked: bool = False
    dead_letters_pending: int = 0
    kafka_lag: int = 0


@dataclass
class JobStatus:
    url: str | None
    reachable: bool = False
    error: str | None = None
    batches: int = 0
    last_batch_age_s: float | None = None
    last_batch_rows: int | None = None
    last_batch_duration_s: float | None = None
    last_batch_rows_per_s: float | None = None
    kafka_lag: dict[str, int] = field(default_factory=dict)  # "topic/partition" -> records
    tables: list[TableStatus] = field(default_factory=list)


@dataclass
class Status:
    connector: ConnectorState
    job: JobStatus
    attention: list[str]

    def to_json(self) -> dict:
        return {"connector": self.connector.to_json(), "job": asdict(self.job), "attention": self.attention, "healthy": not self.attention}


def job_url(settings: Settings) -> str | None:
    m = settings.metrics
    return f"http://{m.host}:{m.port}/metrics" if m.port else None


def parse_job(text: str, url: str | None, now: float) -> JobStatus:
    job = JobStatus(url=url, reachable=True)
    tables: dict[str, TableStatus] = {}
    scalars: dict[str, float] = {}

    def table(name: str) -> TableStatus:
        return tables.setdefault(name, TableStatus(name))

    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            t = s.labels.get("table")
            if s.name == M.CHANGES_APPLIED and t:
                table(t).applied = int(s.value)
            elif s.name == M.FRESHNESS and t:
                table(t).freshness_s = s.value
            elif s.name == M.BATCH_LAG and t:
                table(t).batch_lag_s = s.value
            elif s.name == M.BLOCKED and t:
                table(t).blocked = s.value == 1
            elif s.name == M.DEAD_LETTERS_PENDING and t:
                table(t).dead_letters_pending = int(s.value)
            elif s.name == M.KAFKA_LAG:
                job.kafka_lag[f"{s.labels['topic']}/{s.labels['partition']}"] = int(s.value)
                if t:
                    table(t).kafka_lag += int(s.value)
            elif not s.labels:
                scalars[s.name] = s.value
    job.batches = int(scalars.get(M.BATCHES, 0))
    if M.LAST_BATCH_TS in scalars:
        job.last_batch_age_s = max(now - scalars[M.LAST_BATCH_TS], 0.0)
    job.last_batch_rows = int(scalars[M.BATCH_INPUT_ROWS]) if M.BATCH_INPUT_ROWS in scalars else None
    job.last_batch_duration_s = scalars.get(M.BATCH_DURATION)
    job.last_batch_rows_per_s = scalars.get(M.BATCH_ROWS_PER_SECOND)
    job.tables = [tables[k] for k in sorted(tables)]
    return job


def read_job(settings: Settings, now: float | None = None) -> JobStatus:
    url = job_url(settings)
    if url is None:
        return JobStatus(url=None, error="metrics are off: set CDCLAKE_METRICS__PORT for the job")
    try:
        r = httpx.get(url, timeout=5)
        r.raise_for_status()
    except httpx.HTTPError as exc:
        return JobStatus(url=url, error=f"the streaming job is not answering at {url} ({type(exc).__name__})")
    return parse_job(r.text, url, time.time() if now is None else now)


def needs_a_person(con: ConnectorState, job: JobStatus) -> list[str]:
    """What a person must act on, one line each with the command that helps."""
    out: list[str] = []
    if not con.connect_up:
        out.append(f"Kafka Connect is not reachable ({'; '.join(con.errors[:1])}): `cdclake stack status`, the worker's log")
    elif not con.registered:
        out.append(f"connector {con.connector} is not registered: `cdclake capture register`")
    else:
        if con.state != "RUNNING":
            out.append(f"connector {con.connector} is {con.state}: `cdclake capture status`, then restart it")
        failed = sorted(t for t, s in con.tasks.items() if s != "RUNNING")
        if failed or not con.tasks:
            out.append(f"connector task(s) {failed or 'none'} not RUNNING: `cdclake capture status` shows the trace")
    if con.gap:
        out.append(f"binlog gap: {con.gap.splitlines()[0]} (`cdclake capture gap`)")
    if job.url and not job.reachable:
        out.append(f"{job.error}: start it (`cdclake run`) or check its log")
    for t in job.tables:
        if t.blocked:
            out.append(f"table {t.table} is blocked (schema drift): `cdclake dlq list --table {t.table}`, then `cdclake contracts sync`")
        elif t.dead_letters_pending:
            out.append(f"table {t.table} has {t.dead_letters_pending} pending dead letter(s): `cdclake dlq list --table {t.table}`")
    return out


def gather(settings: Settings) -> Status:
    con = connector_state(settings)
    job = read_job(settings)
    return Status(con, job, needs_a_person(con, job))


def _age(s: float | None) -> str:
    if s is None:
        return "-"
    return f"{s:.0f}s" if s < 120 else (f"{s / 60:.0f}m" if s < 7200 else f"{s / 3600:.1f}h")


def render(status: Status):
    """A rich renderable of the status (tables for the connector, the job and each lake table)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    con, job = status.connector, status.job
    c = Table(title="capture", show_header=False, title_justify="left")
    c.add_row("connector", f"{con.connector}: {con.state or ('not registered' if con.connect_up else 'Connect down')}")
    c.add_row("tasks", ", ".join(f"{t}={s}" for t, s in sorted(con.tasks.items())) or "-")
    c.add_row("binlog", f"source {con.source_position or '?'}; connector {con.connector_position or '?'}")
    behind = "caught up" if con.caught_up else (f"{con.bytes_behind} bytes behind" if con.bytes_behind is not None else
                                                 f"{con.files_behind} file(s) behind" if con.files_behind else "?")
    c.add_row("lag", behind + ("; GAP" if con.gap else ""))
    j = Table(title="streaming job", show_header=False, title_justify="left")
    if job.reachable:
        j.add_row("last batch", f"{_age(job.last_batch_age_s)} ago, {job.last_batch_rows or 0} rows in "
                  f"{job.last_batch_duration_s or 0:.1f}s ({job.last_batch_rows_per_s or 0:.0f} rows/s); {job.batches} batch(es)")
        j.add_row("kafka lag", f"{sum(job.kafka_lag.values())} record(s) over {len(job.kafka_lag)} partition(s)")
    else:
        j.add_row("job", job.error or "-")
    t = Table(title="tables", title_justify="left")
    for col in ("table", "applied", "freshness", "last batch lag", "kafka lag", "dead letters", "state"):
        t.add_column(col)
    for ts in job.tables:
        state = Text("BLOCKED", style="bold red") if ts.blocked else Text("ok", style="green")
        t.add_row(ts.table, str(ts.applied), _age(ts.freshness_s), _age(ts.batch_lag_s), str(ts.kafka_lag), str(ts.dead_letters_pending), state)
    verdict = (Text("healthy", style="bold green") if not status.attention else
               Text("needs a person:\n" + "\n".join(f"- {a}" for a in status.attention), style="bold red"))
    return Group(c, j, t, verdict)
