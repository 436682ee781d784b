"""One function renders every Kafka client's login: Spark's source, librdkafka and Debezium's history clients."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from cdc import kafka_security as ks
from cdc.errors import ConfigError
from cdc.settings import Settings

BROKERS = "b-1.example.kafka.eu-west-1.amazonaws.com:9098"


def settings(**kafka) -> Settings:
    return Settings(kafka={"bootstrap_servers": BROKERS, **kafka})


def test_plaintext_is_the_local_default():
    s = settings()
    assert ks.spark_kafka_options(s) == {"kafka.bootstrap.servers": BROKERS, "kafka.security.protocol": "PLAINTEXT"}
    assert ks.librdkafka_config(s, **{"group.id": "g"}) == {"bootstrap.servers": BROKERS, "security.protocol": "plaintext", "group.id": "g"}
    assert ks.connector_history_config(s) == {}


def test_msk_iam_for_spark_and_librdkafka():
    s = settings(security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM", region="eu-west-1")
    assert ks.spark_kafka_options(s) == {
        "kafka.bootstrap.servers": BROKERS,
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "AWS_MSK_IAM",
        "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
        "kafka.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
    }
    conf = ks.librdkafka_config(s)
    cb = conf.pop("oauth_cb")
    assert conf == {"bootstrap.servers": BROKERS, "security.protocol": "sasl_ssl", "sasl.mechanism": "OAUTHBEARER"}
    assert callable(cb)
    history = ks.connector_history_config(s)
    assert history["schema.history.internal.producer.sasl.mechanism"] == "AWS_MSK_IAM"
    assert history["schema.history.internal.consumer.sasl.client.callback.handler.class"] == ks.IAM_CALLBACK_HANDLER


def test_iam_token_callback_signs_a_kafka_connect_request_for_the_region(monkeypatch):
    import base64
    import time
    from urllib.parse import parse_qs, urlparse

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    cb = ks.librdkafka_config(settings(security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM", region="eu-west-1"))["oauth_cb"]
    token, expiry_s = cb("")
    url = urlparse(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    query = parse_qs(url.query)
    assert url.netloc == "kafka.eu-west-1.amazonaws.com"
    assert query["Action"] == ["kafka-cluster:Connect"]
    assert query["X-Amz-Credential"][0].startswith("AKIAEXAMPLEKEY/") and "/eu-west-1/kafka-cluster/" in query["X-Amz-Credential"][0]
    assert time.time() < expiry_s < time.time() + 3600  # seconds, as librdkafka wants them


def test_scram_over_tls_with_a_private_ca(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="cdc", sasl_password='p"w\\d', ssl_ca_location=ca)
    assert ks.spark_kafka_options(s) == {
        "kafka.bootstrap.servers": BROKERS,
        "kafka.security.protocol": "SASL_SSL",
        "kafka.ssl.truststore.type": "PEM",
        "kafka.ssl.truststore.location": str(ca),
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="cdc" password="p\\"w\\\\d";',
    }
    assert ks.librdkafka_config(s) == {
        "bootstrap.servers": BROKERS,
        "security.protocol": "sasl_ssl",
        "ssl.ca.location": str(ca),
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "cdc",
        "sasl.password": 'p"w\\d',
    }
    # The connector JSON refers to the password, never holds it.
    history = ks.connector_history_config(s)
    assert 'password="${env:CDCLAKE_KAFKA__SASL_PASSWORD}"' in history["schema.history.internal.producer.sasl.jaas.config"]
    assert 'p"w' not in json.dumps(history)


@mock_aws
def test_scram_credentials_from_secrets_manager():
    sm = boto3.client("secretsmanager", region_name="eu-west-1")
    arn = sm.create_secret(Name="AmazonMSK_cdclake", SecretString=json.dumps({"username": "u1", "password": "pw1"}))["ARN"]
    s = settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_secret_id=arn, region="eu-west-1")
    conf = ks.librdkafka_config(s)
    assert (conf["sasl.username"], conf["sasl.password"]) == ("u1", "pw1")
    assert f"${{secretsmanager:{arn}:password}}" in ks.connector_history_config(s)["schema.history.internal.consumer.sasl.jaas.config"]
    bad = sm.create_secret(Name="plain", SecretString="just-a-password")["ARN"]
    with pytest.raises(ConfigError, match="CDCLAKE_KAFKA__SASL_SECRET_ID"):
        ks.librdkafka_config(settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_secret_id=bad, region="eu-west-1"))


@pytest.mark.parametrize(
    "kafka,names",
    [
        ({"security_protocol": "SASL_SSL"}, "CDCLAKE_KAFKA__SASL_MECHANISM"),
        ({"sasl_mechanism": "SCRAM-SHA-512"}, "CDCLAKE_KAFKA__SECURITY_PROTOCOL"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "AWS_MSK_IAM"}, "CDCLAKE_KAFKA__SECURITY_PROTOCOL=SASL_SSL"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": "u"}, "CDCLAKE_KAFKA__SASL_PASSWORD"),
        ({"security_protocol": "SSL", "ssl_ca_location": "/nonexistent/ca.pem"}, "CDCLAKE_KAFKA__SSL_CA_LOCATION"),
    ],
)
def test_inconsistent_settings_name_the_setting(kafka, names):
    with pytest.raises(ConfigError, match=names):
        ks.resolve(settings(**kafka))


@pytest.mark.parametrize(
    "text,names",
    [
        ("SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
         "CDCLAKE_KAFKA__SASL_PASSWORD"),
        ("ssl://b-1:9096/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed", "CDCLAKE_KAFKA__SSL_CA_LOCATION"),
    ],
)
def test_login_failures_are_explained(text, names):
    err = ks.explain_kafka_error(settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512"), text)
    assert err is not None and names in str(err)
    assert ks.explain_kafka_error(settings(), "Broker: Unknown topic or partition") is None


@mock_aws
def test_source_password_from_secrets_manager():
    sm = boto3.client("secretsmanager", region_name="eu-west-1")
    arn = sm.create_secret(Name="aurora", SecretString=json.dumps({"username": "cdc", "password": "src-pw", "host": "h"}))["ARN"]
    s = Settings(source={"password_secret_id": arn}, access={"region": "eu-west-1"}, stack={"state_dir": "/nonexistent"})
    assert s.source_password() == "src-pw"
    missing = Settings(source={"password_secret_id": "nope"}, access={"region": "eu-west-1"}, stack={"state_dir": "/nonexistent"})
    with pytest.raises(ConfigError, match="CDCLAKE_SOURCE__PASSWORD_SECRET_ID"):
        missing.source_password()
