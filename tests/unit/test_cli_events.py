"""cdc/cli/events.py: `cdclake events decode`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cdc.cli import main

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
