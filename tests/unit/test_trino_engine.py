"""The local Athena path's pieces without servers: opt-in servers, Java lookup, catalogs, Glue endpoint, CLI."""

from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from cdc import devstack
from cdc.catalog.glue import glue_client
from cdc.devstack import artifacts
from cdc.errors import ConfigError, TerminalError, ToolMissingError
from cdc.query import trino
from cdc.settings import CatalogSettings, LakeSettings, Settings, StackSettings


def _settings(tmp_path, **stack) -> Settings:
    return Settings(
        stack=StackSettings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache", **stack),
        lake=LakeSettings(root="s3a://lake/x/lake", s3_endpoint="http://127.0.0.1:19000", s3_access_key="k", s3_secret_key="s"),
    )


def test_glue_and_trino_start_only_when_named(tmp_path):
    s = _settings(tmp_path)
    assert [x.name for x in devstack.servers(s)] == ["mariadb", "kafka", "connect", "s3"]
    assert [x.name for x in devstack.servers(s, ["trino", "glue"])] == ["glue", "trino"]  # start order: Glue first
    assert set(devstack.status(s)) == {"mariadb", "kafka", "connect", "s3", "glue", "trino", "prometheus"}
    with pytest.raises(ConfigError):
        devstack.servers(s, ["presto"])


def test_catalog_reads_glue_through_the_endpoint_and_s3_with_the_given_keys(tmp_path):
    s = _settings(tmp_path, glue_port=15555)
    props = trino.catalog_properties(s, "reader-key", "reader-secret")
    assert props["connector.name"] == "hudi"
    assert props["hive.metastore"] == "glue"
    assert props["hive.metastore.glue.endpoint-url"] == "http://127.0.0.1:15555"
    assert (props["s3.aws-access-key"], props["s3.aws-secret-key"]) == ("reader-key", "reader-secret")
    assert props["s3.endpoint"] == "http://127.0.0.1:19000"
    assert props["fs.native-s3.enabled"] == "true" and props["s3.path-style-access"] == "true"
    other = s.model_copy(update={"catalog": CatalogSettings(glue_endpoint="http://glue.example:1")})
    assert trino.catalog_properties(other, "a", "b")["hive.metastore.glue.endpoint-url"] == "http://glue.example:1"


def test_catalog_names_are_checked_before_any_sql(tmp_path):
    with pytest.raises(TerminalError, match="catalog name"):
        trino.create_catalog(_settings(tmp_path), "x; DROP CATALOG lake", "a", "b")


def test_glue_client_uses_the_endpoint_override(tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    s = _settings(tmp_path).model_copy(update={"catalog": CatalogSettings(glue_endpoint="http://127.0.0.1:15555")})
    client = glue_client(s, None)
    assert client.meta.endpoint_url == "http://127.0.0.1:15555"
    assert client._request_signer._credentials.access_key == "local"  # placeholders: moto takes any keys
    assert glue_client(_settings(tmp_path), None).meta.endpoint_url.startswith("https://glue.")


def _fake_jdk(root, release: str):
    (root / "bin").mkdir(parents=True)
    java = root / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho \'openjdk version "{release}" 2025-09-16\' >&2\n')
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return java


def test_java_for_trino_is_the_setting_or_a_new_enough_jdk(tmp_path, monkeypatch):
    jvm = tmp_path / "jvm"
    old = _fake_jdk(jvm / "java-17", "17.0.2")
    monkeypatch.setattr(artifacts, "JDK_FOLDERS", (jvm,))
    monkeypatch.setenv("JAVA_HOME", str(old.parent.parent))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolMissingError, match="Java 24") as info:
        artifacts.trino_java(_settings(tmp_path))
    assert "CDCLAKE_STACK__TRINO_JAVA_HOME" in info.value.next_step
    new = _fake_jdk(jvm / "temurin-25", "25.0.3")
    assert artifacts.trino_java(_settings(tmp_path)) == new
    chosen = _fake_jdk(tmp_path / "mine", "24")
    assert artifacts.trino_java(_settings(tmp_path, trino_java_home=chosen.parent.parent)) == chosen


def test_query_prints_athena_sql_for_the_trino_engine_without_servers(tmp_path, monkeypatch):
    from cdc.cli.query import query

    monkeypatch.setenv("CDCLAKE_STACK__STATE_DIR", str(tmp_path))
    monkeypatch.setenv("CDCLAKE_STACK__GLUE_PORT", "1")  # nothing listens: printing must not call Glue
    args = ["SELECT COUNT(*) FROM chinook.invoice", "--as-of", "2025-10-03 12:00:00", "--print-sql"]
    trino_sql = CliRunner().invoke(query, [*args, "--engine", "trino"])
    athena_sql = CliRunner().invoke(query, [*args, "--dialect", "athena"])
    assert trino_sql.exit_code == 0, trino_sql.output
    assert trino_sql.stdout == athena_sql.stdout
    assert '"chinook_finance"."invoice_history"' in trino_sql.stdout


def test_a_refused_query_names_s3s_error_in_one_line(tmp_path, monkeypatch):
    from trino.exceptions import TrinoQueryError as ClientError

    failure = {
        "type": "io.trino.spi.TrinoException",
        "message": "Failed to check for Hudi table at location: s3://lake/x/lake/finance/chinook/invoice",
        "cause": {"type": "java.io.IOException", "message": "read failed", "cause": {
            "type": "software.amazon.awssdk.services.s3.model.S3Exception", "message": "Access Denied. (Service: S3, Status Code: 403)"}},
    }
    error = {"errorName": "HUDI_FILESYSTEM_ERROR", "message": failure["message"], "failureInfo": failure}

    class Cursor:
        def execute(self, sql):
            raise ClientError(error)

    class Conn:
        def cursor(self):
            return Cursor()

        def close(self):
            pass

    monkeypatch.setattr(trino, "connect", lambda settings, catalog: Conn())
    with pytest.raises(trino.TrinoQueryError) as info:
        trino.run(_settings(tmp_path), "SELECT 1", catalog="analysts")
    first = str(info.value).splitlines()[0]
    assert first == (
        "Trino (analysts): HUDI_FILESYSTEM_ERROR: Failed to check for Hudi table at location: "
        "s3://lake/x/lake/finance/chinook/invoice <- S3Exception: Access Denied."
    )
    assert info.value.access_denied
    failure["cause"]["cause"]["message"] = "Slow Down (Service: S3, Status Code: 503)"
    with pytest.raises(trino.TrinoQueryError) as info:
        trino.run(_settings(tmp_path), "SELECT 1", catalog="analysts")
    assert not info.value.access_denied  # the next step's wording does not count as a refusal
