"""Prometheus, built from the Go module proxy: the opt-in metrics server of the local stack (`cdclake stack up prometheus`).

It scrapes the streaming job's endpoint (CDCLAKE_METRICS__PORT, when set) and `cdclake observe exporter`
(CDCLAKE_METRICS__EXPORTER_PORT), and evaluates the alert rules rendered from the contracts.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from cdc import metric_names as M
from cdc.devstack import artifacts
from cdc.devstack.base import Log, Server
from cdc.observe import rules
from lakehouse_schemas.contract import TableContract, contracts_dir, load_contracts


class PrometheusServer(Server):
    name = "prometheus"

    def ensure_installed(self, log: Log) -> None:
        self.binary, self.promtool = artifacts.prometheus_binaries(self.settings, log)

    @property
    def url(self) -> str:
        return f"http://{self.settings.stack.host}:{self.settings.stack.prometheus_port}"

    @property
    def config_path(self):
        return self.home / "prometheus.yml"

    @property
    def rules_path(self):
        return self.home / "rules.yml"

    def configure(self, contracts: list[TableContract] | None = None, *, fast: bool = False) -> None:
        """Write the scrape config and the rules of ``contracts`` (default: the source's); a running server reloads."""
        s, m = self.settings.stack, self.settings.metrics
        if contracts is None:
            root = self.settings.contracts_dir if isinstance(self.settings.contracts_dir, Path) else None
            contracts = load_contracts(directory=contracts_dir(self.settings.source.name, root=root))
        interval = f"{s.prometheus_scrape_interval_s}s"
        scrapes = [{"job_name": M.EXPORTER_SCRAPE, "static_configs": [{"targets": [f"{m.host}:{m.exporter_port}"]}]}]
        if m.port:
            scrapes.append({"job_name": M.JOB_SCRAPE, "static_configs": [{"targets": [f"{m.host}:{m.port}"]}]})
        config = {
            "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
            "rule_files": [str(self.rules_path)],
            "scrape_configs": scrapes,
        }
        self.home.mkdir(parents=True, exist_ok=True)
        self.rules_path.write_text(rules.dump(rules.rules(contracts, m.freshness_alert_s, fast=fast)))
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        if self.pid():
            httpx.post(f"{self.url}/-/reload", timeout=30).raise_for_status()

    def prepare(self, log: Log) -> None:
        if not self.config_path.exists():
            self.configure()

    def command(self) -> list[str]:
        s = self.settings.stack
        return [
            str(self.binary), f"--config.file={self.config_path}", f"--storage.tsdb.path={self.home / 'data'}",
            f"--web.listen-address={s.host}:{s.prometheus_port}", "--web.enable-lifecycle", "--storage.tsdb.retention.time=2d",
        ]

    def healthy(self) -> bool:
        return httpx.get(f"{self.url}/-/ready", timeout=3).status_code == 200
