"""Command groups of `cdclake`, one module each; cdc.cli registers them on the main group."""

from __future__ import annotations

import importlib

import click

# Each module defines ``commands: list[click.Command]``; add a module here to add its commands.
MODULES: tuple[str, ...] = ("access", "recovery", "timetravel", "dms", "dlq", "contracts", "deploy")


def register(main: click.Group) -> None:
    for name in MODULES:
        module = importlib.import_module(f"cdc.commands.{name}")
        for cmd in module.commands:
            main.add_command(cmd)
        # A module may also add subcommands to existing groups (e.g. `capture backfill`).
        if hasattr(module, "attach"):
            module.attach(main)
