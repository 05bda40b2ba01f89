"""A throwaway PostgreSQL server for the tests, and the database fixtures built on it.

Debian's own binaries (`/usr/lib/postgresql/<version>/bin`, installed by `make system-deps`)
run a private cluster in a temporary directory, listening on 127.0.0.1 on a free port, with
fsync off: it starts once per test session (per xdist worker) and is removed afterwards.
Nothing is installed here. initdb refuses to run as root, so under root the server runs as
the `postgres` system user that the Debian package creates.

Fixtures (imported by tests/conftest.py):
- `postgres_server` (session): the running `PostgresServer`;
- `pg_url` (function): the URL of a fresh, empty PostgreSQL database, dropped afterwards;
- `db_url` (function, parametrised `sqlite` / `postgresql`): a fresh empty database of each
  kind, so that one test runs on both;
- `db` (function, parametrised the same way): a `Database` whose schema is at head (on
  PostgreSQL, a copy of a database migrated once per session: `pg_schema_template`).

A test using PostgreSQL must be marked `@pytest.mark.postgres` (`pg_url` checks it; the
`postgresql` variants of `db_url` and `db` carry the mark), so `-m "not postgres"` skips
every test that needs the server.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from connectors.database import Database

BINARIES_GLOB = "/usr/lib/postgresql/*/bin"
SYSTEM_USER = "postgres"  # created by Debian's postgresql-common
SUPERUSER = "postgres"  # the cluster's superuser, trusted on 127.0.0.1 only
HOST = "127.0.0.1"
START_ATTEMPTS = 5  # a free port may be taken between choosing and binding it

# Speed over durability: the cluster is thrown away after the session.
SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


def postgres_binaries() -> Path | None:
    """The newest Debian PostgreSQL binary directory with initdb and pg_ctl, if any."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())

    found = [
        p
        for p in Path("/").glob(BINARIES_GLOB.lstrip("/"))
        if (p / "initdb").exists() and (p / "pg_ctl").exists()
    ]
    return max(found, key=version) if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _scratch_parent() -> str | None:
    """Memory-backed /dev/shm when there is one: creating a database copies hundreds of
    small files, several times faster there than on disk. Else the default temp dir."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


def _as_server_user() -> list[str]:
    """The prefix that runs a command as the PostgreSQL system user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={SYSTEM_USER}", f"--regid={SYSTEM_USER}", "--init-groups", "--"]


@dataclass
class PostgresServer:
    """A private PostgreSQL cluster: its binaries, its directory and its port."""

    bindir: Path
    root: Path
    port: int = 0

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socketdir(self) -> Path:
        return self.root / "socket"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_server_user(), *args],
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    def init(self) -> None:
        for d in (self.datadir, self.socketdir):
            d.mkdir(mode=0o700)
        if os.geteuid() == 0:
            for d in (self.root, self.datadir, self.socketdir):
                shutil.chown(d, SYSTEM_USER, SYSTEM_USER)
        done = self._run(
            str(self.bindir / "initdb"),
            *("-D", str(self.datadir), "-U", SUPERUSER, "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb a échoué ({done.returncode}) :\n{done.stderr}")
        settings = {**SETTINGS, "unix_socket_directories": f"'{self.socketdir}'"}
        with (self.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/postgres.py\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def start(self, port: int | None = None) -> None:
        """Start on `port` (default: a free one) and return once it accepts connections."""
        for _ in range(START_ATTEMPTS):
            self.port = port or free_port()
            done = self._run(
                str(self.bindir / "pg_ctl"),
                *("-D", str(self.datadir), "-l", str(self.logfile)),
                *("-o", shlex.join(["-p", str(self.port)]), "-w", "-t", "60", "start"),
            )
            if done.returncode == 0:
                self._wait_accepting()
                return
            if "already in use" not in self.log():
                break
        raise RuntimeError(f"PostgreSQL n'a pas démarré :\n{done.stdout}{self.log()}")

    def _wait_accepting(self) -> None:
        # pg_ctl -w has waited on the socket; check the TCP path the tests use.
        with psycopg.connect(self.url(), connect_timeout=10) as conn:
            conn.execute("SELECT 1")

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"
            )

    def log(self) -> str:
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def admin(self) -> psycopg.Connection:
        """An autocommit superuser connection to the `postgres` database."""
        return psycopg.connect(self.url(), autocommit=True, connect_timeout=10)

    def create_database(self, name: str | None = None, template: str = "template0") -> str:
        """Create a database (a copy of `template`) and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        with self.admin() as conn:
            # FILE_COPY (PostgreSQL 15+) copies the template's files after a checkpoint:
            # with fsync off it beats the default WAL_LOG strategy on small databases.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}" + strategy).format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def running_postgres(bindir: Path | None = None) -> Iterator[PostgresServer]:
    """A new private cluster, started, then stopped and deleted on exit."""
    bindir = bindir or postgres_binaries()
    if bindir is None:
        raise RuntimeError(f"PostgreSQL introuvable ({BINARIES_GLOB}) : lancer `make system-deps`")
    root = Path(tempfile.mkdtemp(prefix="passerelle-pg-", dir=_scratch_parent()))
    server = PostgresServer(bindir=bindir, root=root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started on first use, stopped at the end)."""
    if postgres_binaries() is None:
        pytest.fail(f"PostgreSQL introuvable ({BINARIES_GLOB}) : lancer `make system-deps`")
    with running_postgres() as server:
        yield server


@contextlib.contextmanager
def _fresh_database(
    request: pytest.FixtureRequest, server: PostgresServer, template: str = "template0"
) -> Iterator[str]:
    if request.node.get_closest_marker("postgres") is None:
        pytest.fail("un test qui utilise PostgreSQL doit porter @pytest.mark.postgres")
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name, template=template)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh empty PostgreSQL database for this test, dropped afterwards."""
    with _fresh_database(request, postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def pg_schema_template(postgres_server: PostgresServer) -> str:
    """A database at the head schema, copied for each `db` test (faster than migrating)."""
    name = "passerelle_head"
    database = Database(postgres_server.create_database(name))
    database.creer_schema()
    database.engine.dispose()  # a template must have no open connection
    return name


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'passerelle.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A `Database` whose schema is at head, on SQLite and on PostgreSQL."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            database = Database(_sqlite_url(tmp_path))
            database.creer_schema()
        else:
            server = request.getfixturevalue("postgres_server")
            template = request.getfixturevalue("pg_schema_template")
            database = Database(stack.enter_context(_fresh_database(request, server, template)))
        stack.callback(database.engine.dispose)
        yield database
