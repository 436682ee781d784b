"""The configs Terraform deploys are the ones the code renders: a stale checked-in fixture fails here.

Fixtures: the MSK Connect connector (`cdclake capture render --target msk`) and the DMS task
(`cdclake dms render`). Regenerate them with ``python -m tests.unit.test_fixture_drift --write``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from cdc.capture import debezium, dms
from cdc.settings import Settings
from lakehouse_schemas.contract import load_contracts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "terraform" / "envs" / "dev" / "tests" / "fixtures"
SOURCE_SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cdclake/dev/source-AbCdEf"


def msk_settings() -> Settings:
    """What envs/dev deploys: Aurora MySQL over TLS, MSK's IAM listener (the values of dev.tftest.hcl)."""
    return Settings(
        source={"name": "chinook", "flavor": "mysql", "host": "aurora-writer.cluster-example.eu-west-1.rds.amazonaws.com",
                "port": 3306, "ssl_mode": "required"},
        kafka={"bootstrap_servers": "b-1.example.kafka.eu-west-1.amazonaws.com:9098", "security_protocol": "SASL_SSL",
               "sasl_mechanism": "AWS_MSK_IAM", "topic_retention_ms": 14 * 24 * 3600 * 1000},
    )


def dms_settings() -> dms.DmsSettings:
    return dms.DmsSettings(broker="b-1.example.kafka.eu-west-1.amazonaws.com:9096", sasl_username="cdclake-dms")


def rendered() -> dict[str, dict]:
    chinook = load_contracts("chinook", ROOT / "lakehouse_schemas" / "tables" / "chinook")
    dms_config = dms.render(load_contracts(directory=ROOT / "tests" / "fixtures" / "dms"), dms_settings())
    return {
        "connector.msk.json": debezium.render(msk_settings(), chinook, target="msk", secret_arn=SOURCE_SECRET),
        "dms.task-settings.json": dms_config.task_settings,
        "dms.table-mappings.json": dms_config.table_mappings,
        "dms.kafka-settings.json": dms_config.kafka_settings,
    }


def drift(fixtures: dict[str, dict], wanted: dict[str, dict]) -> dict[str, list[str]]:
    """Per fixture: the keys (dotted paths) whose value differs, is missing or is extra."""
    def flat(d, prefix=""):
        out = {}
        for k, v in (d.items() if isinstance(d, dict) else enumerate(d)):
            if isinstance(v, dict | list) and v:
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out

    result = {}
    for name, want in wanted.items():
        have = flat(fixtures.get(name, {}))
        want_flat = flat(want)
        diff = sorted(k for k in have.keys() | want_flat.keys() if have.get(k, KeyError) != want_flat.get(k, KeyError))
        if diff:
            result[name] = diff
    return result


def checked_in() -> dict[str, dict]:
    return {name: json.loads((FIXTURES / name).read_text()) for name in rendered()}


def test_fixtures_equal_what_the_code_renders():
    found = drift(checked_in(), rendered())
    assert found == {}, f"stale fixtures (regenerate: python -m tests.unit.test_fixture_drift --write): {found}"


def test_msk_connector_logs_in_to_msk_with_iam_and_keeps_the_signal_table():
    c = checked_in()["connector.msk.json"]
    assert c["schema.history.internal.producer.sasl.mechanism"] == "AWS_MSK_IAM"
    assert c["schema.history.internal.consumer.security.protocol"] == "SASL_SSL"
    assert "cdclake_signal" in c["table.include.list"]
    assert c["topic.creation.default.retention.ms"] == str(14 * 24 * 3600 * 1000)


@pytest.mark.parametrize(
    "name,path,value",
    [
        ("connector.msk.json", ["database.port"], "3307"),
        ("connector.msk.json", ["schema.history.internal.producer.sasl.mechanism"], None),  # a key removed
        ("dms.task-settings.json", ["TargetMetadata", "LobMaxSize"], 33),
        ("dms.table-mappings.json", ["rules", 0, "rule-name"], "renamed"),
    ],
)
def test_a_one_value_edit_of_a_fixture_is_caught(name, path, value):
    fixtures = copy.deepcopy(checked_in())
    node = fixtures[name]
    for p in path[:-1]:
        node = node[p]
    if value is None:
        del node[path[-1]]
    else:
        assert node[path[-1]] != value
        node[path[-1]] = value
    assert name in drift(fixtures, rendered())


if __name__ == "__main__" and "--write" in sys.argv:
    for fname, doc in rendered().items():
        (FIXTURES / fname).write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {FIXTURES / fname}")
