"""As-of queries: rewrite every lake table reference into that table's state at an instant.

The rewrite works on sqlglot's syntax tree, never on the SQL text: each reference to a
current-state table (``chinook.invoice`` or its Glue name ``chinook_finance.invoice``) becomes a
derived table with the same alias, built from the change history (and a daily snapshot), and the
whole tree is then written in the wanted dialect: Spark SQL to run locally, Athena (Trino) to
paste into Athena.

Semantics (docs/analysts.md): the state at instant T holds, per key, the change with the greatest
``_cdc_pos`` among the changes with ``_cdc_commit_ts <= T``; a key whose chosen change is a
delete is absent. The initial snapshot's reads (a key's first history row, ``_cdc_snapshot``) hold
from the beginning of time: before capture began the lake knows no older state. The daily
snapshot of day D is the state at the last instant of D (the day boundary's zone is a setting).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from cdc.errors import ConfigError
from cdc.events import META_COMMIT_TS, META_OP, META_POS, META_SNAPSHOT

HISTORY_PARTITION = "_cdc_ingest_date"
SNAPSHOT_PARTITION = "snapshot_date"
# The meta columns an as-of table and a snapshot partition carry next to the contract's columns.
STATE_META = (META_OP, META_POS, META_COMMIT_TS, META_SNAPSHOT)
# Ingest time is never before commit time (up to clock skew): a day's changes sit in ingest
# partitions from that day on. One day of slack covers a source clock ahead of the lake's.
INGEST_SKEW = dt.timedelta(days=1)
MICRO = dt.timedelta(microseconds=1)

Dialect = Literal["spark", "athena"]
Base = Literal["auto", "snapshot", "history"]
Plan = Literal["snapshot_day", "snapshot_plus_day", "history"]
SQLGLOT_DIALECT = {"spark": "spark", "athena": "athena", "trino": "trino"}


class AsOfError(ConfigError):
    """A bad --as-of value or a query the rewrite cannot handle."""


@dataclass(frozen=True)
class LakeTable:
    """What the rewrite needs of one replicated table (built from its contract)."""

    target_database: str
    glue_database: str
    table: str
    history_table: str
    snapshot_table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]  # the contract's columns as the lake holds them (PII 'drop' columns absent)

    @classmethod
    def from_contract(cls, contract) -> LakeTable:
        from cdc.access.pii import lake_view

        view = lake_view(contract)
        return cls(
            target_database=contract.target_database,
            glue_database=contract.glue_database,
            table=contract.target_table,
            history_table=contract.history_table,
            snapshot_table=contract.snapshot_table,
            key=tuple(contract.key),
            columns=tuple(c.name for c in view.columns),
        )

    @property
    def state_columns(self) -> tuple[str, ...]:
        return (*self.columns, *STATE_META)

    def names(self) -> set[tuple[str, str]]:
        return {(self.target_database.lower(), self.table.lower()), (self.glue_database.lower(), self.table.lower())}


@dataclass(frozen=True)
class AsOf:
    """An instant (``instant``, UTC) or a whole day (``day``: its last instant, in ``zone``)."""

    zone: str
    instant: dt.datetime | None = None
    day: dt.date | None = None

    @classmethod
    def parse(cls, text: str, zone: str = "UTC") -> AsOf:
        tz = _zone(zone)
        text = text.strip()
        try:
            if len(text) == 10:
                return cls(zone=zone, day=dt.date.fromisoformat(text))
            value = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise AsOfError(
                f"--as-of {text!r} is neither a date nor a timestamp",
                next_step="use 2025-10-03 (end of that day) or '2025-10-03 14:30:00' (zone of timetravel.day_zone, or +02:00)",
            ) from exc
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return cls(zone=zone, instant=value.astimezone(dt.UTC))

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.zone)

    def day_start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz).astimezone(dt.UTC)

    @property
    def upper(self) -> dt.datetime:
        """The last instant the state includes (changes with commit time <= upper)."""
        if self.instant is not None:
            return self.instant
        return self.day_start(self.day + dt.timedelta(days=1)) - MICRO

    @property
    def local_day(self) -> dt.date:
        return self.day if self.day is not None else self.instant.astimezone(self.tz).date()

    def describe(self) -> str:
        if self.day is not None:
            return f"end of {self.day} ({self.zone}), i.e. commits up to {_ts(self.upper)} UTC"
        return f"{_ts(self.upper)} UTC"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception as exc:
        raise AsOfError(f"unknown time zone {name!r}", next_step="set CDCLAKE_TIMETRAVEL__DAY_ZONE to an IANA name such as UTC or Europe/Berlin") from exc


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def snapshot_day_for(as_of: AsOf) -> dt.date:
    """The snapshot partition an as-of query starts from: the day itself, or the day before the instant's day."""
    return as_of.day if as_of.day is not None else as_of.local_day - dt.timedelta(days=1)


def plan_for(as_of: AsOf, base: Base, snapshot_days: Iterable[dt.date] | None) -> Plan:
    """Which source answers: the snapshot partition alone, the previous day's snapshot plus the day's history, or history."""
    if base == "history":
        return "history"
    wanted = snapshot_day_for(as_of)
    if base == "auto" and (snapshot_days is None or wanted not in set(snapshot_days)):
        return "history"
    return "snapshot_day" if as_of.day is not None else "snapshot_plus_day"


# -- building blocks (sqlglot expressions, rendered by the target dialect) ---------------------------
def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_id(name), table=_id(table) if table else None)


def _table(db: str, name: str, alias: str | None = None) -> exp.Table:
    t = exp.Table(this=_id(name), db=_id(db))
    if alias:
        t.set("alias", exp.TableAlias(this=_id(alias)))
    return t


def _timestamp(value: dt.datetime) -> exp.Cast:
    return exp.Cast(this=exp.Literal.string(_ts(value)), to=exp.DataType.build("timestamp"))


def _select(columns: Iterable[str], source: exp.Expression, alias: str | None = None) -> exp.Select:
    q = exp.select(*[_col(c) for c in columns])
    if isinstance(source, exp.Select | exp.Union):
        return q.from_(exp.Subquery(this=source, alias=exp.TableAlias(this=_id(alias or "src"))))
    return q.from_(source)


def _latest_per_key(t: LakeTable, rows: exp.Expression, alias: str) -> exp.Select:
    """Per key the row with the greatest position; deleted keys dropped."""
    rn = exp.Window(
        this=exp.RowNumber(),
        partition_by=[_col(k) for k in t.key],
        order=exp.Order(expressions=[exp.Ordered(this=_col(META_POS), desc=True)]),
    )
    ranked = exp.select(*[_col(c) for c in t.state_columns], exp.alias_(rn, _id("_cdc_rn"))).from_(
        exp.Subquery(this=rows, alias=exp.TableAlias(this=_id(alias)))
    )
    return (
        exp.select(*[_col(c) for c in t.state_columns])
        .from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=_id("ranked"))))
        .where(exp.and_(exp.EQ(this=_col("_cdc_rn"), expression=exp.Literal.number(1)), exp.NEQ(this=_col(META_OP), expression=exp.Literal.string("d"))))
    )


def history_state(t: LakeTable, upper: dt.datetime) -> exp.Select:
    """The table at ``upper`` from the history alone (exact by definition)."""
    first = exp.Window(this=exp.Min(this=_col(META_POS)), partition_by=[_col(k) for k in t.key])
    with_first = exp.select(*[_col(c) for c in t.state_columns], exp.alias_(first, _id("_cdc_first_pos"))).from_(
        _table(t.glue_database, t.history_table)
    )
    origin = exp.and_(
        exp.EQ(this=_col(META_SNAPSHOT), expression=exp.true()),
        exp.EQ(this=_col(META_POS), expression=_col("_cdc_first_pos")),
    )
    eligible = (
        exp.select(*[_col(c) for c in t.state_columns])
        .from_(exp.Subquery(this=with_first, alias=exp.TableAlias(this=_id("h"))))
        .where(exp.or_(exp.LTE(this=_col(META_COMMIT_TS), expression=_timestamp(upper)), exp.paren(origin)))
    )
    return _latest_per_key(t, eligible, "eligible")


def snapshot_partition(t: LakeTable, day: dt.date) -> exp.Select:
    """One daily snapshot partition (the table at the end of ``day``)."""
    return (
        exp.select(*[_col(c) for c in t.state_columns])
        .from_(_table(t.glue_database, t.snapshot_table))
        .where(exp.EQ(this=_col(SNAPSHOT_PARTITION), expression=exp.Literal.string(day.isoformat())))
    )


def snapshot_plus_day_state(t: LakeTable, as_of: AsOf) -> exp.Select:
    """The previous day's snapshot, overlaid with the changes committed from the start of the instant's day up to it."""
    start = as_of.day_start(as_of.local_day)
    day_changes = (
        exp.select(*[_col(c) for c in t.state_columns])
        .from_(_table(t.glue_database, t.history_table))
        .where(
            exp.and_(
                exp.GTE(this=_col(META_COMMIT_TS), expression=_timestamp(start)),
                exp.LTE(this=_col(META_COMMIT_TS), expression=_timestamp(as_of.upper)),
                # partition pruning: these changes were ingested on or after their commit day
                exp.GTE(this=_col(HISTORY_PARTITION), expression=exp.Literal.string((start - INGEST_SKEW).date().isoformat())),
            )
        )
    )
    both = exp.union(snapshot_partition(t, snapshot_day_for(as_of)), day_changes, distinct=False)
    return _latest_per_key(t, both, "candidates")


def state_query(t: LakeTable, as_of: AsOf, plan: Plan) -> exp.Select:
    if plan == "snapshot_day":
        return snapshot_partition(t, as_of.day)
    if plan == "snapshot_plus_day":
        return snapshot_plus_day_state(t, as_of)
    return history_state(t, as_of.upper)


# -- the rewrite ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rewrite:
    sql: str
    dialect: str
    plans: dict[str, Plan]  # lake table -> how it was answered

    def describe(self) -> str:
        return ", ".join(f"{k}: {v.replace('_', ' ')}" for k, v in sorted(self.plans.items())) or "no lake table referenced"


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def time_travel_contracts(contracts):
    """Contracts with a record key: an append-only table (no key) has no state to travel in; it is its own log."""
    return [c for c in contracts if c.key]


def _lookup(tables: Iterable[LakeTable]) -> tuple[dict[tuple[str, str], LakeTable], dict[str, list[LakeTable]]]:
    by_qualified: dict[tuple[str, str], LakeTable] = {}
    by_name: dict[str, list[LakeTable]] = {}
    for t in tables:
        for n in t.names():
            by_qualified[n] = t
        by_name.setdefault(t.table.lower(), []).append(t)
    return by_qualified, by_name


def rewrite(
    sql: str,
    tables: Iterable[LakeTable],
    as_of: AsOf,
    *,
    plan: Callable[[LakeTable], Plan] | Mapping[str, Plan] | Plan = "history",
    read: str = "spark",
    write: str = "spark",
    pretty: bool = False,
) -> Rewrite:
    """Rewrite ``sql`` (a query in dialect ``read``) so each lake table reads as of ``as_of``; render as ``write``."""
    try:
        statements = sqlglot.parse(sql, read=SQLGLOT_DIALECT.get(read, read))
    except sqlglot.errors.ParseError as exc:
        raise AsOfError(f"cannot parse the query as {read} SQL: {exc}", next_step="fix the SQL (or pass --input-dialect)") from exc
    statements = [s for s in statements if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise AsOfError("--as-of takes exactly one SELECT query", next_step="pass a single SELECT (WITH ... SELECT) statement")
    tree = statements[0]
    by_qualified, by_name = _lookup(tables)
    ctes = _cte_names(tree)
    plans: dict[str, Plan] = {}

    def plan_of(t: LakeTable) -> Plan:
        if callable(plan):
            return plan(t)
        if isinstance(plan, Mapping):
            return plan.get(f"{t.glue_database}.{t.table}", "history")
        return plan

    replaced: dict[int, tuple[exp.Table, LakeTable, str]] = {}
    for node in list(tree.find_all(exp.Table)):
        name, db = node.name.lower(), (node.db or "").lower()
        if not name or node.args.get("version") is not None:
            continue
        if db:
            target = by_qualified.get((db, name))
        elif name in ctes:
            continue  # a CTE of the query shadows the lake table
        else:
            candidates = by_name.get(name, [])
            target = candidates[0] if len(candidates) == 1 else None
        if target is None:
            continue
        alias = node.alias or node.name
        p = plan_of(target)
        plans[f"{target.glue_database}.{target.table}"] = p
        replaced[id(node)] = (node, target, alias)

    for node, target, alias in replaced.values():
        derived = exp.Subquery(this=state_query(target, as_of, plans[f"{target.glue_database}.{target.table}"]), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        node.replace(derived)
        # `db.table.column` referred to the table by its qualified name: the derived table has only its alias.
        for col in tree.find_all(exp.Column):
            if col.table and col.table.lower() == target.table.lower() and col.args.get("db") is not None and col.text("db").lower() in {
                target.target_database.lower(),
                target.glue_database.lower(),
            }:
                col.set("db", None)
                col.set("catalog", None)
    out = tree.sql(dialect=SQLGLOT_DIALECT.get(write, write), pretty=pretty)
    return Rewrite(sql=out, dialect=write, plans=plans)


def check_trino(sql: str) -> exp.Expression:
    """Parse ``sql`` as Trino SQL (what Athena engine 3 runs); raises sqlglot's ParseError when it is not."""
    return sqlglot.parse_one(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def to_spark(sql: str, read: str = "athena") -> str:
    """Transpile emitted Athena SQL back to Spark SQL (the test runs both through Spark)."""
    return sqlglot.transpile(sql, read=SQLGLOT_DIALECT.get(read, read), write="spark")[0]
