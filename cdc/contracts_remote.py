"""Contracts on S3 (``CDCLAKE_CONTRACTS_DIR=s3://bucket/prefix``): where a job on EMR can see a contract change.

The running job mirrors the prefix into a local folder before every batch (only changed objects are
downloaded, deleted ones removed) and loads the contracts from there, exactly as from a local
folder: a new or changed contract applies from the next batch, without a rebuild or restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cdc.errors import ConfigError
from cdc.settings import Settings

REMOTE_SCHEMES = ("s3://", "s3a://")
INDEX = ".etags.json"


def is_remote(location: object) -> bool:
    return isinstance(location, str) and location.startswith(REMOTE_SCHEMES)


def split(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[1]
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


def mirror(settings: Settings, uri: str, local: Path) -> int:
    """Make ``local`` equal to the YAML files under ``uri``; returns how many files were downloaded."""
    from cdc.s3 import s3_client

    bucket, prefix = split(uri)
    client = s3_client(settings)
    wanted: dict[str, str] = {}
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".yaml"):
                    wanted[obj["Key"][len(prefix) + 1 if prefix else 0:]] = obj["ETag"]
    except Exception as e:
        raise ConfigError(
            f"cannot list the contracts at {uri} (CDCLAKE_CONTRACTS_DIR): {type(e).__name__}: {e}",
            next_step="check the URI and that the job's role may s3:ListBucket and s3:GetObject there",
        ) from e
    local.mkdir(parents=True, exist_ok=True)
    index_path = local / INDEX
    have: dict[str, str] = json.loads(index_path.read_text()) if index_path.exists() else {}
    downloaded = 0
    for rel, etag in wanted.items():
        target = local / rel
        if have.get(rel) != etag or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".yaml.part")
            client.download_file(bucket, f"{prefix}/{rel}" if prefix else rel, str(tmp))
            tmp.replace(target)
            downloaded += 1
    for rel in set(have) - set(wanted):
        (local / rel).unlink(missing_ok=True)
    index_path.write_text(json.dumps(wanted))
    return downloaded


def mirrored_loader(settings: Settings, uri: str, source: str, reload: Callable[[Path], Callable], log=print) -> Callable:
    """A contract source for the stream: mirror ``uri`` then load with ``reload(local folder)`` on every call.

    An S3 error after the first successful load keeps the last mirror (and says so), as a contract
    that stops validating keeps the last good contracts.
    """
    local = settings.stack.state_dir / "contracts-mirror" / "".join(c if c.isalnum() else "_" for c in uri)
    inner = reload(local / source)
    loaded = False

    def load():
        nonlocal loaded
        try:
            n = mirror(settings, uri, local)
            if n:
                log(f"contracts: {n} file(s) changed at {uri}")
        except ConfigError as exc:
            if not loaded:
                raise
            log(f"contracts at {uri} could not be read, keeping the previous ones: {exc}")
        result = inner()
        loaded = True
        return result

    return load
