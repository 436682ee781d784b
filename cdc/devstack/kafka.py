"""Apache Kafka in KRaft mode, a single combined broker/controller, from Maven Central jars."""

from __future__ import annotations

import base64
import os
import subprocess
import uuid

from cdc.devstack import artifacts, kafka_tls
from cdc.devstack.base import Log, Server, require_tool, tail
from cdc.errors import ServerStartError

LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.started.name = kafka.server.BrokerServer
logger.started.level = INFO
"""


def java() -> str:
    return require_tool("java", "apt-get install -y openjdk-17-jre-headless (or run `make setup`)")


class KafkaServer(Server):
    name = "kafka"

    def ensure_installed(self, log: Log) -> None:
        java()
        self.jars = artifacts.kafka_jars(self.settings, log)

    @property
    def properties(self):
        return self.home / "server.properties"

    def prepare(self, log: Log) -> None:
        s = self.settings.stack
        data = self.home / "data"
        extra, sasl_listener = "", ""
        if s.kafka_sasl_ssl_port:
            extra, listener = kafka_tls.listener_properties(self.settings, kafka_tls.ensure_tls(self.settings))
            sasl_listener = f",{listener}"
        self.properties.write_text(
            f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={s.host}:{s.kafka_controller_port}
listeners=PLAINTEXT://{s.host}:{s.kafka_port},CONTROLLER://{s.host}:{s.kafka_controller_port}{sasl_listener}
advertised.listeners=PLAINTEXT://{s.host}:{s.kafka_port}{sasl_listener}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
# CDC topics are the replay source of the lake: keep them locally until deleted.
log.retention.ms=-1
{extra}"""
        )
        (self.home / "log4j2.properties").write_text(LOG4J2)
        if not (data / "meta.properties").exists():
            log("[kafka] formatting KRaft storage")
            cluster_id = new_cluster_id()
            out = self.home / "format.log"
            with open(out, "wb") as fh:
                rc = subprocess.call(
                    [*self._java_cmd(), "kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id, "-c", str(self.properties)],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            if rc != 0:
                raise ServerStartError(f"[kafka] storage format failed:\n{tail(out)}", next_step=f"read {out}")

    def _java_cmd(self) -> list[str]:
        classpath = os.pathsep.join(str(j) for j in self.jars)
        return [
            java(),
            "-Xms256m",
            "-Xmx768m",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            classpath,
        ]

    def command(self) -> list[str]:
        return [*self._java_cmd(), "kafka.Kafka", str(self.properties)]

    def after_start(self, log: Log) -> None:
        if self.settings.stack.kafka_sasl_ssl_port:
            from cdc.devstack.credentials import ensure_credentials

            kafka_tls.ensure_scram_user(self.settings, ensure_credentials(self.settings)["kafka_scram_password"], log)

    def healthy(self) -> bool:
        from confluent_kafka.admin import AdminClient

        # The PLAINTEXT listener, whatever login the clients are configured with.
        bootstrap = f"{self.settings.stack.host}:{self.settings.stack.kafka_port}"
        admin = AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 3000, "log_level": 0})
        meta = admin.list_topics(timeout=3)
        return len(meta.brokers) >= 1


def new_cluster_id() -> str:
    """A KRaft cluster id (16 random bytes, URL-safe base64) that does not start with ``-``.

    One id in 64 would otherwise start with ``-``, and kafka-storage's argument parser then reads it
    as an option ("argument --cluster-id/-t: expected one argument"); Kafka's own Uuid.randomUuid
    draws again for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
