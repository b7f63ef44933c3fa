"""A throwaway PostgreSQL cluster for the feedback tests: Debian's server binaries on a unix socket.

The cluster lives in a temporary folder, listens on no TCP port, skips fsync (it is thrown away) and is
stopped at the end of the session. PostgreSQL refuses to run as root, so under root the cluster runs
as the ``postgres`` user the Debian package creates. Missing binaries are installed on the spot when
we may (as root with apt-get, like CI's chromium); otherwise the tests fail and say what to install.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

INSTALL = "apt-get update -qq && apt-get install -y -qq postgresql"


def server_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin with initdb and pg_ctl (or pg_config's bindir)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    if shutil.which("pg_config"):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if bindir:
            candidates.append(Path(bindir))
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def ensure_server_binaries() -> Path:
    found = server_bin_dir()
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(INSTALL, shell=True, check=True, timeout=900)
        found = server_bin_dir()
        if found:
            return found
    raise RuntimeError(f"PostgreSQL server binaries (initdb, pg_ctl) not found; install them with `{INSTALL}`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = ensure_server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="quejas-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = None if os.geteuid() != 0 else pwd.getpwnam("postgres")
        self.counter = 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> PostgresServer:
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "quejas", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-k {self.root} -p {self.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://quejas@/{database}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        """A fresh empty database (a test's own store); its SQLAlchemy URL."""
        self.counter += 1
        name = f"t{os.getpid()}_{self.counter}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(
            host=str(self.root), port=self.port, user="quejas", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
