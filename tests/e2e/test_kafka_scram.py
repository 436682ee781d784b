"""The replication flow over SCRAM-SHA-512 + TLS on the real local broker (what MSK's 9096 listener is).

Needs the broker's opt-in SASL_SSL listener: ``CDCLAKE_STACK__KAFKA_SASL_SSL_PORT=<port>`` when the
stack starts (a locally generated CA and broker certificate, a SCRAM user; cdc/devstack/kafka_tls.py).
The connector writes through the PLAINTEXT listener as before; every reader of the topics (the
capture wait and Spark's Kafka source) logs in with SCRAM over TLS.
"""

from __future__ import annotations

import socket
import subprocess
import uuid

import pytest
from pydantic import SecretStr

from cdc.capture import debezium as dbz
from cdc.devstack import kafka_tls, pipeline
from cdc.devstack.workload import Workload
from cdc.errors import ConfigError
from cdc.kafka_security import check_login
from cdc.settings import KafkaSettings, LakeSettings

pytestmark = [pytest.mark.e2e, pytest.mark.kafka_tls]


@pytest.fixture
def scram(local_stack):
    port = local_stack.stack.kafka_sasl_ssl_port
    if not port:
        pytest.fail("the SASL_SSL listener is off: start the stack with CDCLAKE_STACK__KAFKA_SASL_SSL_PORT=<free port>")
    try:
        socket.create_connection((local_stack.stack.host, port), timeout=5).close()
    except OSError:
        pytest.fail(f"nothing listens on {local_stack.stack.host}:{port}: restart kafka (`cdclake stack down kafka && cdclake stack up kafka`)")
    kafka = KafkaSettings(
        bootstrap_servers=f"{local_stack.stack.host}:{port}",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=kafka_tls.SCRAM_USER,
        sasl_password=local_stack.local_credentials()["kafka_scram_password"],
        ssl_ca_location=kafka_tls.tls_dir(local_stack).joinpath("ca.pem"),
    )
    run = uuid.uuid4().hex[:8]
    base = local_stack.stack.state_dir / "test-lakes" / run
    lake = LakeSettings(root=(base / "lake").resolve().as_uri(), checkpoint_root=(base / "checkpoints").resolve().as_uri())
    return local_stack.model_copy(update={"kafka": kafka, "lake": lake})


def test_replication_over_scram_and_tls(local_stack, scram, spark, contracts):
    plain = local_stack.model_copy(update={"lake": scram.lake})
    pipeline.wipe_lake(plain)
    pipeline.fresh_source(plain, contracts)  # the connector and its snapshot: PLAINTEXT, as before
    assert check_login(scram) > 0

    result = Workload(plain, contracts, seed=41).run(300)
    pipeline.drain_capture(scram, result.last_gtid)  # the capture wait reads Kafka over SCRAM + TLS
    stats = pipeline.apply_to_lake(spark, scram, contracts)  # Spark's Kafka source over SCRAM + TLS
    assert stats.records >= 15_000 and stats.dead_letters == 0
    diffs = pipeline.compare_all(spark, scram, contracts)
    bad = [d.summary() for d in diffs if not d.equal]
    assert not bad, "lake differs from source:\n" + "\n".join(bad)
    assert sum(d.source_rows for d in diffs) > 15_000
    dbz.reset(plain, log=lambda m: None)


def test_a_wrong_password_names_the_setting(scram):
    wrong = scram.model_copy(update={"kafka": scram.kafka.model_copy(update={"sasl_password": SecretStr("not-the-password")})})
    with pytest.raises(ConfigError, match="CDCLAKE_KAFKA__SASL_PASSWORD") as e:
        check_login(wrong, timeout_s=20)
    assert "rejected the SCRAM-SHA-512 login of user cdclake" in str(e.value)


def test_an_untrusted_certificate_names_the_setting(scram, tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k"), "-out", str(tmp_path / "other-ca.pem"),
         "-days", "2", "-subj", "/CN=some other CA"],
        check=True, capture_output=True,
    )
    untrusted = scram.model_copy(update={"kafka": scram.kafka.model_copy(update={"ssl_ca_location": tmp_path / "other-ca.pem"})})
    with pytest.raises(ConfigError, match="CDCLAKE_KAFKA__SSL_CA_LOCATION") as e:
        check_login(untrusted, timeout_s=20)
    assert "is not trusted" in str(e.value)
