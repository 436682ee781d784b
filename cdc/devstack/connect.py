"""Kafka Connect in distributed mode (internal topics on the local broker) with the Debezium plugins."""

from __future__ import annotations

import os
import re

import httpx

from cdc.devstack import artifacts
from cdc.devstack.base import Log, Server
from cdc.devstack.kafka import LOG4J2, java

CONNECT_LOG4J2 = LOG4J2 + """logger.debezium.name = io.debezium
logger.debezium.level = INFO
logger.connect.name = org.apache.kafka.connect.runtime.WorkerSourceTask
logger.connect.level = INFO
"""


def env_allowlist() -> str:
    """The only environment variables a connector config may reference: the source password."""
    from cdc.capture.debezium import PASSWORD_ENV

    return f"^{re.escape(PASSWORD_ENV)}$"


# The workers' offsets topic: `CDCLAKE_CONNECT__OFFSETS_TOPIC` points the gap check here instead of the REST API.
OFFSETS_TOPIC = "_connect-offsets"


class ConnectServer(Server):
    name = "connect"

    def ensure_installed(self, log: Log) -> None:
        java()
        self.jars = artifacts.kafka_jars(self.settings, log)
        self.plugin_dir = artifacts.debezium_plugin_dir(self.settings, log)

    @property
    def properties(self):
        return self.home / "connect-distributed.properties"

    def prepare(self, log: Log) -> None:
        s = self.settings.stack
        self.properties.write_text(
            f"""bootstrap.servers={self.settings.kafka.bootstrap_servers}
group.id=cdclake-connect
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
config.storage.topic=_connect-configs
offset.storage.topic={OFFSETS_TOPIC}
status.storage.topic=_connect-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=1000
listeners=http://{s.host}:{s.connect_port}
rest.advertised.host.name={s.host}
rest.advertised.port={s.connect_port}
plugin.path={self.plugin_dir}
plugin.discovery=hybrid_warn
# Secrets reach connector configs as ${{env:NAME}}, resolved in this process only; the allowlist
# keeps every other variable of the worker's environment out of reach of a connector config.
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.env.param.allowlist.pattern={env_allowlist()}
"""
        )
        (self.home / "log4j2.properties").write_text(CONNECT_LOG4J2)

    def env(self) -> dict[str, str]:
        from cdc.capture.debezium import PASSWORD_ENV

        env = super().env()
        env[PASSWORD_ENV] = self.settings.source_password()
        return env

    def command(self) -> list[str]:
        return [
            java(),
            "-Xms256m",
            "-Xmx1g",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            os.pathsep.join(str(j) for j in self.jars),
            "org.apache.kafka.connect.cli.ConnectDistributed",
            str(self.properties),
        ]

    def healthy(self) -> bool:
        r = httpx.get(f"{self.settings.connect.url}/connector-plugins", timeout=3)
        return r.status_code == 200 and any("MariaDb" in p["class"] or "MySql" in p["class"] for p in r.json())
