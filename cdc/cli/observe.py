"""`cdclake status` and `cdclake observe ...`: see replication (docs/observe.md)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from cdc.cli.common import chosen_contracts, log
from cdc.settings import get_settings


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="one JSON document for scripts")
@click.option("--watch", type=float, default=None, help="redraw every N seconds until Ctrl-C")
def status(as_json: bool, watch: float | None) -> None:
    """The whole path at a glance: connector, binlog, Kafka lag, last batch, tables; exit 1 when a person is needed."""
    from cdc.observe.status import gather, render

    settings = get_settings()
    if as_json:
        st = gather(settings)
        click.echo(json.dumps(st.to_json(), indent=2, default=str))
        sys.exit(1 if st.attention else 0)
    from rich.console import Console
    from rich.live import Live

    console = Console()
    if watch is None:
        st = gather(settings)
        console.print(render(st))
        sys.exit(1 if st.attention else 0)
    with Live(render(st := gather(settings)), console=console, refresh_per_second=1) as live:
        try:
            while True:
                time.sleep(watch)
                st = gather(settings)
                live.update(render(st))
        except KeyboardInterrupt:
            pass
    sys.exit(1 if st.attention else 0)


@click.group("observe")
def observe() -> None:
    """Metrics, dashboard and alerts: render them from the contracts, run the connector exporter."""


@observe.command("render")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="folder to write into")
def observe_render(out: Path) -> None:
    """Write the Grafana dashboard, the Prometheus rules (+ promtool tests) and the CloudWatch alarms' tfvars."""
    from cdc.observe.render import write

    settings = get_settings()
    for path in write(out, settings.source.name, chosen_contracts(()), settings.metrics.freshness_alert_s):
        click.echo(str(path))


@observe.command("exporter")
@click.option("--port", type=int, default=None, help="default: CDCLAKE_METRICS__EXPORTER_PORT")
def observe_exporter(port: int | None) -> None:
    """Serve the connector's state and binlog lag as Prometheus metrics (runs until stopped)."""
    from cdc.observe.exporter import run_forever

    settings = get_settings()
    log(f"connector metrics on http://{settings.metrics.host}:{port or settings.metrics.exporter_port}/metrics")
    run_forever(settings, port)
