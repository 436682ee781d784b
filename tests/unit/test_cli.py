"""cdc/cli/__init__.py: the command tree."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdc.cli import main


@pytest.mark.parametrize("cmd", [[], ["stack"], ["stack", "up"], ["capture", "register"], ["run"], ["query"], ["demo"], ["events", "decode"]])
def test_every_command_has_help(cmd):
    r = CliRunner().invoke(main, [*cmd, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output
