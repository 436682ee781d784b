"""The demo source: the Chinook sample database shipped in ../shared/datasets (loaded unchanged)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from cdc.errors import ConfigError, TerminalError
from cdc.settings import Settings

CHINOOK_ENV = "CDCLAKE_CHINOOK_SQL"


def chinook_sql_path() -> Path:
    candidates = [os.environ.get(CHINOOK_ENV)]
    here = Path(__file__).resolve()
    candidates += [str(p / "shared" / "datasets" / "chinook" / "Chinook_MySql.sql") for p in here.parents]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise ConfigError(
        "Chinook_MySql.sql not found", next_step=f"set {CHINOOK_ENV} to its path (it lives in shared/datasets/chinook/)"
    )


def load_sql_file(settings: Settings, path: Path, log=print) -> None:
    """Run a SQL script with the mariadb/mysql client (the scripts use client syntax such as DELIMITER)."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    if not client:
        raise ConfigError("no mariadb/mysql client installed", next_step="apt-get install -y mariadb-client")
    s = settings.source
    log(f"loading {path.name} into {s.host}:{s.port} ...")
    env = dict(os.environ, MYSQL_PWD=settings.source_admin_password())
    with open(path, "rb") as fh:
        proc = subprocess.run(
            [client, "-h", s.host, "-P", str(s.port), "-u", s.admin_user, "--protocol=TCP", "--default-character-set=utf8mb4"],
            stdin=fh,
            env=env,
            capture_output=True,
            check=False,
        )
    if proc.returncode != 0:
        raise TerminalError(f"loading {path} failed: {proc.stderr.decode()[-2000:]}", next_step="check the source is up: cdclake stack status")
