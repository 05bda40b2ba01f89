"""Alembic's migration environment for Passerelle's database.

Programmatic runs (`connectors.migrations.upgrade`) hand over their connection, already in
a locked transaction. The `alembic` command line (developers, with the root alembic.ini)
migrates the database of `-x url=...`, else of PASSERELLE_DB_URL.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from connectors import migrations


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, **migrations.context_options())
    with context.begin_transaction():
        context.run_migrations()


def _command_line_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "PASSERELLE_DB_URL"
    )
    if not url:
        raise SystemExit("donner la base : alembic -x url=... ou PASSERELLE_DB_URL")
    return url


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=_command_line_url(), literal_binds=True, **migrations.context_options()
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from connectors.database import Database

    db = Database(_command_line_url())
    try:
        with migrations.migration_connection(db) as conn:
            _run(conn)
    finally:
        db.engine.dispose()


_main()
