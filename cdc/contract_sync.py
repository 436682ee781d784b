"""Contracts evolved to the live source's columns, under each contract's policy (`cdclake contracts sync`)."""

from __future__ import annotations

from pathlib import Path

from cdc import source
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract
from lakehouse_schemas.evolution import Evolution, evolve


def sync_contracts(
    settings: Settings,
    directory: Path,
    tables: list[str] | None = None,
    renames: dict[str, dict[str, str]] | None = None,
    *,
    write: bool = True,
) -> list[Evolution]:
    """Evolve the contracts under ``directory`` (all, or ``tables`` by source or lake name) and write the changed ones.

    ``renames``: table -> {old source column: new source column}. A table with a problem is left unchanged.
    """
    renames = renames or {}
    wanted = {t.lower() for t in tables or []}
    files = {f: TableContract.from_yaml(f.read_text(), str(f)) for f in sorted(directory.rglob("*.yaml"))}
    results = []
    for path, contract in files.items():
        names = {contract.table.lower(), contract.qualified_source.lower(), contract.target_table.lower()}
        if wanted and not names & wanted:
            continue
        columns = source.source_columns(settings, contract.database, contract.table)
        if not columns:
            ev = Evolution(contract, problems=[f"{contract.qualified_source} does not exist in the source (or the admin user cannot see it)"])
        else:
            table_renames = next((r for t, r in renames.items() if t.lower() in names), {})
            ev = evolve(contract, columns, table_renames)
        if write and ev.changed and not ev.problems:
            path.write_text(ev.contract.to_yaml())
        results.append(ev)
    return results
