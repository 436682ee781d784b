from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdc.cli import main
from cdc.devstack.base import Server
from cdc.errors import ServerStartError
from cdc.settings import Settings, StackSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "debezium"


def test_events_decode_prints_canonical_json_lines():
    r = CliRunner().invoke(main, ["events", "decode", str(FIXTURES / "genre-1-update.value.json")])
    assert r.exit_code == 0, r.output
    ev = json.loads(r.output.strip().splitlines()[-1])
    assert (ev["op"], ev["database"], ev["table"], ev["key"]) == ("u", "Chinook", "Genre", {"GenreId": 1})
    assert ev["before"]["Name"] == "Rock" and ev["after"]["Name"] == "Rock!"
    assert ev["position"]["sort_key"].startswith("0000000001:")


def test_events_decode_reports_bad_input_and_fails():
    r = CliRunner().invoke(main, ["events", "decode", "-"], input='{"op": "c"\n')
    assert r.exit_code == 1
    assert json.loads(r.output.strip())["error"] == "DecodeError"


@pytest.mark.parametrize("cmd", [[], ["stack"], ["stack", "up"], ["capture", "register"], ["run"], ["query"], ["demo"], ["events", "decode"]])
def test_every_command_has_help(cmd):
    r = CliRunner().invoke(main, [*cmd, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output


class _Crashing(Server):
    name = "crashing"

    def command(self):
        return ["sh", "-c", "echo 'listener failed: port in use' ; exit 3"]

    def healthy(self):
        return False


def test_server_that_fails_to_start_is_reported_with_its_log(tmp_path):
    settings = Settings(stack=StackSettings(state_dir=tmp_path, cache_dir=tmp_path / "cache", start_timeout_s=10))
    with pytest.raises(ServerStartError) as exc:
        _Crashing(settings).up(log=lambda m: None)
    assert "exited with code 3" in str(exc.value)
    assert "listener failed: port in use" in str(exc.value)
