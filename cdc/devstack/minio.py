"""MinIO, built from the Go module proxy: the S3-compatible store whose policy engine is closest to IAM."""

from __future__ import annotations

import httpx

from cdc.devstack import artifacts
from cdc.devstack.base import Log, Server

LAKE_BUCKET = "lake"


class MinioServer(Server):
    name = "s3"

    def ensure_installed(self, log: Log) -> None:
        self.binary = artifacts.minio_binary(self.settings, log)

    def env(self) -> dict[str, str]:
        access, secret = self.settings.s3_credentials()
        env = super().env()
        env.update(MINIO_ROOT_USER=access, MINIO_ROOT_PASSWORD=secret, MINIO_BROWSER="off", MINIO_UPDATE="off")
        return env

    def command(self) -> list[str]:
        s = self.settings.stack
        return [str(self.binary), "server", str(self.home / "data"), "--address", f"{s.host}:{s.s3_port}", "--quiet"]

    @property
    def endpoint(self) -> str:
        return f"http://{self.settings.stack.host}:{self.settings.stack.s3_port}"

    def healthy(self) -> bool:
        return httpx.get(f"{self.endpoint}/minio/health/ready", timeout=3).status_code == 200

    def after_start(self, log: Log) -> None:
        from cdc.s3 import ensure_bucket

        ensure_bucket(self.settings, LAKE_BUCKET)
