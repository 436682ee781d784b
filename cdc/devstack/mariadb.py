"""MariaDB from Debian's packages, configured like an Aurora MySQL CDC source.

Binlog: ROW format, FULL row image, 7 days retention (Aurora: set
``binlog retention hours`` with ``mysql.rds_set_configuration``).
"""

from __future__ import annotations

import shutil
import subprocess

import pymysql

from cdc.devstack.base import Log, Server, require_tool, tail
from cdc.errors import ServerStartError

# What Debezium's MariaDB/MySQL connector needs, and nothing more.
CDC_GRANTS = "SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR, REPLICA MONITOR"


class MariaDBServer(Server):
    name = "mariadb"

    @property
    def datadir(self):
        return self.home / "data"

    @property
    def socket(self):
        return self.home / "mysqld.sock"

    @property
    def cnf(self):
        return self.home / "my.cnf"

    def ensure_installed(self, log: Log) -> None:
        if not shutil.which("/usr/sbin/mariadbd"):
            require_tool("mariadbd", "apt-get install -y mariadb-server (or run `make setup`)")

    def prepare(self, log: Log) -> None:
        s = self.settings.stack
        self.cnf.write_text(
            f"""[mariadbd]
datadir={self.datadir}
socket={self.socket}
pid-file={self.home / 'mariadbd.pid'}
port={s.mariadb_port}
bind-address={s.host}
user=root
skip-name-resolve
server-id=1
log-bin=mysql-bin
binlog-format=ROW
binlog-row-image=FULL
binlog-expire-logs-seconds=604800
max-binlog-size=64M
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb-buffer-pool-size=256M
innodb-log-file-size=64M
max-connections=200
"""
        )
        if not (self.datadir / "mysql").exists():
            log("[mariadb] initialising data directory")
            self.datadir.mkdir(parents=True, exist_ok=True)
            out = self.home / "install-db.log"
            with open(out, "wb") as fh:
                rc = subprocess.call(
                    [
                        "mariadb-install-db",
                        f"--defaults-file={self.cnf}",
                        "--auth-root-authentication-method=normal",
                        "--skip-test-db",
                    ],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            if rc != 0:
                raise ServerStartError(f"[mariadb] mariadb-install-db failed:\n{tail(out)}", next_step=f"read {out}")
            (self.home / ".needs-users").write_text("1")

    def command(self) -> list[str]:
        binary = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        return [binary, f"--defaults-file={self.cnf}"]

    def _connect(self, **kw):
        needs_users = (self.home / ".needs-users").exists()
        password = "" if needs_users else self.settings.source_admin_password()
        return pymysql.connect(
            host=self.settings.stack.host,
            port=self.settings.stack.mariadb_port,
            user="root",
            password=password,
            connect_timeout=3,
            **kw,
        )

    def healthy(self) -> bool:
        with self._connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return cur.fetchone() == (1,)

    def after_start(self, log: Log) -> None:
        marker = self.home / ".needs-users"
        if not marker.exists():
            return
        admin_pw = self.settings.source_admin_password()
        cdc_user = self.settings.source.user
        cdc_pw = self.settings.source_password()
        with self._connect(autocommit=True) as conn, conn.cursor() as cur:
            for host in ("localhost", "127.0.0.1", "%"):
                cur.execute("CREATE USER IF NOT EXISTS 'root'@%s IDENTIFIED BY %s", (host, admin_pw))
                cur.execute("ALTER USER 'root'@%s IDENTIFIED BY %s", (host, admin_pw))
                cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@%s WITH GRANT OPTION", (host,))
            cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (cdc_user, cdc_pw))
            cur.execute(f"GRANT {CDC_GRANTS} ON *.* TO %s@'%%'", (cdc_user,))
        marker.unlink()
        log(f"[mariadb] created admin and CDC user '{cdc_user}' (grants: {CDC_GRANTS})")
