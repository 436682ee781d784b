"""The native local stack: real servers run as local processes, one module per server.

``up`` starts them in dependency order and returns only when every one is healthy;
``down`` stops exactly the processes whose pid files it wrote.
"""

from __future__ import annotations

from cdc.devstack.base import Server
from cdc.devstack.connect import ConnectServer
from cdc.devstack.kafka import KafkaServer
from cdc.devstack.mariadb import MariaDBServer
from cdc.devstack.minio import MinioServer
from cdc.devstack.prometheus import PrometheusServer
from cdc.devstack.trino import GlueServer, TrinoServer
from cdc.settings import Settings

# Start order; ``down`` uses the reverse.
SERVERS: dict[str, type[Server]] = {
    "mariadb": MariaDBServer,
    "kafka": KafkaServer,
    "connect": ConnectServer,
    "s3": MinioServer,
    "glue": GlueServer,
    "trino": TrinoServer,
    "prometheus": PrometheusServer,
}
# Started only when named (`cdclake stack up glue trino`, `... prometheus`): Athena's path and the
# metrics server, not the pipeline's. `down` with no names stops them too.
OPT_IN = ("glue", "trino", "prometheus")


def servers(settings: Settings, names: list[str] | None = None) -> list[Server]:
    chosen = names or [n for n in SERVERS if n not in OPT_IN]
    unknown = [n for n in chosen if n not in SERVERS]
    if unknown:
        from cdc.errors import ConfigError

        raise ConfigError(f"unknown server(s) {unknown}", next_step=f"choose from {list(SERVERS)}")
    return [SERVERS[n](settings) for n in SERVERS if n in chosen]


def up(settings: Settings, names: list[str] | None = None, log=print) -> None:
    from cdc.devstack.credentials import ensure_credentials

    ensure_credentials(settings)
    chosen = servers(settings, names)
    for server in chosen:  # all downloads first: a missing jar fails before anything starts
        server.ensure_installed(log)
    for server in chosen:
        server.up(log)


def down(settings: Settings, names: list[str] | None = None, log=print) -> None:
    for server in reversed(servers(settings, names or list(SERVERS))):
        server.down(log)


def status(settings: Settings) -> dict[str, dict]:
    return {s.name: s.status() for s in servers(settings, list(SERVERS))}
