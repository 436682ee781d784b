"""What `cdclake source check` says about foreign keys whose actions change child rows.

InnoDB applies ON UPDATE / ON DELETE CASCADE and SET NULL below the binlog: the job derives those
child changes from the parent's (spark_jobs/cascade.py), but only for foreign keys the contracts
record and whose parent table is captured too. Anything else would leave the lake silently
different, so it fails the check with the fix.
"""

from __future__ import annotations

from lakehouse_schemas.contract import ForeignKey, TableContract

HANDLED = ("CASCADE", "SET NULL")


def describe(contracts: list[TableContract], live: dict[str, list[ForeignKey]]) -> list[tuple[str, bool, str, str]]:
    """(check, ok, detail, fix) per cascading foreign key of a contracted table; ``live``: qualified table -> its source FKs."""
    captured = {c.qualified_source.lower() for c in contracts}
    out = []
    for c in contracts:
        recorded = {fk.name: fk for fk in c.foreign_keys}
        for fk in live.get(c.qualified_source, []):
            if not fk.cascades:
                continue
            actions = f"ON UPDATE {fk.on_update} ON DELETE {fk.on_delete}"
            what = f"{fk.name}: {c.table}({', '.join(fk.columns)}) -> {fk.qualified_ref}({', '.join(fk.ref_columns)}) {actions}"
            check = f"foreign key {c.qualified_source}.{fk.name}"
            mine = recorded.get(fk.name)
            if mine is None or (mine.on_update, mine.on_delete, mine.columns) != (fk.on_update, fk.on_delete, fk.columns):
                out.append((check, False, f"{what}: not (or differently) in the contract, so its cascades would not reach the lake",
                            f"record it: `cdclake contracts init --database {c.database}` and copy foreign_keys into the reviewed contract"))
            elif fk.qualified_ref.lower() not in captured:
                out.append((check, False, f"{what}: the parent table has no contract, so the job never sees the changes that cascade",
                            f"add a contract for {fk.qualified_ref}"))
            else:
                out.append((check, True, f"{what}: applied by the job to the child's current state and history", ""))
    return out
