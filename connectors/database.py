"""The database: one SQLAlchemy engine for control statements, ADBC for bulk rows.

Rows move in columns, never one by one: reads and appends of frames go through the ADBC
drivers (Arrow batches; on PostgreSQL the ingest is a binary COPY), while the ledger's small
transactional updates go through SQLAlchemy. The same code runs on SQLite (the embedded
default, in WAL mode so that readers and one writer work side by side) and PostgreSQL, and
frames come back with the same types from both:

- PostgreSQL's binary COPY wants each Arrow column to match its column's type exactly, so a
  frame is cast to its table's types before the ingest (an Int64 cannot fill an INTEGER);
- SQLite has no date, timestamp or boolean storage: SQLAlchemy and ADBC store dates as
  `YYYY-MM-DD` text and booleans as 0/1, and timestamps are written here in SQLAlchemy's
  own text format (UTC) so that both writers produce comparable values. Reads turn them back
  into pl.Date, pl.Datetime and pl.Boolean from the query's column types.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from connectors.tables import metadata

CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_MS = 30000
# ADBC's SQLite driver infers each column's Arrow type from the first batch of rows and
# fails when a later batch disagrees (a column null for 1,024 rows, then text): one batch
# as large as any result makes the inference see every row.
SQLITE_BATCH_ROWS = 2**30
SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%6f"  # SQLAlchemy's own SQLite format

# What an operator reads when the database cannot be reached, by the driver's wording.
_CAUSES = [
    (r"connection refused", "connexion refusée (serveur arrêté, ou mauvais hôte ou port)"),
    (r"timeout expired|timed out", "pas de réponse dans le délai (hôte injoignable ?)"),
    (r"could not translate host name|name or service not known", "nom d'hôte inconnu"),
    (r"authentication failed|no password supplied", "authentification refusée"),
    (r"no pg_hba\.conf entry", "connexion non autorisée par le serveur (pg_hba.conf)"),
    (r'database "[^"]*" does not exist', "base inexistante sur ce serveur"),
    (r"starting up|shutting down|in recovery", "serveur en cours de démarrage ou d'arrêt"),
    (r"too many connections|too many clients", "trop de connexions ouvertes"),
    (r"unable to open database file", "fichier de base inaccessible"),
    (r"file is not a database", "le fichier n'est pas une base SQLite"),
    (r"database is locked", "base verrouillée par un autre processus"),
]


class DatabaseError(Exception):
    """The database cannot be used; the message says which and never holds a password."""


# In WAL mode, NORMAL syncs at checkpoints rather than at every commit: the file cannot be
# corrupted, and a power cut may only lose the last commits. For the ledger that means a file
# landed just before the cut is landed again by the next run (its rows, committed after it,
# are lost with it), never applied twice. Every statement block opens and closes its own
# connection (see `Database`), so FULL would cost an fsync per block.
SQLITE_SYNCHRONOUS = "NORMAL"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _sqlite_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.close()


def _sqlite_wal(cursor: Any) -> None:
    """Put the file in WAL mode (persistent: once done, later connections only check).

    Switching needs the file to itself and does not wait on the busy timeout, so the first
    connections to a new file, racing (two runs upgrading it), retry instead of failing.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def readable_cause(exc: BaseException) -> str:
    """Why a connection failed, in French, from the driver's error (never its whole text)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    for pattern, cause in _CAUSES:
        if re.search(pattern, text):
            return cause
    return type(orig).__name__


class Database:
    """The history, the ledgers and the emission memory of Passerelle."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.description = self.url.render_as_string(hide_password=True)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        if self.sqlite:
            if self.url.database in (None, "", ":memory:"):
                raise DatabaseError("SQLite en mémoire non pris en charge : donner un fichier")
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # The ADBC driver carries its own copy of SQLite. Two copies of SQLite must never
            # hold the same file open at once in one process (their POSIX locks and WAL index
            # do not see each other: a reader of one copy misses the other's commits), so
            # SQLAlchemy keeps no idle connection: each statement block opens and closes its
            # own, and the columnar transfers open theirs only in between.
            self.engine = sa.create_engine(
                self.url, connect_args={"timeout": 30}, poolclass=sa.pool.NullPool
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.url.get_backend_name() == "postgresql":
            # `postgresql://` means psycopg 3 here (SQLAlchemy's default would be psycopg2).
            if self.url.drivername == "postgresql":
                self.url = self.url.set(drivername="postgresql+psycopg")
            connect_args = {}
            if "connect_timeout" not in self.url.query:
                connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, connect_args=connect_args)
        else:
            raise DatabaseError(f"base non prise en charge : {self.url.get_backend_name()}")

    def __repr__(self) -> str:
        return f"Database({self.description})"

    def verifier(self) -> None:
        """Fail early, with a clear message, when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseError(
                f"base de données injoignable ({self.description}) : {readable_cause(exc)}"
            ) from exc

    def creer_schema(self) -> None:
        """Create or upgrade the tables to the current schema (Alembic, up to head)."""
        from connectors.migrations import upgrade

        upgrade(self)

    def creer_tables_sans_migration(self) -> None:
        """The tables straight from `connectors.tables`, without Alembic (scratch use)."""
        metadata.create_all(self.engine)

    @contextmanager
    def _adbc(self) -> Iterator[Any]:
        if self.sqlite:
            import adbc_driver_sqlite.dbapi as driver

            # Autocommit, so that the pragmas apply (foreign_keys is ignored inside a
            # transaction); writes open their own transaction (`inserer`).
            conn = driver.connect(str(self.url.database), autocommit=True)
            with conn.cursor() as cursor:
                # The same guarantees as the SQLAlchemy connections (journal_mode is
                # persistent in the file, set by them).
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        else:
            import adbc_driver_postgresql.dbapi as driver

            # libpq reads the URL itself: the plain scheme, password percent-encoded.
            url = self.url.set(drivername="postgresql")
            if "connect_timeout" not in url.query:
                url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
            try:
                conn = driver.connect(url.render_as_string(hide_password=False))
            except driver.Error as exc:
                raise DatabaseError(
                    f"base de données injoignable ({self.description}) : {readable_cause(exc)}"
                ) from exc
        try:
            yield conn
        finally:
            conn.close()

    def sql(self, query: sa.sql.Select | sa.sql.CompoundSelect | str) -> str:
        if isinstance(query, str):
            return query
        return str(
            query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True})
        )

    def lire(
        self,
        query: sa.sql.Select | sa.sql.CompoundSelect | str,
        schema: dict[str, type[pl.DataType] | pl.DataType] | None = None,
    ) -> pl.DataFrame:
        """Run a query and return its rows as a frame.

        Column types follow the query's SQLAlchemy types (Date -> pl.Date, integers ->
        pl.Int64, Boolean -> pl.Boolean, DateTime -> pl.Datetime("us"[, "UTC"]), strings ->
        pl.String), the same on both databases; `schema` overrides them (and types the
        columns of a raw SQL string, which carries no types).
        """
        with self._adbc() as conn, conn.cursor() as cursor:
            if self.sqlite:
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(SQLITE_BATCH_ROWS)}
                )
            cursor.execute(self.sql(query))
            frame = pl.DataFrame(cursor.fetch_arrow_table())
        types = {**_query_types(query, frame.columns), **(schema or {})}
        if frame.width == 0:
            return pl.DataFrame(schema=types)
        return frame.with_columns(
            _cast(frame, nom, dtype) for nom, dtype in types.items() if nom in frame.columns
        )

    def inserer(self, table: sa.Table, frame: pl.DataFrame) -> int:
        """Append a frame to a table in one columnar write; returns the rows written.

        The frame's columns must be columns of the table (any subset, any order); they are
        cast to the table's types first.
        """
        if frame.height == 0:
            return 0
        unknown = [c for c in frame.columns if c not in table.c]
        if unknown:
            raise DatabaseError(f"colonnes absentes de la table {table.name} : {unknown}")
        ready = _for_table(frame, table, sqlite=self.sqlite)
        try:
            self._ingest(table, ready)
        except DatabaseError:
            raise
        except Exception as exc:
            # Drivers quote the offending row (PostgreSQL's DETAIL: Key (...)=(...)): the
            # message keeps the table and the kind of refusal only.
            raise DatabaseError(f"écriture refusée dans {table.name} : {_refusal(exc)}") from None
        return frame.height

    def _ingest(self, table: sa.Table, ready: pl.DataFrame) -> None:
        with self._adbc() as conn, conn.cursor() as cursor:
            if not self.sqlite:
                cursor.adbc_ingest(table.name, ready.to_arrow(), mode="append")
                conn.commit()
                return
            # All rows or none; IMMEDIATE takes the write lock now, waiting on busy_timeout.
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.adbc_ingest(table.name, ready.to_arrow(), mode="append")
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise


_REFUSALS = [
    (r"foreign key", "clé étrangère sans ligne correspondante"),
    (r"unique|duplicate key", "doublon sur une clé unique"),
    (r"not null|null value", "valeur obligatoire absente"),
    (r"too long", "valeur trop longue pour la colonne"),
    (r"does not exist|no such table", "table ou colonne inexistante (schéma à migrer ?)"),
]


def _refusal(exc: BaseException) -> str:
    text = str(exc).lower()
    for pattern, refusal in _REFUSALS:
        if re.search(pattern, text):
            return refusal
    return type(exc).__name__


def polars_type(sa_type: sa.types.TypeEngine[Any]) -> pl.DataType | None:
    """The polars type a value of that SQLAlchemy type is read as (None: left as read)."""
    if isinstance(sa_type, sa.DateTime):
        return pl.Datetime("us", "UTC" if sa_type.timezone else None)
    if isinstance(sa_type, sa.Date):
        return pl.Date()
    if isinstance(sa_type, sa.Boolean):
        return pl.Boolean()
    if isinstance(sa_type, sa.Integer):
        return pl.Int64()
    if isinstance(sa_type, sa.Float | sa.Numeric):
        return pl.Float64()
    if isinstance(sa_type, sa.String):
        return pl.String()
    return None


def _query_types(query: Any, colonnes: list[str]) -> dict[str, pl.DataType]:
    selected = getattr(query, "selected_columns", None)
    if selected is None or len(selected) != len(colonnes):
        return {}
    types = {}
    for nom, col in zip(colonnes, selected, strict=True):
        dtype = polars_type(col.type)
        if dtype is not None:
            types[nom] = dtype
    return types


def _ingest_type(sa_type: sa.types.TypeEngine[Any]) -> pl.DataType | None:
    """The exact polars type of a column for PostgreSQL's binary COPY."""
    if isinstance(sa_type, sa.BigInteger):
        return pl.Int64()
    if isinstance(sa_type, sa.SmallInteger):
        return pl.Int16()
    if isinstance(sa_type, sa.Integer):
        return pl.Int32()
    return polars_type(sa_type)


def _for_table(frame: pl.DataFrame, table: sa.Table, *, sqlite: bool) -> pl.DataFrame:
    exprs = []
    for nom in frame.columns:
        dtype = _ingest_type(table.c[nom].type)
        if dtype is None:
            continue
        col = pl.col(nom)
        actual = frame.schema[nom]
        if isinstance(dtype, pl.Datetime) and isinstance(actual, pl.Datetime):
            col = col.dt.cast_time_unit("us")
            if dtype.time_zone is None and actual.time_zone is not None:
                col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            elif dtype.time_zone is not None:
                # A naive timestamp bound for a timezone-aware column is taken as UTC.
                col = (
                    col.dt.convert_time_zone("UTC")
                    if actual.time_zone is not None
                    else col.dt.replace_time_zone("UTC")
                )
            if sqlite:
                col = col.dt.strftime(SQLITE_TIMESTAMP_FORMAT)
        elif dtype == pl.Date and actual == pl.String:
            col = col.str.to_date("%Y-%m-%d", strict=True)
        elif actual != dtype:
            col = col.cast(dtype, strict=True)
        exprs.append(col.alias(nom))
    try:
        return frame.with_columns(exprs)
    except pl.exceptions.PolarsError:
        # The driver's message quotes the offending values: keep them out of logs.
        raise DatabaseError(
            f"valeurs incompatibles avec les types de la table {table.name}"
        ) from None


def _cast(frame: pl.DataFrame, nom: str, dtype: Any) -> pl.Expr:
    col = pl.col(nom)
    actual = frame.schema[nom]
    if actual == dtype:
        return col
    if actual == pl.String and dtype == pl.Date:
        return col.str.to_date("%Y-%m-%d", strict=True)
    if actual == pl.String and isinstance(dtype, pl.Datetime):
        # SQLite text: SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff", ADBC an ISO "T".
        parsed = col.str.replace("T", " ", literal=True).str.to_datetime(
            "%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=True
        )
        return parsed.dt.replace_time_zone(dtype.time_zone) if dtype.time_zone else parsed
    if dtype == pl.Boolean and actual != pl.Boolean:
        return col.cast(pl.Int64).cast(pl.Boolean)
    return col.cast(dtype)
