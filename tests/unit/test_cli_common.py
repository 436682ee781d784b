"""cdc/cli/common.py: the one error boundary of `cdclake` (one line on stderr, exit 2, the next step)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cdc.cli import main
from cdc.cli.common import DEBUG_ENV, EXIT_FAILED, CliGroup, error_line
from cdc.errors import ConfigError, ServerUnavailable, TerminalError


def _group_raising(exc: BaseException) -> click.Group:
    @click.group(cls=CliGroup)
    def root() -> None:
        pass

    @root.group("outer")
    def outer() -> None:
        pass

    @outer.command("boom")
    def boom() -> None:
        raise exc

    return root


def _run(group: click.Group, args: list[str], **env: str):
    return CliRunner().invoke(group, args, env=env)


def test_a_project_error_is_one_line_with_the_next_step_and_exit_2():
    r = _run(_group_raising(ConfigError("no contract for table(s) ['Nope']", next_step="see `cdclake contracts list`")), ["outer", "boom"])
    assert r.exit_code == EXIT_FAILED == 2
    assert r.output.splitlines() == ["cdclake error: no contract for table(s) ['Nope']; next step: see `cdclake contracts list`"]


def test_a_transient_error_says_so_by_class_not_by_name():
    class Subclassed(ServerUnavailable):  # two levels below TransientError: __mro__[1] would miss it
        pass

    r = _run(_group_raising(Subclassed("Kafka Connect at http://localhost:1 is not answering", next_step="retry")), ["outer", "boom"])
    assert r.exit_code == 2
    assert r.output.splitlines() == ["cdclake transient: Kafka Connect at http://localhost:1 is not answering; next step: retry"]


def test_a_multi_line_message_keeps_its_first_line_and_points_to_the_debug_switch():
    exc = TerminalError("Maven could not resolve jar set 'spark' (exit 1); last lines:\n[ERROR] 404\n[ERROR] more", next_step="check Maven Central")
    r = _run(_group_raising(exc), ["outer", "boom"])
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        (
            f"cdclake error: Maven could not resolve jar set 'spark' (exit 1); last lines: (full message: rerun with {DEBUG_ENV}=1); "
            "next step: check Maven Central"
        )
    ]


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (KeyError("value"), f"cdclake error: unexpected KeyError: 'value'; next step: rerun with {DEBUG_ENV}=1 for the traceback"),
        (
            FileNotFoundError(2, "No such file or directory", "/no/such.yaml"),
            f"cdclake error: unexpected FileNotFoundError: No such file or directory: /no/such.yaml; next step: rerun with {DEBUG_ENV}=1 for the traceback",
        ),
        (
            RecursionError("maximum recursion depth exceeded\nwhile decoding"),
            f"cdclake error: unexpected RecursionError: maximum recursion depth exceeded while decoding; next step: rerun with {DEBUG_ENV}=1 for the traceback",
        ),
    ],
)
def test_an_unexpected_exception_is_one_line_with_the_debug_hint(exc, line):
    r = _run(_group_raising(exc), ["outer", "boom"])
    assert r.exit_code == 2
    assert r.output.splitlines() == [line]
    assert "Traceback" not in r.output


def test_the_debug_switch_shows_the_traceback_and_still_exits_2():
    r = _run(_group_raising(KeyError("value")), ["outer", "boom"], **{DEBUG_ENV: "1"})
    assert r.exit_code == 2
    assert "Traceback (most recent call last)" in r.output
    assert r.output.splitlines()[-1] == f"cdclake error: unexpected KeyError: 'value'; next step: rerun with {DEBUG_ENV}=1 for the traceback"


def test_usage_errors_and_documented_exit_codes_pass_through():
    @click.group(cls=CliGroup)
    def root() -> None:
        pass

    @root.command("differs")
    def differs() -> None:
        raise SystemExit(1)  # the documented "differs / invalid" result

    @root.command("needs")
    @click.argument("x")
    def needs(x: str) -> None:
        pass

    assert _run(root, ["differs"]).exit_code == 1
    usage = _run(root, ["needs"])
    assert usage.exit_code == 2 and "Missing argument 'X'" in usage.output


def test_error_line_catches_a_one_character_difference():
    # The mutation check of the exact-line assertions above: another next step gives another line.
    a = error_line(ConfigError("x", next_step="do a"))
    assert a == "cdclake error: x; next step: do a"
    assert a != error_line(ConfigError("x", next_step="do b"))


@pytest.fixture
def fresh_settings():
    from cdc.settings import get_settings

    get_settings.cache_clear()  # the settings are read once per process: read them again with this test's environment
    yield
    get_settings.cache_clear()


def test_the_real_cli_turns_a_bad_settings_value_into_one_line(fresh_settings):
    r = CliRunner().invoke(main, ["contracts", "list"], env={"CDCLAKE_SOURCE__PORT": "abc"})
    assert r.exit_code == 2, r.output
    assert r.output.splitlines() == [
        (
            "cdclake error: invalid settings: CDCLAKE_SOURCE__PORT='abc': must be a TCP port number 1..65535; "
            "next step: fix or unset CDCLAKE_SOURCE__PORT (docs: README.md, Settings)"
        )
    ]


def test_the_real_cli_names_an_unknown_server():
    r = CliRunner().invoke(main, ["stack", "status", "--help"])
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["stack", "down", "nosuchserver"])
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "cdclake error: unknown server(s) ['nosuchserver']; next step: choose from ['mariadb', 'kafka', 'connect', 's3', 'glue', 'trino', 'prometheus']"
    ]


def test_an_error_raised_inside_a_streaming_batch_is_our_one_line_not_sparks_traceback():
    """A batch's ContractError reaches `cdclake run` as a StreamingQueryException whose text is the
    Python traceback; the user sees the error's own line and next step."""
    import traceback

    from cdc.errors import ContractError

    try:
        raise ContractError("evo.orders: the contract asks for 4 buckets, the table was written with 2 buckets",
                            next_step="set buckets back to 2 in the contract")
    except ContractError:
        text = traceback.format_exc()

    class StreamingQueryException(Exception):
        """pyspark's own needs a running JVM to build; its text is what matters here."""

    exc = StreamingQueryException(f"[STREAM_FAILED] Query [id = 1] terminated with exception: An exception was raised by the "
                                  f"Python Proxy. Return Message: {text}")
    assert error_line(exc) == ("cdclake error: evo.orders: the contract asks for 4 buckets, the table was written with 2 buckets; "
                               "next step: set buckets back to 2 in the contract")


@pytest.mark.parametrize("cls", ["TransientError", "ServerUnavailable", "ReplicationTimeout"])
def test_a_transient_error_raised_inside_a_batch_says_transient_by_its_class(cls):
    """Every TransientError subclass (ReplicationTimeout included) is retryable, whatever its name."""
    exc = RuntimeError(f"Traceback (most recent call last):\ncdc.errors.{cls}: kafka went away\n  next step: rerun")
    assert error_line(exc) == "cdclake transient: kafka went away; next step: rerun"
    assert error_line(RuntimeError("cdc.errors.DecodeError: bad row")) == "cdclake error: bad row"
