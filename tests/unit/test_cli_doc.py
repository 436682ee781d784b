"""cdc/cli/doc.py: README.md's command list is the CLI's own (regenerate with `python -m cdc.cli.doc`)."""

from __future__ import annotations

import click

from cdc.cli import main
from cdc.cli.doc import BEGIN, END, README, render, replace_block


def _block(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def test_readme_lists_exactly_the_commands_of_the_cli():
    assert _block(README.read_text(encoding="utf-8")) == render(), "README.md is stale: run `.venv/bin/python -m cdc.cli.doc`"


def test_every_leaf_command_has_a_row():
    def leaves(cmd: click.Command, path: str) -> list[str]:
        if isinstance(cmd, click.Group):
            return [leaf for name, sub in cmd.commands.items() for leaf in leaves(sub, f"{path} {name}")]
        return [path]

    rows = render().splitlines()[2:]
    assert len(rows) == len(leaves(main, "cdclake"))
    for leaf in leaves(main, "cdclake"):
        assert sum(row.startswith(f"| `{leaf}") and row[len(f"| `{leaf}")] in " `" for row in rows) == 1, leaf


def test_a_changed_help_line_makes_the_readme_stale():
    # The mutation check of the equality above: one changed character in one docstring shows.
    @click.group()
    def root() -> None:
        pass

    @root.command("one")
    def one() -> None:
        """Does a thing."""

    before = render(root)
    one.help = "Does a thin."
    assert render(root) != before


def test_replace_block_keeps_the_text_around_the_markers():
    text = f"head\n{BEGIN}\nold\n{END}\ntail\n"
    assert replace_block(text, "new") == f"head\n{BEGIN}\nnew\n{END}\ntail\n"
