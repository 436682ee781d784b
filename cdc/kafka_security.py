"""How every Kafka client of this project logs in: one function per client kind, one source of truth.

Three clients read or write the change topics: Spark's Kafka source (Java, options prefixed
``kafka.``), the confluent-kafka clients (librdkafka: capture wait, reset, lag, recovery, the DMS
emitter) and Debezium's schema-history producer/consumer inside Kafka Connect. They all take
their security from ``Settings.kafka`` through this module, so a listener change is one setting.

Supported: PLAINTEXT (the local stack), SCRAM-SHA-512/256 over TLS (MSK's 9096 listener), and
MSK IAM (9098): the Java clients use the ``aws-msk-iam-auth`` login module (the jar ships in the
job bundle), librdkafka uses OAUTHBEARER with a token from ``aws-msk-iam-sasl-signer-python``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdc.errors import ConfigError
from cdc.secrets import secret_json
from cdc.settings import Settings

IAM = "AWS_MSK_IAM"
SCRAM = ("SCRAM-SHA-512", "SCRAM-SHA-256")
# Java class names of the MSK IAM library (software.amazon.msk:aws-msk-iam-auth).
IAM_LOGIN_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule"
IAM_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PASSWORD_ENV = "CDCLAKE_KAFKA__SASL_PASSWORD"
USERNAME_ENV = "CDCLAKE_KAFKA__SASL_USERNAME"
SECRET_ENV = "CDCLAKE_KAFKA__SASL_SECRET_ID"
CA_ENV = "CDCLAKE_KAFKA__SSL_CA_LOCATION"
# Consumer group of `cdclake capture gap` reading the workers' offsets topic (the writer role may use it).
OFFSETS_READER_GROUP_PREFIX = "cdclake-offsets-"


@dataclass(frozen=True)
class KafkaLogin:
    protocol: str
    mechanism: str | None
    username: str | None
    password: str | None
    ca_location: str | None
    region: str | None

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")


def _scram_from_secret(secret_id: str, region: str | None) -> tuple[str, str]:
    """MSK's SCRAM secrets (AmazonMSK_*) hold ``{"username": ..., "password": ...}``."""
    doc = secret_json(secret_id, region, SECRET_ENV, ("username", "password"))
    return doc["username"], doc["password"]


def resolve(settings: Settings) -> KafkaLogin:
    """The effective login, with every inconsistency reported as one error naming the setting."""
    k = settings.kafka
    protocol = k.security_protocol
    mechanism = k.sasl_mechanism
    region = k.region or settings.access.region
    username = k.sasl_username
    password = k.sasl_password.get_secret_value() if k.sasl_password else None
    if protocol.startswith("SASL_") and not mechanism:
        raise ConfigError(
            f"CDCLAKE_KAFKA__SECURITY_PROTOCOL={protocol} needs CDCLAKE_KAFKA__SASL_MECHANISM",
            next_step=f"set it to one of {', '.join((*SCRAM, IAM))}",
        )
    if mechanism and not protocol.startswith("SASL_"):
        raise ConfigError(
            f"CDCLAKE_KAFKA__SASL_MECHANISM={mechanism} needs a SASL protocol, not {protocol}",
            next_step="set CDCLAKE_KAFKA__SECURITY_PROTOCOL=SASL_SSL",
        )
    if mechanism == IAM and protocol != "SASL_SSL":
        raise ConfigError("MSK IAM authentication runs over TLS only", next_step="set CDCLAKE_KAFKA__SECURITY_PROTOCOL=SASL_SSL")
    if mechanism in SCRAM:
        if k.sasl_secret_id and not password:
            username, password = _scram_from_secret(k.sasl_secret_id, region)
        if not username or not password:
            raise ConfigError(
                f"{mechanism} needs a username and password",
                next_step=f"export {USERNAME_ENV} and {PASSWORD_ENV}, or {SECRET_ENV}=<Secrets Manager secret>",
            )
    ca = str(k.ssl_ca_location) if k.ssl_ca_location else None
    if ca and not Path(ca).is_file():
        raise ConfigError(f"{CA_ENV}={ca} is not a file", next_step="point it at the PEM file of the CA that signed the brokers' certificates")
    return KafkaLogin(protocol, mechanism, username, password, ca, region)


def _jaas_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def java_client_config(settings: Settings, login: KafkaLogin | None = None) -> dict[str, str]:
    """Kafka Java client properties (no prefix): what Spark's source gets as ``kafka.*`` and Debezium's history clients get."""
    login = login or resolve(settings)
    conf = {"bootstrap.servers": settings.kafka.bootstrap_servers, "security.protocol": login.protocol}
    if login.tls and login.ca_location:
        # Kafka clients read a PEM trust store directly (KIP-651): no keytool step on the job's side.
        conf["ssl.truststore.type"] = "PEM"
        conf["ssl.truststore.location"] = login.ca_location
    if login.mechanism == IAM:
        conf["sasl.mechanism"] = IAM
        conf["sasl.jaas.config"] = f"{IAM_LOGIN_MODULE} required;"
        conf["sasl.client.callback.handler.class"] = IAM_CALLBACK_HANDLER
    elif login.mechanism in SCRAM:
        conf["sasl.mechanism"] = login.mechanism
        conf["sasl.jaas.config"] = (
            f"{SCRAM_LOGIN_MODULE} required username={_jaas_quote(login.username or '')} password={_jaas_quote(login.password or '')};"
        )
    return conf


def spark_kafka_options(settings: Settings) -> dict[str, str]:
    """Options of Spark's Kafka source (``spark.readStream.format("kafka").options(**...)``)."""
    return {f"kafka.{k}": v for k, v in java_client_config(settings).items()}


def _iam_token_callback(region: str):
    def oauth_cb(_config: str) -> tuple[str, float]:
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return oauth_cb


def librdkafka_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """The configuration of every confluent-kafka client (Consumer, Producer, AdminClient)."""
    login = resolve(settings)
    conf: dict[str, Any] = {"bootstrap.servers": settings.kafka.bootstrap_servers, "security.protocol": login.protocol.lower()}
    if login.tls and login.ca_location:
        conf["ssl.ca.location"] = login.ca_location
    if login.mechanism == IAM:
        conf["sasl.mechanism"] = "OAUTHBEARER"
        conf["oauth_cb"] = _iam_token_callback(login.region or "us-east-1")
    elif login.mechanism in SCRAM:
        conf["sasl.mechanism"] = login.mechanism
        conf["sasl.username"] = login.username
        conf["sasl.password"] = login.password
    conf.update(extra)
    return conf


def connector_history_config(settings: Settings) -> dict[str, str]:
    """Debezium's schema-history producer and consumer settings (they do not inherit the worker's).

    A SCRAM login is written as config-provider references (``${secretsmanager:ID:password}`` with
    ``sasl_secret_id``, else ``${env:...}``): the rendered JSON never holds the secret itself.
    """
    k = settings.kafka
    conf: dict[str, str] = {"security.protocol": k.security_protocol}
    if k.security_protocol in ("SSL", "SASL_SSL") and k.ssl_ca_location:
        conf["ssl.truststore.type"] = "PEM"
        conf["ssl.truststore.location"] = str(k.ssl_ca_location)
    if k.sasl_mechanism == IAM:
        conf.update(
            {"sasl.mechanism": IAM, "sasl.jaas.config": f"{IAM_LOGIN_MODULE} required;", "sasl.client.callback.handler.class": IAM_CALLBACK_HANDLER}
        )
    elif k.sasl_mechanism in SCRAM:
        if k.sasl_secret_id:
            user, pw = (f"${{secretsmanager:{k.sasl_secret_id}:{f}}}" for f in ("username", "password"))
        else:
            user, pw = k.sasl_username or f"${{env:{USERNAME_ENV}}}", f"${{env:{PASSWORD_ENV}}}"
        conf.update({"sasl.mechanism": k.sasl_mechanism, "sasl.jaas.config": f"{SCRAM_LOGIN_MODULE} required username={_jaas_quote(user)} password={_jaas_quote(pw)};"})
    if k.security_protocol == "PLAINTEXT":
        return {}
    return {f"schema.history.internal.{side}.{key}": v for side in ("producer", "consumer") for key, v in conf.items()}


def explain_kafka_error(settings: Settings, message: str) -> ConfigError | None:
    """A librdkafka/Java error text -> one error naming the setting to fix; None when it is not a login problem."""
    text = message.lower()
    # TLS first: a handshake error names the sasl_ssl:// listener too.
    if "certificate verify failed" in text or "ssl handshake failed" in text or "pkix path" in text or "unable to get local issuer" in text:
        return ConfigError(
            f"the TLS certificate of Kafka at {settings.kafka.bootstrap_servers} is not trusted",
            next_step=f"set {CA_ENV} to the PEM file of the CA that signed the brokers' certificates (now: {settings.kafka.ssl_ca_location or 'system CAs'})",
        )
    if "authentication failed" in text or "sasl authentication error" in text:
        who = settings.kafka.sasl_username or "(from the secret)"
        return ConfigError(
            f"Kafka at {settings.kafka.bootstrap_servers} rejected the {settings.kafka.sasl_mechanism} login of user {who}",
            next_step=f"check {PASSWORD_ENV} (or {SECRET_ENV}) and {USERNAME_ENV}; for MSK IAM, the role's kafka-cluster:Connect permission",
        )
    return None


def check_login(settings: Settings, timeout_s: float = 15.0) -> int:
    """Connect once and list topics; a login or certificate problem becomes one ConfigError naming the setting.

    Returns the number of topics seen. Called before the stream starts, so a wrong password stops
    the job at once with a clear line instead of a JVM stack trace after the first trigger.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    errors: list[str] = []
    admin = AdminClient(librdkafka_config(settings, log_level=0, error_cb=lambda e: errors.append(str(e))))
    try:
        topics = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as e:
        admin.poll(1)  # librdkafka hands the per-connection errors (auth, TLS) to error_cb only when polled
        for text in [*errors, str(e)]:
            explained = explain_kafka_error(settings, text)
            if explained:
                raise explained from None
        raise ConfigError(
            f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {errors[-1] if errors else e}",
            next_step="check CDCLAKE_KAFKA__BOOTSTRAP_SERVERS and CDCLAKE_KAFKA__SECURITY_PROTOCOL (the listener's port and protocol)",
        ) from None
    return len(topics)
