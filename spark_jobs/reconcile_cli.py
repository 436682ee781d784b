"""What `cdclake reconcile` prints: one line per table, the differing keys and cells, exit status by the result."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cdc.errors import ConfigError
from cdc.settings import Settings


def parse_sample(text: str | None) -> float | None:
    """``1%`` or ``0.01`` -> 0.01; None: every chunk."""
    if text is None:
        return None
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ConfigError(f"--sample {text}: not a share of the table", next_step="give a percentage such as 1% or 25%")
    return value


def run_reconcile(
    settings: Settings, tables: Iterable[str], *, sample: str | None, chunk_rows: int, log: Callable[[str], None]
) -> bool:
    """Reconcile the chosen tables (all when none are named); True when every one is equal."""
    from lakehouse_schemas import load_contracts
    from spark_jobs.reconcile import reconcile
    from spark_jobs.session import build_session

    tables = set(tables)
    fraction = parse_sample(sample)
    contracts = [c for c in load_contracts(settings.source.name) if not tables or c.table in tables or c.target_table in tables]
    spark = build_session(settings, "cdclake-reconcile", log)
    diffs = reconcile(spark, settings, contracts, sample=fraction, chunk_rows=chunk_rows, log=log)
    for d in diffs:
        log(("ok   " if d.equal else "DIFF ") + d.summary())
        for key, column, src, lake in d.different[:20]:
            log(f"     different {d.table} key {key} column {column}: source {src!r}, lake {lake!r}")
        for key in d.missing_in_lake[:20]:
            log(f"     missing in lake {d.table} key {key}")
        for key in d.extra_in_lake[:20]:
            log(f"     extra in lake {d.table} key {key}")
    return all(d.equal for d in diffs)
