"""Nothing silently different (issue 13): connector NULL handling, per-source ids and signal tables,
ENUM label case, commit time fallback, and the README's settings list against the settings model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from cdc.capture import debezium as dbz
from cdc.settings import SERVER_ID_BASE, SERVER_ID_SPAN, Settings, SourceSettings
from lakehouse_schemas.contract import load_contracts

ROOT = Path(__file__).resolve().parents[2]
MSK_FIXTURE = ROOT / "terraform" / "envs" / "dev" / "tests" / "fixtures" / "connector.msk.json"


def _render(target="local", **source):
    settings = Settings()
    settings = settings.model_copy(update={"source": settings.source.model_copy(update=source)})
    contracts = [c.model_copy(update={"source": settings.source.name}) for c in load_contracts("chinook")]
    return dbz.render(settings, contracts, target=target, secret_arn="arn:aws:secretsmanager:eu-west-1:1:secret:x")


@pytest.mark.parametrize("target", ["local", "msk"])
def test_both_converters_keep_null_over_a_default(target):
    cfg = _render(target)
    assert cfg["key.converter.replace.null.with.default"] == "false"
    assert cfg["value.converter.replace.null.with.default"] == "false"


def test_terraform_fixture_carries_the_rendered_converter_settings():
    """terraform/envs/dev applies the checked-in rendering: its converter settings must be today's."""
    fixture = json.loads(MSK_FIXTURE.read_text())
    rendered = _render("msk")
    conv = {k: v for k, v in rendered.items() if "converter" in k}
    assert {k: fixture.get(k) for k in conv} == conv
    assert {k for k in fixture if "converter" in k} == set(conv)


def test_server_id_is_derived_per_source_and_overridable():
    a, b = SourceSettings(name="chinook"), SourceSettings(name="sakila")
    assert a.effective_server_id != b.effective_server_id
    for s in (a, b):
        assert SERVER_ID_BASE <= s.effective_server_id < SERVER_ID_BASE + SERVER_ID_SPAN
    assert SourceSettings(name="chinook").effective_server_id == a.effective_server_id  # stable
    assert SourceSettings(name="chinook", server_id=42).effective_server_id == 42
    assert _render(name="chinook")["database.server.id"] == str(a.effective_server_id)
    assert _render(name="chinook", server_id=7)["database.server.id"] == "7"


def test_server_id_from_environment(monkeypatch):
    monkeypatch.setenv("CDCLAKE_SOURCE__SERVER_ID", "5150")
    assert Settings().source.effective_server_id == 5150


def test_each_source_has_its_own_signal_table():
    one, two = _render(name="chinook"), _render(name="sakila")
    assert one["signal.data.collection"] != two["signal.data.collection"]
    assert one["signal.data.collection"] == dbz.signal_collection("chinook")
    assert re.escape(two["signal.data.collection"]) in two["table.include.list"].split(",")
    assert re.escape(one["signal.data.collection"]) not in two["table.include.list"].split(",")
    assert dbz.signal_table("my-src.x") == "debezium_signal_my_src_x"


@pytest.mark.parametrize(
    ("column_type", "contract_type"),
    [
        ("ENUM('G','PG','NC-17')", "enum('G','PG','NC-17')"),
        ("SET('Trailers','Deleted Scenes')", "set('Trailers','Deleted Scenes')"),
        ("enum('It''s','A\\'b')", "enum('It''s','A\\'b')"),
        ("INT(11) UNSIGNED", "int unsigned"),
        ("VARCHAR(20)", "varchar(20)"),
    ],
)
def test_contract_types_keep_enum_label_case(column_type, contract_type):
    from cdc.source import _normalise_type

    assert _normalise_type(column_type) == contract_type


def _envelope(source_ts, envelope_ts):
    source = {"file": "mysql-bin.000003", "pos": 10, "row": 0, "snapshot": "false", "db": "Chinook", "table": "Genre"}
    if source_ts is not None:
        source["ts_ms"] = source_ts
    return {"op": "u", "before": {"GenreId": 1, "Name": "a"}, "after": {"GenreId": 1, "Name": "b"}, "source": source, "ts_ms": envelope_ts}


@pytest.mark.parametrize(
    ("source_ts", "envelope_ts", "want_ms"),
    [(1700000000123, 1700000009999, 1700000000123), (0, 1700000009999, 1700000009999), (None, 1700000009999, None), (0, None, None)],
)
def test_commit_time_falls_back_to_the_envelope(source_ts, envelope_ts, want_ms):
    from datetime import UTC, datetime

    from cdc.decoders.debezium import decode_debezium

    genre = next(c for c in load_contracts("chinook") if c.table == "Genre")
    ev = decode_debezium(json.dumps(_envelope(source_ts, envelope_ts)), key=json.dumps({"GenreId": 1}), contract=genre)
    assert ev.commit_ts == (None if want_ms is None else datetime.fromtimestamp(want_ms / 1000, UTC))


def _readme_settings() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        m = re.match(r"- `CDCLAKE_([A-Z]+)__\*`: (.*)", line)
        if m:
            names |= {f"{m[1]}__{n}" for n in re.findall(r"`([A-Z0-9_]+)`", m[2])}
    names |= {n for n in re.findall(r"CDCLAKE_([A-Z0-9_]+)", section) if not n.endswith("__")}
    return names


def _model_settings(model: type[BaseModel] = Settings, prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _model_settings(ann, f"{prefix}{name.upper()}__")
        else:
            out.add(f"{prefix}{name.upper()}")
    return out


def test_readme_names_every_setting_and_only_settings():
    readme, model = _readme_settings(), _model_settings()
    assert {"CONTRACTS_DIR", "LAKE__CHECKPOINT_ROOT", "SOURCE__DATABASES", "SOURCE__SERVER_ID"} <= model
    assert readme - model == set(), "the README names settings that do not exist"
    assert model - readme == set(), "settings missing from the README's settings section"


def test_readme_check_catches_a_missing_and_an_unknown_setting(monkeypatch):
    """The comparison above can fail both ways."""
    real = _readme_settings()
    assert "SOURCE__SERVER_ID" in real and "SOURCE__SERVR_ID" not in real
    model = _model_settings()
    assert model - (real - {"SOURCE__SERVER_ID"}) == {"SOURCE__SERVER_ID"}
    assert (real | {"SOURCE__SERVR_ID"}) - model == {"SOURCE__SERVR_ID"}


def test_register_notices_a_connector_evicted_by_a_server_id_conflict():
    def status(state, trace=""):
        return {"status": {"connector": {"state": "RUNNING"}, "tasks": [{"id": 0, "state": state, "trace": trace}]}}

    conflict = "io.debezium.DebeziumException: ... ServerException: A slave with the same server_uuid/server_id as this slave has connected"
    statuses = {
        "cdclake-chinook": status("FAILED", conflict),
        "cdclake-sakila": status("RUNNING"),
        "cdclake-other": status("FAILED", "Access denied for user"),
    }
    assert dbz.evicted_connectors(statuses, "cdclake-sakila") == ["cdclake-chinook"]
    assert dbz.evicted_connectors(statuses, "cdclake-chinook") == []  # its own failure is wait_running's to report
    assert dbz.evicted_connectors({"cdclake-chinook": status("RUNNING")}, "cdclake-sakila") == []
