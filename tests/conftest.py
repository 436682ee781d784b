"""Shared fixtures. End-to-end fixtures start the real local stack; a server that cannot start fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TZ", "UTC")


def shared_dir() -> Path:
    """The shared data folder (../shared beside the project, or CDCLAKE_SHARED)."""
    env = os.environ.get("CDCLAKE_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" for p in Path(__file__).resolve().parents]
    for c in candidates:
        if (c / "cdc-samples").is_dir():
            return c
    raise FileNotFoundError("shared/ with cdc-samples not found beside the project; set CDCLAKE_SHARED")


@pytest.fixture(scope="session")
def settings():
    from cdc.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def local_stack(settings):
    """The real MariaDB, Kafka, Kafka Connect and MinIO, started once per session (never skipped).

    One pytest session at a time owns the stack: end-to-end tests reset connectors and
    topics, so a second session waits on the lock instead of corrupting the first one's run.
    """
    import fcntl

    from cdc import devstack as stack

    settings.stack.state_dir.mkdir(parents=True, exist_ok=True)
    lock = open(settings.stack.state_dir / "e2e.lock", "w")  # noqa: SIM115 - held for the session
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another test session holds the local stack; waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    started = [name for name, info in stack.status(settings).items() if not info["healthy"]]
    stack.up(settings, log=print)
    yield settings
    if os.environ.get("CDCLAKE_KEEP_STACK") != "1":
        stack.down(settings, started or None, log=print) if started else None
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()


@pytest.fixture(scope="session")
def spark(local_stack):
    from spark_jobs.session import build_session

    session = build_session(local_stack, "cdclake-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def contracts():
    from lakehouse_schemas import load_contracts

    return load_contracts("chinook")
