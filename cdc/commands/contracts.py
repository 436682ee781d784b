"""`cdclake contracts sync`: evolve contracts to the live source's columns, under each contract's policy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cdc.commands.common import _friendly, _log
from cdc.settings import Settings, get_settings
from lakehouse_schemas.contract import TableContract, contracts_dir, load_contracts
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
    from cdc.source import source_columns

    renames = renames or {}
    wanted = {t.lower() for t in tables or []}
    files = {f: TableContract.from_yaml(f.read_text(), str(f)) for f in sorted(directory.rglob("*.yaml"))}
    results = []
    for path, contract in files.items():
        names = {contract.table.lower(), contract.qualified_source.lower(), contract.target_table.lower()}
        if wanted and not names & wanted:
            continue
        columns = source_columns(settings, contract.database, contract.table)
        if not columns:
            ev = Evolution(contract, problems=[f"{contract.qualified_source} does not exist in the source (or the admin user cannot see it)"])
        else:
            table_renames = next((r for t, r in renames.items() if t.lower() in names), {})
            ev = evolve(contract, columns, table_renames)
        if write and ev.changed and not ev.problems:
            path.write_text(ev.contract.to_yaml())
        results.append(ev)
    return results


def _parse_renames(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for v in values:
        try:
            table, pair = v.split(":", 1)
            old, new = pair.split("=", 1)
        except ValueError:
            raise click.BadParameter(f"{v!r}: use TABLE:OLD=NEW") from None
        out.setdefault(table, {})[old] = new
    return out


@click.command("sync")
@click.argument("tables", nargs=-1)
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="contracts folder (default: CDCLAKE_CONTRACTS_DIR/<source> or the packaged tables/<source>)")
@click.option("--rename", "renames", multiple=True, help="TABLE:OLD=NEW: a source column was renamed (the lake keeps its name)")
@click.option("--dry-run", is_flag=True, help="print the changes without writing")
@_friendly
def sync_cmd(tables: tuple[str, ...], directory: Path | None, renames: tuple[str, ...], dry_run: bool) -> None:
    """Evolve contracts to the source's current columns (ADD, widening, declared RENAME, DROP per policy).

    The running job re-reads the contracts every batch and replays the events it parked while the
    contract lagged behind the source. Exits 1 when a change cannot be applied (the table stays stopped).
    """
    settings = get_settings()
    directory = directory or contracts_dir(settings.source.name)
    load_contracts(directory=directory)  # the folder must validate before anything is written
    results = sync_contracts(settings, directory, list(tables), _parse_renames(renames), write=not dry_run)
    problems = 0
    for ev in results:
        for line in ev.changes:
            click.echo(f"{'would change' if dry_run else 'changed'}: {line}")
        for line in ev.advice:
            click.secho(f"next step: {line}", fg="yellow")
        for line in ev.problems:
            problems += 1
            click.secho(f"cannot apply: {line}", fg="red", err=True)
    if not any(ev.changes or ev.problems for ev in results):
        _log(f"{len(results)} contract(s) already match the source")
    if problems:
        sys.exit(1)


def _attach(main: click.Group) -> None:
    main.commands["contracts"].add_command(sync_cmd)


commands: list[click.Command] = []
attach = _attach
