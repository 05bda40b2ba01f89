"""Database: columnar I/O, reachability and the ledger's claims, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from connectors import tables
from connectors.database import Database, DatabaseError, polars_type
from tests.postgres import free_port, running_postgres

NUIT = dt.date(2010, 10, 4)
SECRET = "s3cr3t-Mot.de.passe"  # noqa: S105 (a test password, absent from any server)
# More than ADBC's default SQLite batch (1,024 rows): a column null over the whole first
# batch, then text, is where type inference from the first batch breaks.
NULLS_FIRST = 1500


def _utc(column: sa.Column[dt.datetime], *args: int) -> dt.datetime:
    """A UTC timestamp as that column takes it (aware or naive: tables.py decides)."""
    value = dt.datetime(*args)
    return value.replace(tzinfo=dt.UTC) if column.type.timezone else value


RECU_LE = _utc(tables.fichiers.c.recu_le, 2010, 10, 4, 22, 0)


def _fichier(db: Database, nom: str = "GIDE_STATUTS_20101004.csv") -> int:
    with db.engine.begin() as conn:
        return int(
            conn.execute(
                tables.fichiers.insert()
                .values(
                    nom=nom,
                    flux="GIDE_STATUTS",
                    date_fichier=NUIT,
                    sha256="a" * 64,
                    taille=10,
                    statut=tables.RECU,
                    nuit=NUIT,
                    recu_le=RECU_LE,
                )
                .returning(tables.fichiers.c.id)
            ).scalar_one()
        )


def _statuts(fichier_id: int) -> pl.DataFrame:
    n = NULLS_FIRST + 4
    return pl.DataFrame(
        {
            "fichier_id": [fichier_id] * n,
            "ligne": list(range(1, n + 1)),
            "id_de": [f"DE{i:07d}" for i in range(n)],
            "statut": ["RADIE"] * NULLS_FIRST + ["INSCRIT", None, "RADIÉ é à ç œ «»", "X"],
            "date_effet": [NUIT] * NULLS_FIRST + [None, dt.date(1999, 12, 31), NUIT, None],
            "motif": [None] * NULLS_FIRST + ["Sanction", None, "Déménagement", ""],
            "duree_radiation_jours": [None] * NULLS_FIRST + [60, None, 2**40, -1],
        },
        schema={
            "fichier_id": pl.Int64,
            "ligne": pl.Int64,
            "id_de": pl.String,
            "statut": pl.String,
            "date_effet": pl.Date,
            "motif": pl.String,
            "duree_radiation_jours": pl.Int64,
        },
    )


def test_inserer_lire_round_trip_keeps_values_and_types(db: Database) -> None:
    h = tables.historique["GIDE_STATUTS"]
    frame = _statuts(_fichier(db))

    assert db.inserer(h, frame) == frame.height
    back = db.lire(sa.select(h).order_by(h.c.ligne))

    assert back.schema["date_effet"] == pl.Date
    assert_frame_equal(back, frame)


def test_inserer_lire_round_trip_booleans_and_timestamps(db: Database) -> None:
    traitee_le = tables.nuits.c.traitee_le
    nuits = pl.DataFrame(
        {
            "nuit": [NUIT, NUIT + dt.timedelta(days=1)],
            "complete": [True, False],
            "emise": [False, True],
            "partielle_forcee": [False, False],
            "traitee_le": [
                _utc(traitee_le, 2010, 10, 5, 1, 2, 3, 456789),
                _utc(traitee_le, 2010, 10, 6, 23, 59, 59),
            ],
        }
    )
    expected = nuits.with_columns(pl.col("traitee_le").cast(polars_type(traitee_le.type)))

    db.inserer(tables.nuits, nuits)
    back = db.lire(sa.select(tables.nuits).order_by(tables.nuits.c.nuit))

    assert back.schema["complete"] == pl.Boolean
    assert_frame_equal(back, expected)


def test_ledger_and_bulk_writes_are_read_back_alike(db: Database) -> None:
    # A row written by SQLAlchemy (the ledger) and one by ADBC read back the same way, so
    # comparisons in SQL see one format on SQLite too.
    _fichier(db, "A.csv")
    row = db.lire(sa.select(tables.fichiers).where(tables.fichiers.c.nom == "A.csv"))
    copy = row.with_columns(pl.lit("B.csv").alias("nom"), (pl.col("id") + 1000).alias("id"))

    db.inserer(tables.fichiers, copy)
    both = db.lire(
        sa.select(tables.fichiers.c.nom, tables.fichiers.c.recu_le, tables.fichiers.c.nuit)
        .where(tables.fichiers.c.recu_le == RECU_LE)
        .order_by(tables.fichiers.c.nom)
    )

    assert both["nom"].to_list() == ["A.csv", "B.csv"]
    assert both.schema["recu_le"] == polars_type(tables.fichiers.c.recu_le.type)
    assert both["nuit"].to_list() == [NUIT, NUIT]


def test_lire_types_a_raw_query_with_the_schema_given(db: Database) -> None:
    h = tables.historique["GIDE_STATUTS"]
    db.inserer(h, _statuts(_fichier(db)).head(2))

    back = db.lire(
        "SELECT ligne, date_effet FROM h_gide_statuts ORDER BY ligne",
        {"ligne": pl.Int64, "date_effet": pl.Date},
    )
    empty = db.lire(sa.select(h).where(h.c.ligne < 0))

    assert back.schema == pl.Schema({"ligne": pl.Int64, "date_effet": pl.Date})
    assert back["date_effet"].to_list() == [NUIT, NUIT]
    assert empty.height == 0
    assert empty.schema["date_effet"] == pl.Date
    assert empty.schema["duree_radiation_jours"] == pl.Int64


def test_inserer_refuses_bad_values_without_quoting_them(db: Database) -> None:
    h = tables.historique["GIDE_STATUTS"]
    fichier_id = _fichier(db)
    too_big = 2**40 + 12345  # `ligne` is an INTEGER

    with pytest.raises(DatabaseError) as err:
        db.inserer(h, pl.DataFrame({"fichier_id": [fichier_id], "ligne": [too_big]}))
    assert "h_gide_statuts" in str(err.value)
    assert str(too_big) not in str(err.value)

    with pytest.raises(DatabaseError, match="colonnes absentes"):
        db.inserer(h, pl.DataFrame({"fichier_id": [fichier_id], "inconnue": ["x"]}))


def test_inserer_respects_foreign_keys(db: Database) -> None:
    # History rows without their ledger row are refused on both databases.
    h = tables.historique["GIDE_STATUTS"]
    with pytest.raises(DatabaseError, match="clé étrangère") as err:
        db.inserer(h, pl.DataFrame({"fichier_id": [999_999], "ligne": [1]}))
    assert "999999" not in str(err.value)
    assert db.lire(sa.select(h)).height == 0


def test_fichiers_unique_claim_has_exactly_one_winner_of_8(db: Database) -> None:
    contenders = 8
    start = threading.Barrier(contenders)
    won: list[int] = []
    lost: list[BaseException] = []
    row = {
        "nom": "GIDE_STATUTS_20101004.csv",
        "flux": "GIDE_STATUTS",
        "date_fichier": NUIT,
        "sha256": "b" * 64,
        "taille": 10,
        "statut": tables.RECU,
        "nuit": NUIT,
        "recu_le": RECU_LE,
    }

    def claim(i: int) -> None:
        start.wait()
        try:
            with db.engine.begin() as conn:
                conn.execute(tables.fichiers.insert().values({**row, "jeton": f"jeton-{i}"}))
                time.sleep(0.05)  # hold the transaction so that the others collide with it
            won.append(i)
        except sa.exc.IntegrityError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(won) == 1
    assert len(lost) == contenders - 1
    with db.engine.connect() as conn:
        jetons = conn.execute(sa.select(tables.fichiers.c.jeton)).scalars().all()
    assert jetons == [f"jeton-{won[0]}"]


def _assert_clear_and_secret_free(err: DatabaseError, *expected: str) -> None:
    message = str(err)
    assert message.startswith("base de données injoignable")
    for part in expected:
        assert part in message
    everything = "".join(traceback.format_exception(err))
    assert SECRET not in everything


def test_verifier_postgres_on_a_closed_port_is_clear_and_hides_the_password() -> None:
    db = Database(f"postgresql://passerelle:{SECRET}@127.0.0.1:{free_port()}/passerelle")

    with pytest.raises(DatabaseError) as err:
        db.verifier()

    _assert_clear_and_secret_free(err.value, "connexion refusée", "passerelle:***@127.0.0.1")


@pytest.mark.postgres
def test_verifier_postgres_stopped_after_use_is_clear_and_hides_the_password() -> None:
    with running_postgres() as server:
        url = server.create_database("passerelle").replace("postgres@", f"postgres:{SECRET}@")
        db = Database(url)
        db.verifier()  # reachable: a pooled connection now exists
        server.stop()

        with pytest.raises(DatabaseError) as err:
            db.verifier()
        with pytest.raises(DatabaseError) as bulk:
            db.lire(sa.select(sa.literal(1).label("un")))
        db.engine.dispose()

    _assert_clear_and_secret_free(err.value, "connexion refusée", "postgres:***@")
    _assert_clear_and_secret_free(bulk.value, "connexion refusée", "postgres:***@")


def test_verifier_sqlite_unusable_file_is_clear(tmp_path: Path) -> None:
    folder = tmp_path / "un-dossier"
    folder.mkdir()
    db = Database(f"sqlite:///{folder}")

    with pytest.raises(DatabaseError) as err:
        db.verifier()

    _assert_clear_and_secret_free(err.value, "fichier de base inaccessible")
