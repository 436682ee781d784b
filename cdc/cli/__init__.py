"""The `cdclake` command: one module per top-level group or command, all errors through one boundary.

Each module holds only thin click commands over the packages; `CliGroup` (cdc/cli/common.py) turns
every exception into one line on stderr and exit 2. `python -m cdc.cli.doc` writes the command list
into README.md.
"""

from __future__ import annotations

import click

from cdc.cli.access import access
from cdc.cli.capture import capture
from cdc.cli.catalog import catalog
from cdc.cli.common import CliGroup
from cdc.cli.contracts import contracts
from cdc.cli.demo import demo
from cdc.cli.deploy import deploy
from cdc.cli.dlq import dlq
from cdc.cli.dms import dms
from cdc.cli.events import events
from cdc.cli.lake import lake
from cdc.cli.observe import observe, status
from cdc.cli.query import query
from cdc.cli.reconcile import reconcile
from cdc.cli.run import run
from cdc.cli.snapshot import snapshot
from cdc.cli.source import source
from cdc.cli.stack import stack


@click.group(cls=CliGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Replicate MySQL-family sources into Apache Hudi tables and query them."""


# In the order of the flow: local stack, source, contracts, capture, stream, lake, query, operations.
COMMANDS: tuple[click.Command, ...] = (
    stack, source, contracts, capture, dms, events, run, reconcile, dlq, lake, snapshot, catalog, query, access, deploy, demo,
    status, observe,
)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
