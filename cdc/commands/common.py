"""What every command shares: friendly errors (exit 2, the next step) and progress on stderr."""

from __future__ import annotations

import functools
import sys

import click

from cdc.errors import CdcLakeError, ConfigError


def _friendly(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CdcLakeError as exc:
            kind = "transient" if exc.__class__.__mro__[1].__name__ == "TransientError" else "error"
            # A settings error is one line, so a wrapper script's log shows it whole.
            text = " ".join(part.strip() for part in str(exc).splitlines()) if isinstance(exc, ConfigError) else exc
            click.secho(f"cdclake {kind}: {text}", fg="red", err=True)
            sys.exit(2)

    return wrapper


def _log(msg: str) -> None:
    click.echo(msg, err=True)
