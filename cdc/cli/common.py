"""What every command shares: the one error boundary (exit 2, one line, the next step) and progress on stderr."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, NoReturn

import click
from pydantic import ValidationError

from cdc import errors as cdc_errors
from cdc.errors import CdcLakeError, ConfigError, TransientError
from cdc.query.asof import time_travel_contracts
from cdc.settings import get_settings
from lakehouse_schemas.contract import TableContract, load_contracts

DEBUG_ENV = "CDCLAKE_DEBUG"
# An error raised inside a streaming batch comes back from Spark as text: the Python traceback's last
# line names our exception ("cdc.errors.ContractError: ..."), its next step on the line after.
_BATCH_ERROR = re.compile(r"^cdc\.errors\.(\w+): (.+)$(?:\n  next step: (.+)$)?", re.MULTILINE)
# Exit codes: 0 done; 1 the documented "differs / invalid / not met" result of a command; 2 failed.
EXIT_FAILED = 2


def log(msg: str) -> None:
    """Progress goes to stderr, so stdout carries only a command's own output."""
    click.echo(msg, err=True)


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def error_line(exc: BaseException) -> str:
    """The single line a user sees for ``exc``: what failed, with which input, and what to do next."""
    if isinstance(exc, CdcLakeError):
        kind = "transient" if isinstance(exc, TransientError) else "error"
        # The message's first line names what failed and its input; later lines (a log tail) are detail.
        message = str(exc.args[0] if exc.args else exc).split("\n  next step:", 1)[0]
        first = message.splitlines()[0] if message.strip() else type(exc).__name__
        if isinstance(exc, ConfigError):  # one problem per bad setting: all of them, joined on the one line
            first = one_line(message) or first
        more = "" if first == one_line(message) else f" (full message: rerun with {DEBUG_ENV}=1)"
        step = f"; next step: {one_line(exc.next_step)}" if exc.next_step else ""
        return f"cdclake {kind}: {first.strip()}{more}{step}"
    if isinstance(exc, ValidationError):
        return _validation_line(exc)
    raised_in_batch = list(_BATCH_ERROR.finditer(str(exc)))
    if raised_in_batch:
        name, message, step = raised_in_batch[-1].groups()
        cls = getattr(cdc_errors, name, None)
        kind = "transient" if isinstance(cls, type) and issubclass(cls, TransientError) else "error"
        return f"cdclake {kind}: {message.strip()}" + (f"; next step: {step.strip()}" if step else "")
    if isinstance(exc, OSError) and exc.filename is not None:
        what = f"{exc.strerror or one_line(str(exc))}: {exc.filename}"
    else:
        what = one_line(str(exc)) or "(no message)"
    return f"cdclake error: unexpected {type(exc).__name__}: {what}; next step: rerun with {DEBUG_ENV}=1 for the traceback"


def _validation_line(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        if exc.title == "Settings":  # pydantic-settings reads CDCLAKE_<SECTION>__<FIELD>
            name = "CDCLAKE_" + "__".join(loc).upper()
        else:
            name = ".".join(loc) or exc.title
        given = err.get("input")
        shown = f"={given!r}" if isinstance(given, str | int | float) and not isinstance(given, bool) else ""
        problems.append(f"{name}{shown}: {err.get('msg', 'invalid')}")
    what = "invalid settings" if exc.title == "Settings" else f"invalid {exc.title}"
    step = "fix the environment variable (README: Settings)" if exc.title == "Settings" else "fix the value named"
    return f"cdclake error: {what}: {'; '.join(problems)}; next step: {step}"


def fail(exc: BaseException) -> NoReturn:
    if os.environ.get(DEBUG_ENV) == "1":
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    click.secho(error_line(exc), fg="red", err=True)
    sys.exit(EXIT_FAILED)


class CliGroup(click.Group):
    """The root group: every exception a command raises ends here (click's own usage errors excepted)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: one line and exit 2, whatever went wrong
            fail(exc)


def chosen_contracts(tables: tuple[str, ...]) -> list[TableContract]:
    """The configured source's contracts, or those of TABLES (source, lake or db.table name); unknown names fail."""
    contracts = load_contracts(get_settings().source.name)
    if not tables:
        return contracts
    chosen = [c for c in contracts if c.table in tables or c.target_table in tables or c.qualified_source in tables]
    unknown = set(tables) - {n for c in chosen for n in (c.table, c.target_table, c.qualified_source)}
    if unknown:
        raise ConfigError(f"no contract for table(s) {sorted(unknown)}", next_step="see `cdclake contracts list`")
    return chosen


def time_travel_contracts_of(tables: tuple[str, ...] = ()) -> list[TableContract]:
    """The contracts with time travel (history/snapshot tables), or those of TABLES; none matching fails."""
    cs = time_travel_contracts(load_contracts(get_settings().source.name))
    if tables:
        cs = [c for c in cs if c.table in tables or c.target_table in tables or c.qualified_target in tables]
        if not cs:
            raise click.BadParameter(f"no contract matches {list(tables)}", param_hint="--table")
    return cs
