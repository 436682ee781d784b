"""Process supervision shared by every local server: start detached, health-check, stop by pid file."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from cdc.errors import ServerStartError
from cdc.jars import require_tool, tail
from cdc.log import Log
from cdc.settings import Settings

__all__ = ["Log", "Server", "pid_alive", "require_tool", "tail"]


def private_dir(path: Path) -> Path:
    """A folder only the owner can enter: the state holds Kafka logs with clear PII, the lake, secrets."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); read its state to tell.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class Server(ABC):
    """One local server process. Subclasses say how to install, configure, start and probe it."""

    name: str = "server"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.stack.state_dir / self.name
        self.log_path = self.home / f"{self.name}.log"
        self.pid_path = self.home / f"{self.name}.pid"

    # -- what a subclass provides -------------------------------------------------
    def ensure_installed(self, log: Log) -> None:
        """Download or check the binaries this server needs."""

    def prepare(self, log: Log) -> None:
        """Write config and initialise data on first start."""

    @abstractmethod
    def command(self) -> list[str]: ...

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    @abstractmethod
    def healthy(self) -> bool:
        """True once the server answers its own protocol (not just an open port)."""

    def after_start(self, log: Log) -> None:
        """One-time setup that needs the running server (users, buckets)."""

    # -- lifecycle ------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def up(self, log: Log) -> None:
        if self.pid() and self._safe_healthy():
            log(f"[{self.name}] already running (pid {self.pid()})")
            self.after_start(log)
            return
        private_dir(self.settings.stack.state_dir)
        private_dir(self.home)
        self.prepare(log)
        log(f"[{self.name}] starting")
        with open(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
            os.fchmod(out.fileno(), 0o600)
            proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env(),
                cwd=self.home,
                start_new_session=True,  # outlives the CLI; stopped by `stack down`
                umask=0o077,  # the server's own files (data, logs) are the owner's alone
            )
        self.pid_path.write_text(str(proc.pid))
        deadline = time.monotonic() + self.settings.stack.start_timeout_s
        last_note = time.monotonic()
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServerStartError(
                    f"[{self.name}] exited with code {proc.returncode} while starting; last log lines:\n{tail(self.log_path)}",
                    next_step=f"read {self.log_path}",
                    server=self.name,
                )
            if self._safe_healthy():
                log(f"[{self.name}] healthy (pid {proc.pid})")
                self.after_start(log)
                return
            if time.monotonic() - last_note > 15:
                log(f"[{self.name}] still starting...")
                last_note = time.monotonic()
            time.sleep(0.5)
        raise ServerStartError(
            f"[{self.name}] not healthy after {self.settings.stack.start_timeout_s:.0f}s; last log lines:\n{tail(self.log_path)}",
            next_step=f"read {self.log_path}; `cdclake stack down` then `up` again",
            server=self.name,
        )

    def down(self, log: Log, timeout: float = 30.0) -> None:
        pid = self.pid()
        if not pid:
            self.pid_path.unlink(missing_ok=True)
            log(f"[{self.name}] not running")
            return
        log(f"[{self.name}] stopping pid {pid}")
        self._signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.2)
        if pid_alive(pid):
            self._signal(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, for fault-injection tests."""
        pid = self.pid()
        if pid:
            self._signal(pid, signal.SIGKILL)
            while pid_alive(pid):
                time.sleep(0.1)

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)  # its own session: the group is exactly what we started
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    def status(self) -> dict:
        pid = self.pid()
        return {"pid": pid, "healthy": bool(pid) and self._safe_healthy(), "log": str(self.log_path)}

    def _safe_healthy(self) -> bool:
        try:
            return self.healthy()
        except Exception:  # noqa: BLE001 - any failure of a probe means "not yet"
            return False
