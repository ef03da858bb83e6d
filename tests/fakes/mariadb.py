"""A real MariaDB server for the test session, or an existing server from FINSIGNAL_TEST_MYSQL_URL.

`MariaDBServer.start()` initialises a temporary data directory with `mariadb-install-db`, starts
`mariadbd` on 127.0.0.1 (a free port, unix socket inside the temporary directory), creates a user with
a password, and is then reached over TCP with that user like any production server.
`MySQLTestServer` creates and drops one database per use on either kind of server.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

logger = logging.getLogger(__name__)

USER = "finsignal"
START_TIMEOUT_S = 60.0


def find_server_binaries() -> tuple[str, str] | None:
    """(mariadbd, mariadb-install-db) paths, or None when no MariaDB server is installed.

    FINSIGNAL_TEST_MARIADBD names the server binary explicitly (its directory is searched first
    for the installer); a path that does not exist means "no server".
    """
    explicit = os.environ.get("FINSIGNAL_TEST_MARIADBD", "").strip()
    if explicit:
        if not os.access(explicit, os.X_OK):
            return None
        here = str(Path(explicit).resolve().parent)
        installer = shutil.which("mariadb-install-db", path=here) or shutil.which("mariadb-install-db")
        return (explicit, installer) if installer else None
    extra = os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"])
    path = os.environ.get("PATH", "") + os.pathsep + extra
    server = shutil.which("mariadbd", path=path) or shutil.which("mysqld", path=path)
    installer = shutil.which("mariadb-install-db", path=path) or shutil.which("mysql_install_db", path=path)
    return (server, installer) if server and installer else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MySQLTestServer:
    """A reachable server (started here or given) on which test databases are created and dropped."""

    def __init__(
        self, admin_url: URL, process: subprocess.Popen[bytes] | None = None, root: Path | None = None
    ):
        self.admin_url = admin_url
        self._process = process
        self._root = root
        self.argv: list[str] = []  # the server's command line (kill() and restart(): issue 20)

    def _admin(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        url = self.admin_url
        return pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "",
            password=str(url.password or ""),
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=5,
        )

    def check(self) -> None:
        """Connect once; raises RuntimeError (password masked) when the server cannot be used."""
        try:
            self._admin().close()
        except pymysql.err.MySQLError as exc:
            where = self.admin_url.render_as_string(hide_password=True)
            raise RuntimeError(f"cannot connect to {where}: {exc}") from exc

    def describe(self) -> str:
        """'MariaDB 10.11.19 at 127.0.0.1:40123' (server version and address)."""
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            (version,) = cur.fetchone() or ("?",)
        kind = "MariaDB" if "mariadb" in str(version).lower() else "MySQL"
        return f"{kind} {str(version).split('-')[0]} at {self.admin_url.host}:{self.admin_url.port}"

    def create_database(self, prefix: str = "fs_test") -> str:
        """Create an empty utf8mb4 database; returns its mysql+aiomysql URL (with credentials)."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return self.admin_url.set(drivername="mysql+aiomysql", database=name).render_as_string(
            hide_password=False
        )

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def kill_connections(self, url: str) -> int:
        """Kill every server connection using the database of `url` (a dropped link, as after a
        server restart or wait_timeout); returns how many were killed."""
        name = make_url(url).database
        with self._admin() as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM information_schema.processlist WHERE db = %s", (name,))
            ids = [row[0] for row in cur.fetchall()]
            for thread_id in ids:
                cur.execute(f"KILL {int(thread_id)}")
        return len(ids)

    def kill(self) -> None:
        """SIGKILL a server this object started, keeping its data (a crash); `restart()` brings it back."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=30)

    def restart(self) -> None:
        """Start a killed server again on the same port and data directory; returns once it answers."""
        self._process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.check()
                return
            except RuntimeError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop a server this object started and remove its data directory."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    @classmethod
    def from_env(cls) -> MySQLTestServer | None:
        """The server of FINSIGNAL_TEST_MYSQL_URL (its user needs CREATE/DROP DATABASE), if set."""
        raw = os.environ.get("FINSIGNAL_TEST_MYSQL_URL", "").strip()
        return cls(make_url(raw)) if raw else None


def start_mariadb() -> MySQLTestServer:
    """Start a private mariadbd; raises RuntimeError (with the server's log tail) when it cannot."""
    binaries = find_server_binaries()
    if binaries is None:
        raise RuntimeError("no mariadbd/mysqld binary found (install the Debian package mariadb-server)")
    server, installer = binaries
    root = Path(tempfile.mkdtemp(prefix="finsignal-mariadb-"))
    datadir, sock, log = root / "data", root / "mysqld.sock", root / "error.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    try:
        subprocess.run(
            [installer, "--no-defaults", f"--datadir={datadir}", *as_root, "--skip-test-db",
             "--auth-root-authentication-method=normal"],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise RuntimeError(
            f"mariadb-install-db failed: {exc} {detail.decode(errors='replace')[-500:]}"
        ) from exc
    port = _free_port()
    argv = [server, "--no-defaults", f"--datadir={datadir}", *as_root, "--bind-address=127.0.0.1",
         f"--port={port}", f"--socket={sock}", f"--pid-file={root / 'mysqld.pid'}", f"--log-error={log}",
         "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
         "--innodb-log-file-size=32M", "--innodb-flush-log-at-trx-commit=2", "--innodb-doublewrite=0",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin", "--max-connections=200",
    ]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    password = secrets.token_urlsafe(12)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            conn = pymysql.connect(unix_socket=str(sock), user="root", password="", autocommit=True)
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:] if log.exists() else "(no log)"
                process.kill()
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError(f"mariadbd did not start on port {port}:\n{tail}") from None
            time.sleep(0.2)
    with conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        # WITH GRANT OPTION: the ask tests create a SELECT-only user, as production should (#23)
        cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1' WITH GRANT OPTION")
    url = URL.create("mysql+aiomysql", USER, password, "127.0.0.1", port)
    logger.info("mariadb test server on 127.0.0.1:%s (datadir %s)", port, datadir)
    made = MySQLTestServer(url, process, root)
    made.argv = argv
    return made
