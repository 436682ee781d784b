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
from cdc.settings import Settings

# Start order; ``down`` uses the reverse.
SERVERS: dict[str, type[Server]] = {
    "mariadb": MariaDBServer,
    "kafka": KafkaServer,
    "connect": ConnectServer,
    "s3": MinioServer,
}
# Started only when named (`cdclake stack up prometheus`); `down` with no names stops them too.
OPT_IN: dict[str, type[Server]] = {"prometheus": PrometheusServer}


def servers(settings: Settings, names: list[str] | None = None, *, opt_in: bool = False) -> list[Server]:
    known = {**SERVERS, **OPT_IN}
    chosen = names or list(SERVERS) + (list(OPT_IN) if opt_in else [])
    unknown = [n for n in chosen if n not in known]
    if unknown:
        from cdc.errors import ConfigError

        raise ConfigError(f"unknown server(s) {unknown}", next_step=f"choose from {list(known)}")
    return [known[n](settings) for n in known if n in chosen]


def up(settings: Settings, names: list[str] | None = None, log=print) -> None:
    from cdc.devstack.credentials import ensure_credentials

    ensure_credentials(settings)
    chosen = servers(settings, names)
    for server in chosen:  # all downloads first: a missing jar fails before anything starts
        server.ensure_installed(log)
    for server in chosen:
        server.up(log)


def down(settings: Settings, names: list[str] | None = None, log=print) -> None:
    for server in reversed(servers(settings, names, opt_in=True)):
        server.down(log)


def status(settings: Settings) -> dict[str, dict]:
    return {s.name: s.status() for s in servers(settings)}
