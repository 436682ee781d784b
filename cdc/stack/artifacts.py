"""Downloads from Maven Central and the Go module proxy, cached under the cache folder.

Maven does the resolving (``-C``: a checksum mismatch fails the download), into a
private local repository under the cache folder, so a second run downloads nothing.
A set is only marked complete after every jar was copied, so an interrupted
download is redone, not half-used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from cdc import versions
from cdc.errors import TerminalError, ToolMissingError
from cdc.settings import Settings
from cdc.stack.base import require_tool, tail

Log = Callable[[str], None]


def _pom(coords: Sequence[str], transitive: bool) -> str:
    deps = []
    for coord in coords:
        parts = coord.split(":")
        group, artifact, version = parts[0], parts[1], parts[2]
        excl = "" if transitive else "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
        deps.append(
            f"<dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}</artifactId>"
            f"<version>{escape(version)}</version>{excl}</dependency>"
        )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>cdclake</groupId><artifactId>jars</artifactId><version>1</version><packaging>pom</packaging>"
        f"<dependencies>{''.join(deps)}</dependencies></project>"
    )


def _mvn(settings: Settings, args: list[str], workdir: Path, what: str, log: Log) -> None:
    mvn = require_tool("mvn", "apt-get install -y maven (or run `make setup`)")
    repo = settings.stack.cache_dir / "m2"
    logfile = workdir / "mvn.log"
    log(f"resolving {what} from Maven Central (first run only; log: {logfile})")
    with open(logfile, "wb") as out:
        rc = subprocess.call(
            [mvn, "-B", "-C", "-ntp", f"-Dmaven.repo.local={repo}", *args], cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    if rc != 0:
        raise TerminalError(
            f"Maven could not resolve {what} (exit {rc}); last lines:\n{tail(logfile, 25)}",
            next_step="check that Maven Central is reachable; a 404 means the pinned version is not published there (see cdc/versions.py)",
            what=what,
        )


def ensure_jars(settings: Settings, name: str, coords: Sequence[str], transitive: bool, log: Log = print) -> list[Path]:
    """Resolve a named jar set once; return the jar paths."""
    digest = hashlib.sha256(f"{transitive}|{'|'.join(coords)}".encode()).hexdigest()[:16]
    target = settings.stack.cache_dir / "jars" / f"{name}-{digest}"
    marker = target / ".complete"
    if not marker.exists():
        work = target.with_name(target.name + ".tmp")
        shutil.rmtree(work, ignore_errors=True)
        (work / "lib").mkdir(parents=True)
        (work / "pom.xml").write_text(_pom(coords, transitive))
        _mvn(
            settings,
            ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={work / 'lib'}"],
            work,
            f"jar set '{name}'",
            log,
        )
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
        marker.write_text("\n".join(coords))
    return sorted((target / "lib").glob("*.jar"))


def spark_jars(settings: Settings, log: Log = print) -> list[Path]:
    # Non-transitive: pyspark already ships Spark, Scala and the Hadoop client; only add what it lacks.
    return ensure_jars(settings, "spark", versions.SPARK_JARS + versions.SPARK_JARS_EXTRA, transitive=False, log=log)


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
    (work / "pom.xml").write_text(_pom([], True))
    for flavor, coord in versions.DEBEZIUM_PLUGINS.items():
        _mvn(settings, ["dependency:copy", f"-Dartifact={coord}", f"-DoutputDirectory={work}"], work, f"Debezium {flavor} plugin", log)
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
