"""cdc/cli/__init__.py: the command tree."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdc.cli import main


@pytest.mark.parametrize("cmd", [[], ["stack"], ["stack", "up"], ["capture", "register"], ["run"], ["query"], ["demo"], ["events", "decode"]])
def test_every_command_has_help(cmd):
    r = CliRunner().invoke(main, [*cmd, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output


def test_no_command_shadows_another():
    from cdc.cli import COMMANDS

    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names)), names
    assert sorted(main.commands) == sorted(names)  # every top-level command is registered once, from COMMANDS
