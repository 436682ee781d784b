"""spark_jobs/dlq.py: dead-letter ids; cdc/cli/dlq.py: the `cdclake dlq` commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner


def test_dead_letter_ids():
    from cdc.errors import ConfigError
    from spark_jobs.dlq import parse_ident

    assert parse_ident("torture.torture.alltypes:0:42") == ("torture.torture.alltypes", 0, 42)
    assert parse_ident("a:b:1:2") == ("a:b", 1, 2)
    with pytest.raises(ConfigError):
        parse_ident("no-offset")


def test_dlq_commands_are_registered():
    from cdc.cli import main

    runner = CliRunner()
    for args in (["dlq", "--help"], ["dlq", "list", "--help"], ["dlq", "show", "--help"], ["dlq", "replay", "--help"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
    assert "--table" in runner.invoke(main, ["dlq", "replay", "--help"]).output
