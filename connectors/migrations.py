"""Schema creation and upgrades of the database.

Temporary: creates the tables from `connectors.tables`; Alembic migrations replace this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.database import Database


def upgrade(db: Database) -> None:
    db.creer_tables_sans_migration()
