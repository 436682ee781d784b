"""`cdclake stack up|down|status`: the local development stack (cdc/devstack)."""

from __future__ import annotations

import click

from cdc import devstack
from cdc.cli.common import log
from cdc.settings import get_settings


@click.group("stack")
def stack() -> None:
    """The native local stack: MariaDB, Kafka (KRaft), Kafka Connect + Debezium, MinIO."""


@stack.command("up")
@click.argument("servers", nargs=-1)
def stack_up(servers: tuple[str, ...]) -> None:
    """Install (first run) and start SERVERS (default: all but the opt-in glue, trino, prometheus); returns when all are healthy."""
    devstack.up(get_settings(), list(servers) or None, log=log)
    click.echo("stack is up")


@stack.command("down")
@click.argument("servers", nargs=-1)
def stack_down(servers: tuple[str, ...]) -> None:
    """Stop SERVERS (default: all) that `up` started."""
    devstack.down(get_settings(), list(servers) or None, log=log)


@stack.command("status")
def stack_status() -> None:
    """Show pid, health and log file of each server."""
    for name, info in devstack.status(get_settings()).items():
        state = "healthy" if info["healthy"] else ("running, not healthy" if info["pid"] else "stopped")
        click.echo(f"{name:8} {state:22} pid={info['pid'] or '-':<8} log={info['log']}")
