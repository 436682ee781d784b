"""Downloads the local stack needs (Kafka, the Debezium plugins, MinIO), cached under the cache folder.

Jar sets come from Maven Central through cdc/jars.py (shared with the Spark session); MinIO is built
from the Go module proxy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from cdc import versions
from cdc.errors import TerminalError, ToolMissingError
from cdc.jars import Log, ensure_jars, mvn, pom, tail
from cdc.settings import Settings


def kafka_jars(settings: Settings, log: Log = print) -> list[Path]:
    return ensure_jars(settings, "kafka", versions.KAFKA_JARS, transitive=True, log=log)


def debezium_plugin_dir(settings: Settings, log: Log = print) -> Path:
    """Connect's plugin.path: the Debezium MySQL and MariaDB plugins, unpacked."""
    root = settings.stack.cache_dir / "connect-plugins" / versions.DEBEZIUM
    marker = root / ".complete"
    if marker.exists():
        return root
    work = root.with_name(root.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "pom.xml").write_text(pom([], True))
    for flavor, coord in versions.DEBEZIUM_PLUGINS.items():
        mvn(settings, ["dependency:copy", f"-Dartifact={coord}", f"-DoutputDirectory={work}"], work, f"Debezium {flavor} plugin", log)
    for archive in work.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        archive.unlink()
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)
    marker.write_text(versions.DEBEZIUM)
    return root


def minio_binary(settings: Settings, log: Log = print) -> Path:
    """Build MinIO from the Go module proxy once (about 5 minutes on 2 cores)."""
    module = versions.MINIO_MODULE
    bindir = settings.stack.cache_dir / "bin" / module.rsplit("@", 1)[1]
    binary = bindir / "minio"
    if binary.exists():
        return binary
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not go:
        raise ToolMissingError("`go` is not installed; it builds the local S3 server (MinIO)", next_step="install Go >= 1.24 (make setup)")
    bindir.mkdir(parents=True, exist_ok=True)
    logfile = bindir / "build.log"
    log(f"building MinIO {module} with Go (first run only, several minutes; log: {logfile})")
    env = dict(os.environ, GOBIN=str(bindir), CGO_ENABLED="0")
    with open(logfile, "wb") as out:
        rc = subprocess.call([go, "install", module], stdout=out, stderr=subprocess.STDOUT, env=env)
    if rc != 0 or not binary.exists():
        raise TerminalError(f"building MinIO failed (exit {rc}):\n{tail(logfile, 25)}", next_step=f"read {logfile}")
    return binary


def prometheus_binaries(settings: Settings, log: Log = print) -> tuple[Path, Path]:
    """Build Prometheus and promtool from the Go module proxy once (see docs/observe.md for the time it takes)."""
    module, version = versions.PROMETHEUS_MODULE.rsplit("@", 1)
    bindir = settings.stack.cache_dir / "bin" / f"prometheus-{version}"
    binaries = (bindir / "prometheus", bindir / "promtool")
    if all(b.exists() for b in binaries):
        return binaries
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not go:
        raise ToolMissingError("`go` is not installed; it builds Prometheus and promtool", next_step="install Go >= 1.24 (make setup)")
    bindir.mkdir(parents=True, exist_ok=True)
    logfile = bindir / "build.log"
    log(f"building Prometheus {version} with Go (first run only, many minutes; log: {logfile})")
    env = dict(os.environ, GOBIN=str(bindir), CGO_ENABLED="0")
    # remove_all_sd: no cloud service discovery (the AWS, Azure, GCE, Kubernetes SDKs are most of the build);
    # the local stack scrapes static targets only.
    cmd = [go, "install", "-tags", "remove_all_sd", f"{module}/cmd/prometheus@{version}", f"{module}/cmd/promtool@{version}"]
    with open(logfile, "wb") as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if rc != 0 or not all(b.exists() for b in binaries):
        raise TerminalError(f"building Prometheus failed (exit {rc}):\n{tail(logfile, 25)}", next_step=f"read {logfile}")
    return binaries
