"""The database: one SQLAlchemy engine for control statements, ADBC for bulk rows.

Rows move in columns, never one by one: reads and appends of frames go through the ADBC
drivers (Arrow batches; on PostgreSQL the ingest is a COPY), while the ledger's small
transactional updates go through SQLAlchemy. The same code runs on SQLite (the embedded
default, in WAL mode so that readers and one writer work side by side) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from connectors.tables import metadata


class DatabaseError(Exception):
    """The database cannot be used; the message says which and never holds a password."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """The history, the ledgers and the emission memory of Passerelle."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
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
            if self.url.drivername == "postgresql":
                self.url = self.url.set(drivername="postgresql+psycopg")
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        else:
            raise DatabaseError(f"base non prise en charge : {self.url.get_backend_name()}")

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)})"

    @property
    def description(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def verifier(self) -> None:
        """Fail early, with a clear message, when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise DatabaseError(
                f"base de données injoignable ({self.description}) : {cause}"
            ) from exc

    def creer_schema(self) -> None:
        """Create or upgrade the tables to the current schema."""
        from connectors.migrations import upgrade

        upgrade(self)

    def creer_tables_sans_migration(self) -> None:
        metadata.create_all(self.engine)

    @contextmanager
    def _adbc(self) -> Iterator[Any]:
        if self.sqlite:
            import adbc_driver_sqlite.dbapi as driver

            conn = driver.connect(str(self.url.database))
        else:
            import adbc_driver_postgresql.dbapi as driver

            uri = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            conn = driver.connect(uri)
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
        """Run a query and return its rows as a frame, with the given column types."""
        with self._adbc() as conn:
            frame = pl.read_database(self.sql(query), connection=conn)
        if schema:
            if frame.width == 0:
                return pl.DataFrame(schema=schema)
            frame = frame.with_columns(_cast(frame, nom, dtype) for nom, dtype in schema.items())
        return frame

    def inserer(self, table: sa.Table, frame: pl.DataFrame) -> int:
        """Append a frame to a table in one columnar write; returns the rows written."""
        if frame.height == 0:
            return 0
        with self._adbc() as conn:
            frame.write_database(
                table.name, connection=conn, engine="adbc", if_table_exists="append"
            )
            conn.commit()
        return frame.height


def _cast(frame: pl.DataFrame, nom: str, dtype: Any) -> pl.Expr:
    col = pl.col(nom)
    actual = frame.schema[nom]
    if actual == dtype:
        return col
    if dtype == pl.Date and actual == pl.String:
        return col.str.to_date("%Y-%m-%d", strict=True)
    if dtype == pl.Boolean and actual != pl.Boolean:
        return col.cast(pl.Int64).cast(pl.Boolean)
    return col.cast(dtype)
