"""`cdclake contracts init|list|sync`: table contracts, drafted from and evolved to the live source."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cdc.cli.common import log
from cdc.contract_sync import sync_contracts
from cdc.settings import get_settings
from cdc.source import reflect_contracts
from lakehouse_schemas.contract import contracts_dir, load_contracts


@click.group("contracts")
def contracts() -> None:
    """Table contracts (lakehouse_schemas/tables/<source>/<table>.yaml)."""


@contracts.command("init")
@click.option("--database", required=True, help="source database to reflect")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="directory (default: the packaged tables/<source>)")
@click.option("--domain", default="general", show_default=True)
@click.option("--force", is_flag=True, help="overwrite existing files")
def contracts_init(database: str, out: Path | None, domain: str, force: bool) -> None:
    """Write draft contracts for every table of a live source database (review, then check them in)."""
    settings = get_settings()
    target = out or contracts_dir(settings.source.name)
    target.mkdir(parents=True, exist_ok=True)
    for c in reflect_contracts(settings, database, domain=domain):
        path = target / f"{c.target_table}.yaml"
        if path.exists() and not force:
            click.echo(f"kept    {path} (exists; --force to overwrite)")
            continue
        path.write_text(c.to_yaml())
        # One bucket is for a small table; one that grows past a few hundred MB needs a rebuild with more.
        index = f"buckets: {c.buckets} (small at the source)" if c.buckets else "simple index"
        click.echo(f"wrote   {path} ({index}; docs/performance.md, lever 15)")


@contracts.command("list")
def contracts_list() -> None:
    """List the contracts of the configured source."""
    for c in load_contracts(get_settings().source.name):
        click.echo(f"{c.qualified_source:30} -> {c.domain}/{c.qualified_target:30} key={','.join(c.key)} {c.table_type}")


def parse_renames(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for v in values:
        try:
            table, pair = v.split(":", 1)
            old, new = pair.split("=", 1)
        except ValueError:
            raise click.BadParameter(f"{v!r}: use TABLE:OLD=NEW") from None
        out.setdefault(table, {})[old] = new
    return out


@contracts.command("sync")
@click.argument("tables", nargs=-1)
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="contracts folder (default: CDCLAKE_CONTRACTS_DIR/<source> or the packaged tables/<source>)")
@click.option("--rename", "renames", multiple=True, help="TABLE:OLD=NEW: a source column was renamed (the lake keeps its name)")
@click.option("--dry-run", is_flag=True, help="print the changes without writing")
def contracts_sync(tables: tuple[str, ...], directory: Path | None, renames: tuple[str, ...], dry_run: bool) -> None:
    """Evolve contracts to the source's current columns (ADD, widening, declared RENAME, DROP per policy).

    The running job re-reads the contracts every batch and replays the events it parked while the
    contract lagged behind the source. Exits 1 when a change cannot be applied (the table stays stopped).
    """
    settings = get_settings()
    directory = directory or contracts_dir(settings.source.name)
    load_contracts(directory=directory)  # the folder must validate before anything is written
    results = sync_contracts(settings, directory, list(tables), parse_renames(renames), write=not dry_run)
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
        log(f"{len(results)} contract(s) already match the source")
    if problems:
        sys.exit(1)
