"""Opt-in servers of the local stack for Athena's path: a Glue API (moto) and Trino (Athena engine v3's engine).

``cdclake stack up glue trino``: `cdclake catalog sync` writes the Glue databases, tables and
partitions to the local Glue API; Trino's Hudi connector reads those definitions through the Glue
API and the files from the local S3 server with its native S3 file system, the way Athena reads
the lake on AWS. One node (coordinator and worker), a 1 GB heap, only the Hudi plugin installed.
"""

from __future__ import annotations

import sys
import uuid

import httpx

from cdc import versions
from cdc.devstack import artifacts
from cdc.devstack.base import Log, Server
from cdc.query.trino import LAKE_CATALOG, catalog_properties, glue_endpoint

# Trino refuses to start when heap headroom + query memory exceed the heap; both fit in 1 GB.
HEAP = "1G"
QUERY_MEMORY = "300MB"
HEADROOM = "200MB"


class GlueServer(Server):
    """moto in server mode: the Glue API with the endpoint override; its catalog lives in memory."""

    name = "glue"

    def command(self) -> list[str]:
        s = self.settings.stack
        return [sys.executable, "-m", "moto.server", "-H", s.host, "-p", str(s.glue_port)]

    def healthy(self) -> bool:
        return httpx.get(f"{glue_endpoint(self.settings)}/moto-api/data.json", timeout=3).status_code == 200


class TrinoServer(Server):
    name = "trino"

    def ensure_installed(self, log: Log) -> None:
        self.java = artifacts.trino_java(self.settings)
        self.install = artifacts.trino_home(self.settings, log)

    @property
    def url(self) -> str:
        return f"http://{self.settings.stack.host}:{self.settings.stack.trino_port}"

    def prepare(self, log: Log) -> None:
        etc = self.home / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        port = self.settings.stack.trino_port
        node_id = self.home / "node-id"
        if not node_id.exists():
            node_id.write_text(uuid.uuid4().hex)
        (etc / "config.properties").write_text(
            "\n".join(
                [
                    "node.environment=cdclake",
                    f"node.id={node_id.read_text().strip()}",
                    "coordinator=true",
                    "node-scheduler.include-coordinator=true",
                    f"http-server.http.port={port}",
                    f"discovery.uri={self.url}",
                    # the workgroups' catalogs (their own S3 keys) are created and dropped with SQL
                    "catalog.management=dynamic",
                    f"query.max-memory={QUERY_MEMORY}",
                    f"query.max-memory-per-node={QUERY_MEMORY}",
                    f"memory.heap-headroom-per-node={HEADROOM}",
                    # 2 cores shared with the rest of the stack
                    "task.concurrency=2",
                    "task.max-worker-threads=4",
                    "",
                ]
            )
        )
        (etc / "log.properties").write_text("io.trino=WARN\nio.trino.server.Server=INFO\n")  # keeps "SERVER STARTED"
        access, secret = self.settings.s3_credentials()
        (etc / "catalog" / f"{LAKE_CATALOG}.properties").write_text(
            "".join(f"{k}={v}\n" for k, v in catalog_properties(self.settings, access, secret).items())
        )

    def command(self) -> list[str]:
        etc = self.home / "etc"
        return [
            str(self.java),
            "-server",
            f"-Xmx{HEAP}",
            "-XX:+UseSerialGC",  # one small heap: the parallel collectors' threads would only compete for 2 cores
            "-XX:ReservedCodeCacheSize=128M",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djdk.attach.allowAttachSelf=true",
            "-XX:+EnableDynamicAgentLoading",
            "-Dfile.encoding=UTF-8",
            "-Duser.timezone=UTC",  # Parquet's UTC-adjusted timestamps read as the UTC wall clock, as on Athena
            f"-Dconfig={etc / 'config.properties'}",
            f"-Dlog.levels-file={etc / 'log.properties'}",
            f"-Dcatalog.config-dir={etc / 'catalog'}",
            f"-Dplugin.dir={self.install / 'plugin'}",
            "-cp",
            f"{self.install / 'lib'}/*",
            "io.trino.server.TrinoServer",
        ]

    def healthy(self) -> bool:
        info = httpx.get(f"{self.url}/v1/info", timeout=3).json()
        return info.get("starting") is False and info.get("nodeVersion", {}).get("version") == versions.TRINO
