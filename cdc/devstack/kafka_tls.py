"""The local broker's opt-in SASL_SSL listener: a locally generated CA, a broker certificate and a SCRAM user.

What MSK's SCRAM listener (9096) looks like, on 127.0.0.1: TLS with a certificate the client must
trust (``CDCLAKE_KAFKA__SSL_CA_LOCATION``) and SCRAM-SHA-512 logins. Enabled by
``CDCLAKE_STACK__KAFKA_SASL_SSL_PORT``; the PLAINTEXT listener stays for the Connect worker.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cdc.devstack.base import Log, require_tool
from cdc.errors import ServerStartError
from cdc.settings import Settings

SCRAM_USER = "cdclake"
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    keystore: Path
    keystore_password: str


def tls_dir(settings: Settings) -> Path:
    return settings.stack.state_dir / "kafka" / "tls"


def _openssl(args: list[str], cwd: Path) -> None:
    r = subprocess.run([require_tool("openssl", "apt-get install -y openssl"), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise ServerStartError(f"[kafka] openssl {args[0]} failed: {r.stderr[-800:]}", next_step=f"delete {cwd} and retry `cdclake stack up kafka`")


def ensure_tls(settings: Settings) -> TlsFiles:
    """CA + broker certificate (SAN: the stack host) as PEM and PKCS12, generated once."""
    d = tls_dir(settings)
    ca, p12, pw_file = d / "ca.pem", d / "broker.p12", d / "keystore-password"
    if not (ca.exists() and p12.exists() and pw_file.exists()):
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        host = settings.stack.host
        password = secrets.token_hex(16)
        _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "825",
                  "-subj", "/CN=cdclake local CA"], d)
        _openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr", "-subj", f"/CN={host}"], d)
        (d / "san.ext").write_text(f"subjectAltName=IP:{host},DNS:localhost\n")
        _openssl(["x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "broker.pem",
                  "-days", "825", "-extfile", "san.ext"], d)
        _openssl(["pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-certfile", "ca.pem", "-out", "broker.p12",
                  "-passout", f"pass:{password}"], d)
        pw_file.write_text(password)
        pw_file.chmod(0o600)
    return TlsFiles(ca, p12, pw_file.read_text().strip())


def listener_properties(settings: Settings, tls: TlsFiles) -> tuple[str, str]:
    """server.properties lines of the listener, and the listener itself."""
    port = settings.stack.kafka_sasl_ssl_port
    prefix = "listener.name.sasl_ssl"
    return f"""
# Opt-in SASL_SSL listener (cdc/devstack/kafka_tls.py): SCRAM-SHA-512 over TLS, as MSK's 9096.
sasl.enabled.mechanisms={MECHANISM}
{prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
{prefix}.ssl.keystore.type=PKCS12
{prefix}.ssl.keystore.location={tls.keystore}
{prefix}.ssl.keystore.password={tls.keystore_password}
{prefix}.ssl.key.password={tls.keystore_password}
""", f"SASL_SSL://{settings.stack.host}:{port}"


def ensure_scram_user(settings: Settings, password: str, log: Log) -> None:
    """Create (or reset) the SCRAM user through the PLAINTEXT listener, as an operator does with kafka-configs."""
    from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    admin = AdminClient({"bootstrap.servers": f"{settings.stack.host}:{settings.stack.kafka_port}", "log_level": 0})
    upsert = UserScramCredentialUpsertion(SCRAM_USER, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password.encode())
    for f in admin.alter_user_scram_credentials([upsert]).values():
        f.result()
    log(f"[kafka] SCRAM user {SCRAM_USER!r} on SASL_SSL://{settings.stack.host}:{settings.stack.kafka_sasl_ssl_port}")
