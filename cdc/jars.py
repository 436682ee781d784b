"""The jars a Spark session needs, resolved from Maven Central once and cached under the cache folder.

Maven does the resolving (``-C``: a checksum mismatch fails the download), into a
private local repository under the cache folder, so a second run downloads nothing.
A set is only marked complete after every jar was copied, so an interrupted
download is redone, not half-used. Production sessions (spark_jobs/session.py) use this
as well as the local stack, so it lives outside cdc/devstack.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from cdc import versions
from cdc.errors import TerminalError, ToolMissingError
from cdc.log import Log
from cdc.settings import Settings


def require_tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ToolMissingError(f"`{name}` is not installed", next_step=install_hint, tool=name)
    return path


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"(no log at {path})"
    data = path.read_bytes()[-20000:].decode("utf-8", "replace").splitlines()
    return "\n".join(data[-lines:])


def pom(coords: Sequence[str], transitive: bool) -> str:
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


def mvn(settings: Settings, args: list[str], workdir: Path, what: str, log: Log) -> None:
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
        (work / "pom.xml").write_text(pom(coords, transitive))
        mvn(
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
