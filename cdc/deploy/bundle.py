"""`cdclake deploy bundle`: everything the job needs at run time, built once, nothing downloaded at job start.

Layout of the bundle folder (uploaded as is under the artifacts prefix):
  cdclake-python.tar.gz  this package and its dependencies (``pip install --target``), pyspark excluded:
                         the runtime brings Spark; on a driver, unpack it onto PYTHONPATH
  jars/                  cdc/versions.py JOB_JARS (Hudi bundle, Kafka source, aws-msk-iam-auth), by path
  stream.py              the entry point of the streaming job (spark_jobs/stream.py)
  upkeep.py              the entry point of scheduled `cdclake` commands (snapshot, catalog sync, reconcile)
  manifest.json          versions, file names and SHA-256 of every file
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from importlib.metadata import requires
from pathlib import Path

import httpx

from cdc import versions
from cdc.errors import TerminalError
from cdc.settings import Settings

Log = Callable[[str], None]
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
ARCHIVE = "cdclake-python.tar.gz"
ENTRY_POINT = "stream.py"
UPKEEP_ENTRY_POINT = "upkeep.py"
# The scheduled jobs run the same CLI as an operator does locally (cdclake = cdc.cli:main).
UPKEEP_SOURCE = '"""EMR Serverless entry point: `cdclake <arguments>`."""\n\nfrom cdc.cli import main\n\nmain()\n'
MANIFEST = "manifest.json"
# Provided by the Spark runtime; shipping a second copy would shadow the platform's.
RUNTIME_PROVIDED = {"pyspark", "py4j"}


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def runtime_requirements() -> list[str]:
    """The package's install requirements, without extras and without what Spark provides."""
    out = []
    for req in requires("cdclake") or []:
        if "extra ==" in req:
            continue
        name = req.split(";")[0].strip()
        base = name.split("[")[0].split("=")[0].split(">")[0].split("<")[0].split("!")[0].split("~")[0].strip().lower()
        if base not in RUNTIME_PROVIDED:
            out.append(name)
    return out


def _maven_path(coord: str) -> str:
    group, artifact, version = coord.split(":")[:3]
    return f"{group.replace('.', '/')}/{artifact}/{version}/{versions.jar_file_name(coord)}"


def fetch_jar(settings: Settings, coord: str, target: Path, log: Log) -> Path:
    """From the local Maven repository of the cache folder when it is there, else Maven Central (SHA-1 checked)."""
    rel = _maven_path(coord)
    out = target / versions.jar_file_name(coord)
    cached = settings.stack.cache_dir / "m2" / rel
    if cached.is_file():
        shutil.copyfile(cached, out)
        return out
    url = f"{MAVEN_CENTRAL}/{rel}"
    log(f"downloading {url}")
    try:
        with httpx.Client(timeout=120, follow_redirects=True) as http:
            data = http.get(url).raise_for_status().content
            want = http.get(url + ".sha1").raise_for_status().text.split()[0].strip()
    except httpx.HTTPError as e:
        raise TerminalError(f"cannot download {coord}: {e}", next_step="check that Maven Central is reachable (cdc/versions.py JOB_JARS)") from e
    if hashlib.sha1(data).hexdigest() != want:
        raise TerminalError(f"checksum mismatch for {coord}", next_step="retry; a persistent mismatch means a corrupted mirror")
    out.write_bytes(data)
    return out


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_python_archive(out: Path, log: Log, *, pip_args: tuple[str, ...] = ()) -> Path:
    """``pip install --target`` of this project (no deps) plus its runtime requirements, packed as tar.gz."""
    work = out.parent / (out.name + ".site")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--target", str(work), *pip_args]
    for args, what in (([*pip, "--no-deps", str(project_root())], "cdclake"), ([*pip, *runtime_requirements()], "its dependencies")):
        log(f"pip install {what} into the bundle")
        r = subprocess.run(args, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise TerminalError(f"pip could not install {what} for the bundle:\n{r.stderr[-2000:]}", next_step="check that PyPI is reachable")
    shutil.rmtree(work / "bin", ignore_errors=True)  # console scripts point at this machine's interpreter
    with tarfile.open(out, "w:gz") as tar:
        for p in sorted(work.iterdir()):
            tar.add(p, arcname=p.name)
    shutil.rmtree(work)
    return out


def build(settings: Settings, out_dir: Path, *, log: Log = print, pip_args: tuple[str, ...] = ()) -> dict:
    """Build the bundle into ``out_dir`` (replaced); returns the manifest."""
    shutil.rmtree(out_dir, ignore_errors=True)
    (out_dir / "jars").mkdir(parents=True)
    build_python_archive(out_dir / ARCHIVE, log, pip_args=pip_args)
    jars = [fetch_jar(settings, c, out_dir / "jars", log) for c in versions.JOB_JARS]
    shutil.copyfile(project_root() / "spark_jobs" / "stream.py", out_dir / ENTRY_POINT)
    (out_dir / UPKEEP_ENTRY_POINT).write_text(UPKEEP_SOURCE)
    files = [out_dir / ARCHIVE, out_dir / ENTRY_POINT, out_dir / UPKEEP_ENTRY_POINT, *jars]
    manifest = {
        "pyspark": versions.PYSPARK,
        "scala": versions.SCALA_BINARY,
        "hudi": versions.HUDI,
        "emr_release": versions.EMR_PROFILE["release"],
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "jars": [p.name for p in jars],
        "sha256": {str(p.relative_to(out_dir)): _sha256(p) for p in files},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"bundle in {out_dir}: {ARCHIVE}, {len(jars)} jar(s), {ENTRY_POINT}")
    return manifest
