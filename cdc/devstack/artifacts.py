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


# Trino loads every folder under plugin/ at startup; the lake needs the Hudi connector alone, and
# leaving the others out saves about 1.5 GB of disk and seconds of startup.
TRINO_PARTS = ("bin/", "lib/", "plugin/hudi/")
JDK_FOLDERS = (Path("/usr/lib/jvm"), Path("/opt/java"), Path("/usr/local/lib/jvm"))


def trino_home(settings: Settings, log: Log = print) -> Path:
    """Trino's server, unpacked (server jars and the Hudi plugin) from Maven Central's tarball, once."""
    root = settings.stack.cache_dir / "trino" / versions.TRINO
    marker = root / ".complete"
    if marker.exists():
        return root
    work = root.with_name(root.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "pom.xml").write_text(pom([], True))
    # dependency:get puts the archive in the private repository, its sha1 checked (-C): a second
    # unpack (a cleared cache folder) needs no download.
    args = ["dependency:get", f"-Dartifact={versions.TRINO_SERVER}", "-Dtransitive=false"]
    mvn(settings, args, work, f"Trino {versions.TRINO} server (821 MB, first run only)", log)
    group, artifact, version, ext = versions.TRINO_SERVER.split(":")
    archive = settings.stack.cache_dir / "m2" / group.replace(".", "/") / artifact / version / f"{artifact}-{version}.{ext}"
    log(f"unpacking {archive.name} (server and Hudi plugin only)")
    raw = work / "raw"
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        top = members[0].name.split("/")[0]
        wanted = {m.name for m in members if m.name.partition("/")[2].startswith(TRINO_PARTS)}
        # plugin jars are hard links to jars elsewhere in the archive: their targets come along
        wanted |= {m.linkname for m in members if m.name in wanted and m.islnk()}
        tar.extractall(raw, members=[m for m in members if m.name in wanted], filter="data")
    for part in TRINO_PARTS:
        (work / part).parent.mkdir(parents=True, exist_ok=True)
        (raw / top / part).rename(work / part)
    shutil.rmtree(raw)
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)
    marker.write_text(versions.TRINO)
    return root


def _java_release(java: Path) -> int:
    try:
        out = subprocess.run([str(java), "-version"], check=False, capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return 0
    quoted = out.split('"')
    version = quoted[1] if len(quoted) > 1 else ""
    head = version.split(".")[0].split("-")[0]
    return int(head) if head.isdigit() else 0


def trino_java(settings: Settings) -> Path:
    """A ``java`` of release >= TRINO_JAVA: the setting, then JAVA_HOME, then the usual JDK folders."""
    candidates: list[Path] = []
    if settings.stack.trino_java_home:
        candidates.append(settings.stack.trino_java_home)
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    for folder in JDK_FOLDERS:
        if folder.is_dir():
            candidates += sorted(folder.iterdir(), reverse=True)
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    for home in candidates:
        java = home / "bin" / "java"
        if java.exists() and _java_release(java) >= versions.TRINO_JAVA:
            return java
    raise ToolMissingError(
        f"no Java {versions.TRINO_JAVA} or newer found for Trino {versions.TRINO} (looked in {', '.join(str(c) for c in candidates) or 'nothing'})",
        next_step="install a JDK 24+ (e.g. `apt-get install temurin-25-jdk` or `openjdk-25-jdk-headless`) "
        "or point CDCLAKE_STACK__TRINO_JAVA_HOME at one",
        tool="java",
    )


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
