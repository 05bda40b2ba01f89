"""Alembic migrations: head is exactly `connectors.tables`, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import sqlalchemy as sa

from connectors import migrations, tables
from connectors.database import Database


def _tables_in(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _changes(differences: list[object]) -> set[tuple[str, str]]:
    """(kind, table) of each difference compare_metadata reports."""
    out = set()
    for d in differences:
        for op in d if isinstance(d, list) else [d]:
            kind, subject = op[0], op[1]
            if kind.endswith("_table"):
                out.add((kind, subject.name))
            elif kind.endswith(("_index", "_constraint", "_fk")):
                out.add((kind, subject.table.name))
            else:  # add_column, remove_column, modify_*: (kind, schema, table, ...)
                out.add((kind, op[2]))
    return out


def _a_fichier(nom: str = "GIDE_STATUTS_20101004.csv") -> dict[str, object]:
    jour = dt.date(2010, 10, 4)
    return {
        "nom": nom,
        "flux": "GIDE_STATUTS",
        "date_fichier": jour,
        "sha256": "a" * 64,
        "taille": 10,
        "statut": tables.RECU,
        "nuit": jour,
        "recu_le": dt.datetime(2010, 10, 4, 22, 0, tzinfo=dt.UTC),
    }


def test_upgrade_to_head_gives_exactly_the_tables_of_tables_py(db_url: str) -> None:
    db = Database(db_url)
    db.creer_schema()

    assert migrations.current_revision(db) == migrations.head_revision()
    assert migrations.schema_differences(db) == []
    assert _tables_in(db) == set(tables.metadata.tables) | {migrations.VERSION_TABLE}


def test_a_table_change_without_migration_is_seen(db_url: str) -> None:
    # What the test above catches when someone edits tables.py and forgets the migration.
    db = Database(db_url)
    db.creer_schema()
    changed = sa.MetaData(naming_convention=tables.metadata.naming_convention)
    for table in tables.metadata.sorted_tables:
        table.to_metadata(changed)
    nom = changed.tables["fichiers"].c.nom
    nom.type = sa.String(nom.type.length + 1)
    changed.tables["fichiers"].append_column(sa.Column("colonne_sans_migration", sa.Integer))
    sa.Table("table_sans_migration", changed, sa.Column("x", sa.Integer, primary_key=True))

    changes = _changes(migrations.schema_differences(db, changed))

    assert changes == {
        ("add_column", "fichiers"),
        ("modify_type", "fichiers"),
        ("add_table", "table_sans_migration"),
    }


def test_upgrade_twice_is_harmless_and_keeps_the_rows(db_url: str) -> None:
    db = Database(db_url)
    db.creer_schema()
    with db.engine.begin() as conn:
        conn.execute(tables.fichiers.insert().values(_a_fichier()))

    db.creer_schema()

    assert migrations.current_revision(db) == migrations.head_revision()
    assert migrations.schema_differences(db) == []
    with db.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(tables.fichiers)) == 1


def test_downgrade_to_base_then_upgrade(db_url: str) -> None:
    db = Database(db_url)
    db.creer_schema()

    migrations.downgrade(db, "base")
    assert migrations.current_revision(db) is None
    assert _tables_in(db) <= {migrations.VERSION_TABLE}

    migrations.upgrade(db)
    assert migrations.current_revision(db) == migrations.head_revision()
    assert migrations.schema_differences(db) == []


def test_concurrent_upgrades_run_one_after_the_other(db_url: str) -> None:
    # Two Dagster runs starting together both call creer_schema on a fresh database.
    databases = [Database(db_url) for _ in range(4)]
    start = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def upgrade(db: Database) -> None:
        start.wait()
        try:
            db.creer_schema()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert migrations.schema_differences(databases[0]) == []
    for d in databases:
        d.engine.dispose()


def test_sqlite_foreign_keys_are_back_on_after_a_migration(tmp_path: Path) -> None:
    # Migrations turn SQLite's foreign keys off (batch ALTERs rebuild tables); the pooled
    # connection must not keep them off for the ledger's writes that follow.
    db = Database(f"sqlite:///{tmp_path / 'passerelle.db'}")
    db.creer_schema()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
