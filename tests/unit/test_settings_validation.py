"""Bad settings values: each is one ConfigError line naming the variable and what is allowed (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cdc.errors import ConfigError
from cdc.settings import load_settings

# (variable without the CDCLAKE_ prefix, bad value, words of the allowed values the message must name)
BAD = [
    ("SOURCE__PORT", "abc", "1..65535"),
    ("SOURCE__PORT", "-1", "1..65535"),
    ("SOURCE__PORT", "99999999", "1..65535"),
    ("SOURCE__PORT", "0", "1..65535"),
    ("SOURCE__PORT", "1.5", "1..65535"),
    ("SOURCE__PORT", "", "1..65535"),
    ("SOURCE__FLAVOR", "postgres", "'mariadb' or 'mysql'"),
    ("SOURCE__SSL_MODE", "banana", "verify_identity"),
    ("SOURCE__SERVER_ID", "0", "greater than or equal to 1"),
    ("SOURCE__NAME", "bad topic/prefix", "Kafka topic prefix"),
    ("SOURCE__DATABASES", '["Chinook", "x; DROP"]', "database name"),
    ("STACK__KAFKA_PORT", "70000", "1..65535"),
    ("STACK__CONNECT_PORT", "http", "1..65535"),
    ("ACCESS__ACCOUNT_ID", "*", "12-digit"),
    ("ACCESS__ACCOUNT_ID", "12345", "12-digit"),
    ("ACCESS__REGION", "mars", "us-east-1"),
    ("ACCESS__PARTITION", "azure", "'aws', 'aws-cn' or 'aws-us-gov'"),
    ("ACCESS__KMS_KEY_ARN", "notanarn", "arn:<aws"),
    ("ACCESS__MSK_CLUSTER_ARN", "arn:aws:kafka:eu-west-1:1:cluster/x", "12-digit account"),
    ("ACCESS__BYTES_SCANNED_CUTOFF", "10", "greater than or equal to"),
    ("CATALOG__CATALOG_ID", "abc", "12-digit"),
    ("CATALOG__GLUE_REGION", "EU", "us-east-1"),
    ("CATALOG__POLL_INTERVAL_S", "0", "greater than 0"),
    ("TIMETRAVEL__SNAPSHOT_RETENTION_DAYS", "-3", "greater than or equal to 0"),
    ("SPARK__SHUFFLE_PARTITIONS", "many", "valid integer"),
    ("SPARK__ADD_JARS", "maybe", "valid boolean"),
]


@pytest.fixture
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("CDCLAKE_") and k not in ("CDCLAKE_STACK__STATE_DIR", "CDCLAKE_STACK__CACHE_DIR"):
            monkeypatch.delenv(k)
    return monkeypatch


@pytest.mark.parametrize(("var", "value", "allowed"), BAD, ids=[f"{v}={x}" for v, x, _ in BAD])
def test_bad_value_names_the_variable_and_the_allowed_values(clean_env, var, value, allowed):
    clean_env.setenv(f"CDCLAKE_{var}", value)
    with pytest.raises(ConfigError) as ei:
        load_settings()
    msg = str(ei.value)
    assert f"CDCLAKE_{var}=" in msg, msg
    assert allowed in msg, msg
    assert ei.value.variables == [f"CDCLAKE_{var}"]
    assert "Traceback" not in msg and "pydantic" not in msg.lower()


GOOD = [
    ("SOURCE__PORT", "1", ("source", "port"), 1),
    ("SOURCE__PORT", "65535", ("source", "port"), 65535),
    ("SOURCE__FLAVOR", "mysql", ("source", "flavor"), "mysql"),
    ("SOURCE__SSL_MODE", "verify_ca", ("source", "ssl_mode"), "verify_ca"),
    ("SOURCE__NAME", "prod.orders-1", ("source", "name"), "prod.orders-1"),
    ("ACCESS__ACCOUNT_ID", "111122223333", ("access", "account_id"), "111122223333"),
    ("ACCESS__REGION", "us-gov-west-1", ("access", "region"), "us-gov-west-1"),
    ("ACCESS__KMS_KEY_ARN", "arn:aws:kms:eu-west-1:111122223333:key/1", ("access", "kms_key_arn"), "arn:aws:kms:eu-west-1:111122223333:key/1"),
]


@pytest.mark.parametrize(("var", "value", "path", "expected"), GOOD, ids=[f"{v}={x}" for v, x, _, _ in GOOD])
def test_good_values_at_the_edges_are_accepted(clean_env, var, value, path, expected):
    clean_env.setenv(f"CDCLAKE_{var}", value)
    s = load_settings()
    assert getattr(getattr(s, path[0]), path[1]) == expected


def test_every_bad_variable_is_reported_once_each(clean_env):
    clean_env.setenv("CDCLAKE_SOURCE__PORT", "abc")
    clean_env.setenv("CDCLAKE_SOURCE__FLAVOR", "postgres")
    with pytest.raises(ConfigError) as ei:
        load_settings()
    assert sorted(ei.value.variables) == ["CDCLAKE_SOURCE__FLAVOR", "CDCLAKE_SOURCE__PORT"]


def test_a_secret_value_is_never_echoed(clean_env):
    clean_env.setenv("CDCLAKE_SOURCE__PASSWORD", "hunter2-secret")
    clean_env.setenv("CDCLAKE_SOURCE__PORT", "abc")
    with pytest.raises(ConfigError) as ei:
        load_settings()
    assert "hunter2" not in str(ei.value)


def test_cli_with_a_bad_variable_prints_one_line_and_exits_2(clean_env):
    env = {**os.environ, "CDCLAKE_SOURCE__PORT": "abc"}
    p = subprocess.run(
        [sys.executable, "-c", "from cdc.cli import main; main()", "contracts", "list"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "CDCLAKE_SOURCE__PORT='abc'" in lines[0] and "1..65535" in lines[0] and "next step" in lines[0]
    assert p.stdout == ""


def test_a_list_or_mapping_variable_that_is_not_json_is_named(clean_env):
    clean_env.setenv("CDCLAKE_ACCESS__READERS", "notjson")
    with pytest.raises(ConfigError) as ei:
        load_settings()
    assert "CDCLAKE_ACCESS__READERS is not valid JSON" in str(ei.value)
    assert ei.value.variables == ["CDCLAKE_ACCESS__READERS"]
