"""Bulk change generation for the benchmark: multi-row statements, Debezium captures them.

Mix: about 70% updates, 20% inserts, 10% deletes, by rows. Updates go to hot keys (10% of a
table's keys take 80% of its updates), as a busy OLTP database does. An update is a multi-row
``INSERT ... ON DUPLICATE KEY UPDATE`` (one statement, one binlog event, many row changes).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from cdc.devstack.workload import random_value
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import TableContract

MIX = (("update", 0.7), ("insert", 0.2), ("delete", 0.1))


def wide_contract_yaml(database: str, columns: int) -> str:
    """A synthetic wide table: an int key and ``columns`` columns cycling through money, text, ints and times."""
    kinds = [("decimal(12,2)", "amt"), ("varchar(40)", "txt"), ("int", "num"), ("bigint", "big"), ("datetime", "ts"), ("date", "day")]
    lines = [
        "source: chinook", f"database: {database}", "table: BenchWide", "target_database: chinook", "target_table: bench_wide",
        "key:", "- Id", "ordering: source_position", "partition_by: []", "table_type: COPY_ON_WRITE", "domain: general",
        "capture_format: debezium", "columns:", "- name: Id", "  type: int", "  nullable: false",
    ]
    for i in range(columns):
        t, p = kinds[i % len(kinds)]
        lines += [f"- name: {p}_{i}", f"  type: {t}", "  nullable: true"]
    return "\n".join(lines) + "\n"


def wide_ddl(contract: TableContract) -> str:
    cols = ", ".join(f"`{c.name}` {c.type}{'' if c.nullable else ' NOT NULL'}" for c in contract.columns)
    return f"CREATE TABLE `{contract.database}`.`{contract.table}` ({cols}, PRIMARY KEY (`Id`))"


@dataclass
class Generated:
    statements: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        self.rows[kind] = self.rows.get(kind, 0) + n

    @property
    def changes(self) -> int:
        return sum(self.rows.values())


class BulkWorkload:
    def __init__(self, settings: Settings, contracts: list[TableContract], seed: int = 14, rows_per_statement: int = 200) -> None:
        self.settings = settings
        self.contracts = contracts
        self.rng = random.Random(seed)
        self.per_stmt = rows_per_statement
        self.keys: dict[str, list[tuple]] = {}
        self.keyset: dict[str, set[tuple]] = {}
        self.result = Generated()

    def _q(self, c: TableContract) -> str:
        return f"`{c.database}`.`{c.table}`"

    def _load_keys(self, cur, c: TableContract) -> None:
        if c.table not in self.keys:
            cur.execute(f"SELECT {', '.join(f'`{k}`' for k in c.key)} FROM {self._q(c)}")
            self.keys[c.table] = [tuple(r) for r in cur.fetchall()]
            self.keyset[c.table] = set(self.keys[c.table])

    def _row(self, c: TableContract, key: tuple) -> list:
        vals = dict(zip(c.key, key, strict=True))
        return [vals[col.name] if col.name in vals else (None if col.nullable and self.rng.random() < 0.1 else random_value(col, self.rng))
                for col in c.columns]

    def _new_keys(self, c: TableContract, n: int) -> list[tuple]:
        have = self.keyset[c.table]
        out = []
        if len(c.key) == 1:
            top = max((k[0] for k in have), default=0)
            out = [(top + i + 1,) for i in range(n)]
        else:
            while len(out) < n:
                k = tuple(self.rng.randint(1, 5000) for _ in c.key)
                if k not in have and k not in out:
                    out.append(k)
        return out

    def _pick_existing(self, c: TableContract, n: int, hot: bool) -> list[tuple]:
        keys = self.keys[c.table]
        if not keys:
            return []
        n_hot = max(1, len(keys) // 10)
        out = []
        for _ in range(n):
            if hot and self.rng.random() < 0.8:
                out.append(keys[self.rng.randrange(n_hot)])
            else:
                out.append(keys[self.rng.randrange(len(keys))])
        return out

    def statement(self, cur, c: TableContract, kind: str, n: int) -> int:
        """Run one multi-row statement of ``kind`` on ``c``; returns the row changes it made."""
        self._load_keys(cur, c)
        cols = ", ".join(f"`{col.name}`" for col in c.columns)
        ph = "(" + ", ".join(["%s"] * len(c.columns)) + ")"
        non_key = [col.name for col in c.columns if col.name not in c.key]
        if kind == "update" and not non_key:
            kind = "insert"  # a table of key columns only has nothing to update
        if kind == "insert":
            new = self._new_keys(c, n)
            args = [v for k in new for v in self._row(c, k)]
            cur.execute(f"INSERT INTO {self._q(c)} ({cols}) VALUES {', '.join([ph] * len(new))}", args)
            self.keys[c.table].extend(new)
            self.keyset[c.table].update(new)
            made = len(new)
        elif kind == "update":
            # distinct keys per statement: one row change each (a repeated key would be two)
            picked = list(dict.fromkeys(self._pick_existing(c, n, hot=True)))
            if not picked:
                return 0
            args = [v for k in picked for v in self._row(c, k)]
            sets = ", ".join(f"`{name}` = VALUES(`{name}`)" for name in non_key)
            cur.execute(f"INSERT INTO {self._q(c)} ({cols}) VALUES {', '.join([ph] * len(picked))} ON DUPLICATE KEY UPDATE {sets}", args)
            made = len(picked)
        else:
            picked = list(dict.fromkeys(self._pick_existing(c, n, hot=False)))
            if not picked:
                return 0
            kcols = ", ".join(f"`{k}`" for k in c.key)
            tuples = ", ".join("(" + ", ".join(["%s"] * len(c.key)) + ")" for _ in picked)
            cur.execute(f"DELETE FROM {self._q(c)} WHERE ({kcols}) IN ({tuples})", [v for k in picked for v in k])
            made = cur.rowcount
            gone = set(picked)
            self.keys[c.table] = [k for k in self.keys[c.table] if k not in gone]
            self.keyset[c.table] -= gone
        self.result.add(kind, made)
        self.result.statements += 1
        return made

    def _kind(self) -> str:
        r = self.rng.random()
        acc = 0.0
        for kind, share in MIX:
            acc += share
            if r < acc:
                return kind
        return MIX[0][0]

    def run(self, n_changes: int, log=print) -> Generated:
        """About ``n_changes`` row changes as fast as the source takes them, spread over every table."""
        with connect(self.settings, admin=True, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 0")
            while self.result.changes < n_changes:
                c = self.rng.choice(self.contracts)
                self.statement(cur, c, self._kind(), min(self.per_stmt, n_changes - self.result.changes))
                conn.commit()
                if self.result.statements % 50 == 0:
                    log(f"bench workload: {self.result.changes}/{n_changes} changes")
        return self.result

    def steady(self, rate: float, seconds: float, tick: float = 0.25) -> Generated:
        """``rate`` changes/s for ``seconds``: every ``tick`` one small transaction per chosen table."""
        per_tick = max(1, round(rate * tick))
        with connect(self.settings, admin=True, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 0")
            start = time.monotonic()
            ticks = 0
            while time.monotonic() - start < seconds:
                left = per_tick
                while left > 0:
                    c = self.rng.choice(self.contracts)
                    n = min(left, self.rng.randint(1, 5))
                    left -= max(1, self.statement(cur, c, self._kind(), n))
                conn.commit()
                ticks += 1
                pause = start + ticks * tick - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        return self.result
