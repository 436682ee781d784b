"""A randomized change workload against a live source, driven by the contracts (for the demo and the tests).

Besides random inserts/updates/deletes it always includes the cases CDC pipelines get
wrong: several updates to one row in one transaction, a delete and re-insert of one
key (in one transaction and across two), an insert deleted in the same transaction,
a primary-key change (Debezium: delete + create), and one statement updating many
rows (one binlog event, many row indexes). Foreign-key checks are off in the
workload's session: replication must not depend on them.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from decimal import Decimal

from cdc.log import Log
from cdc.settings import Settings
from cdc.source import connect
from lakehouse_schemas.contract import Column, TableContract

TEXT_CHARS = string.ascii_letters + string.digits + " äöüßéèñç日本語"


@dataclass
class WorkloadResult:
    changes: int = 0
    transactions: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    last_gtid: str | None = None
    notes: list[str] = field(default_factory=list)
    multi_updated: tuple[str, tuple] | None = None  # (table, key) updated 5 times in one transaction

    def count(self, kind: str, n: int = 1) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + n
        self.changes += n


def random_value(c: Column, rng: random.Random):
    t = c.mysql_type
    b = t.base
    if b in ("tinyint", "smallint", "mediumint", "int", "bigint", "year"):
        hi = {"tinyint": 127, "smallint": 32767, "mediumint": 8388607, "year": 2155}.get(b, 2_000_000_000)
        return rng.randint(0 if t.unsigned else -hi, hi) if b != "year" else rng.randint(1901, 2155)
    if b == "decimal":
        p, s = t.precision or 10, t.scale
        digits = rng.randint(0, 10 ** min(p - s, 8) - 1)
        frac = rng.randint(0, 10**s - 1) if s else 0
        return Decimal(f"{digits}.{frac:0{s}d}") if s else Decimal(digits)
    if b in ("float", "double"):
        return rng.uniform(-1e6, 1e6)
    if b in ("char", "varchar", "text", "tinytext", "mediumtext", "longtext"):
        n = min(t.precision or 40, 40)
        return "".join(rng.choice(TEXT_CHARS) for _ in range(rng.randint(1, max(1, n))))
    if b == "datetime":
        return dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
    if b == "date":
        return dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
    raise ValueError(f"workload has no generator for {c.type} ({c.name})")


class Workload:
    def __init__(self, settings: Settings, contracts: list[TableContract], seed: int = 7) -> None:
        self.settings = settings
        self.contracts = contracts
        self.rng = random.Random(seed)
        self.result = WorkloadResult()
        self._key_cache: dict[str, set[tuple]] = {}

    # -- helpers ----------------------------------------------------------------------
    def _q(self, c: TableContract) -> str:
        return f"`{c.database}`.`{c.table}`"

    def _key_set(self, cur, c: TableContract) -> set[tuple]:
        if c.table not in self._key_cache:
            cur.execute(f"SELECT {', '.join(f'`{k}`' for k in c.key)} FROM {self._q(c)}")
            self._key_cache[c.table] = {tuple(r) for r in cur.fetchall()}
        return self._key_cache[c.table]

    def _keys(self, cur, c: TableContract) -> list[tuple]:
        return sorted(self._key_set(cur, c))

    def _new_key(self, cur, c: TableContract) -> tuple:
        existing = self._key_set(cur, c)
        if len(c.key) == 1:
            return (max((k[0] for k in existing), default=0) + 1 + self.rng.randint(0, 2),)
        while True:
            k = tuple(self.rng.randint(1, 5000) for _ in c.key)
            if k not in existing:
                return k

    def _insert(self, cur, c: TableContract, key: tuple) -> None:
        values = dict(zip(c.key, key, strict=True))
        for col in c.columns:
            if col.name not in values:
                values[col.name] = None if (col.nullable and self.rng.random() < 0.1) else random_value(col, self.rng)
        cols = ", ".join(f"`{n}`" for n in values)
        cur.execute(f"INSERT INTO {self._q(c)} ({cols}) VALUES ({', '.join(['%s'] * len(values))})", list(values.values()))
        self._key_set(cur, c).add(tuple(key))
        self.result.count("insert")

    def _update(self, cur, c: TableContract, key: tuple) -> None:
        candidates = [col for col in c.columns if col.name not in c.key]
        if not candidates:
            return
        cols = self.rng.sample(candidates, k=min(len(candidates), self.rng.randint(1, 3)))
        sets = ", ".join(f"`{col.name}` = %s" for col in cols)
        where = " AND ".join(f"`{k}` = %s" for k in c.key)
        cur.execute(f"UPDATE {self._q(c)} SET {sets} WHERE {where}", [random_value(col, self.rng) for col in cols] + list(key))
        self.result.count("update", cur.rowcount)

    def _delete(self, cur, c: TableContract, key: tuple) -> None:
        where = " AND ".join(f"`{k}` = %s" for k in c.key)
        cur.execute(f"DELETE FROM {self._q(c)} WHERE {where}", list(key))
        self._key_set(cur, c).discard(tuple(key))
        self.result.count("delete", cur.rowcount)

    # -- scenarios ----------------------------------------------------------------------
    def tricky(self, cur, conn) -> None:
        by_name = {c.table: c for c in self.contracts}
        c = by_name.get("Invoice") or self.contracts[0]
        keys = self._keys(cur, c)
        k1, k2, k3 = self.rng.sample(keys, 3)
        # several updates to one row in one transaction
        for _ in range(5):
            self._update(cur, c, k1)
        conn.commit()
        self.result.notes.append(f"{c.table} {k1}: 5 updates in one transaction")
        self.result.multi_updated = (c.table, k1)
        # delete and re-insert the same key in one transaction
        self._delete(cur, c, k2)
        self._insert(cur, c, k2)
        conn.commit()
        # ... and across two transactions
        self._delete(cur, c, k3)
        conn.commit()
        self._insert(cur, c, k3)
        conn.commit()
        self.result.notes.append(f"{c.table} {k2}, {k3}: delete + re-insert (same / separate transactions)")
        # an insert deleted in the same transaction: must not appear in the lake
        ghost = self._new_key(cur, c)
        self._insert(cur, c, ghost)
        self._delete(cur, c, ghost)
        conn.commit()
        # primary-key change: Debezium emits a delete of the old key and a create of the new one
        g = by_name.get("Genre") or c
        old = self.rng.choice(self._keys(cur, g))
        new = self._new_key(cur, g)
        cur.execute(f"UPDATE {self._q(g)} SET `{g.key[0]}` = %s WHERE `{g.key[0]}` = %s", (new[0], old[0]))
        self._key_set(cur, g).discard(old)
        self._key_set(cur, g).add(new)
        self.result.count("pk_change")
        conn.commit()
        self.result.notes.append(f"{g.table} key {old} -> {new}")
        # one statement changing many rows: one binlog event, many row indexes
        il = by_name.get("InvoiceLine") or c
        money = next((col for col in il.columns if col.mysql_type.base == "decimal"), None)
        if money is not None:
            cur.execute(f"UPDATE {self._q(il)} SET `{money.name}` = `{money.name}` + 0.01 WHERE MOD(`{il.key[0]}`, 7) = 3")
            self.result.count("bulk_update", cur.rowcount)
            conn.commit()
        self.result.transactions += 7

    def random_changes(self, cur, conn, n: int, progress: Log | None = None) -> None:
        done = 0
        while done < n:
            size = self.rng.randint(1, 8)
            for _ in range(size):
                c = self.rng.choice(self.contracts)
                r = self.rng.random()
                keys = self._keys(cur, c) if r >= 0.35 else []
                if r < 0.35 or not keys:
                    self._insert(cur, c, self._new_key(cur, c))
                elif r < 0.8:
                    self._update(cur, c, self.rng.choice(keys))
                else:
                    self._delete(cur, c, self.rng.choice(keys))
                done += 1
            conn.commit()
            self.result.transactions += 1
            if progress and self.result.transactions % 100 == 0:
                progress(f"workload: {done}/{n} statements")

    def run(self, n_random: int, progress: Log | None = None) -> WorkloadResult:
        with connect(self.settings, admin=True, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SET SESSION foreign_key_checks = 0")
            self.tricky(cur, conn)
            self.random_changes(cur, conn, n_random, progress)
            cur.execute("SELECT @@last_gtid")
            self.result.last_gtid = cur.fetchone()[0] if self.settings.source.flavor == "mariadb" else None
        return self.result
