"""`cdclake catalog render|sync`: the AWS Glue Data Catalog entries Athena reads."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cdc.catalog.glue import sync, table_definitions
from cdc.cli.common import log, time_travel_contracts_of
from cdc.settings import get_settings


@click.group("catalog")
def catalog() -> None:
    """The AWS Glue Data Catalog entries Athena reads (current, history and snapshot tables)."""


@catalog.command("render")
@click.option("--out", type=click.Path(path_type=Path), default=Path("build/glue"), show_default=True)
def catalog_render(out: Path) -> None:
    """Write the Glue TableInput of every table to OUT/<database>/<table>.json."""
    settings = get_settings()
    for c in time_travel_contracts_of():
        for t in table_definitions(c, settings.lake_root):
            path = out / t.database / f"{t.name}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(t.table_input(), indent=2, sort_keys=True) + "\n")
            click.echo(str(path))


@catalog.command("sync")
def catalog_sync() -> None:
    """Create/update Glue databases and tables with boto3 and keep their partitions equal to the lake's."""
    # Lazy: pyspark is the slow import; `catalog render` and the CLI's other commands do not pay for it.
    from spark_jobs.lake import catalog_state
    from spark_jobs.session import build_session

    settings = get_settings()
    contracts = time_travel_contracts_of()
    spark = build_session(settings, "cdclake-catalog", log)
    existing, partitions = catalog_state(spark, settings, contracts)
    report = sync(settings, contracts, partitions, existing=existing, log=log)
    click.echo(f"{len(report.tables)} table(s) in {len(report.databases)} Glue database(s); "
               f"partitions +{sum(report.partitions_added.values())} -{sum(report.partitions_removed.values())}")
