"""Failure mode 13: eight runs claiming the same files at once, on SQLite and PostgreSQL.

Eight separate processes (spawned, each with its own connections) land and validate the
same night's files, released together at each step by a barrier. Exactly one process
records each file, exactly one claims and applies it, and its rows are there once. On
SQLite the database is in WAL mode (readers beside one writer), as the embedded default.
Guards: the unique constraint on `fichiers` (nom, sha256) for the landing, the claim
(`ledger.reclamer`: an UPDATE guarded by the status, one winner) for the validation.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import schemas
from connectors.database import Database
from tests.fiabilite import lignes, nuit_simple, registre

NUIT = dt.date(2010, 10, 4)
PROCESSUS = 8
FLUX = [f.nom for f in schemas.ENTRANTS if f.obligatoire]


def _concurrent(db_url: str, inbox: str, home: str, barriere) -> list[tuple[str, str, str]]:
    """One run's ingestion of the night: land every flow, then validate every flow."""
    from connectors.depot import Depot
    from pipelines import ingestion
    from pipelines.reglages import Reglages

    reglages = Reglages.depuis_env({"PASSERELLE_HOME": home}).avec(inbox=Path(inbox), db_url=db_url)
    depot = Depot.local(Path(inbox), Path(home) / "outbox")
    db = Database(db_url)
    vus = []
    barriere.wait()
    for nom in FLUX:
        atterri = ingestion.atterrir(depot, db, schemas.flux(nom), NUIT, reglages)
        vus += [("atterrissage", r.nom, r.statut) for r in atterri.fichiers]
    barriere.wait()
    for nom in FLUX:
        valides = ingestion.valider(db, schemas.flux(nom), NUIT, reglages)
        vus += [("validation", r.nom, r.statut) for r in valides]
    db.engine.dispose()
    return vus


def _travailleur(travaux, resultats, barriere) -> None:
    """A process of its own, kept for both databases (starting one costs its imports)."""
    while (travail := travaux.get()) is not None:
        try:
            resultats.put(_concurrent(*travail, barriere))
        except BaseException as exc:
            resultats.put(f"{type(exc).__name__}: {exc}")


@pytest.fixture(scope="module")
def huit_processus():
    contexte = multiprocessing.get_context("spawn")
    barriere = contexte.Barrier(PROCESSUS)
    resultats = contexte.Queue()
    travaux = [contexte.Queue() for _ in range(PROCESSUS)]
    processus = [
        contexte.Process(target=_travailleur, args=(q, resultats, barriere), daemon=True)
        for q in travaux
    ]
    for p in processus:
        p.start()

    def lancer(db_url: str, inbox: Path, home: Path) -> list[list[tuple[str, str, str]]]:
        for i, q in enumerate(travaux):
            q.put((db_url, str(inbox), str(home / f"run{i}")))
        vus = [resultats.get(timeout=180) for _ in processus]
        erreurs = [v for v in vus if isinstance(v, str)]
        assert not erreurs, erreurs
        return vus

    yield lancer
    for q in travaux:
        q.put(None)
    for p in processus:
        p.join(timeout=60)


def _comptes(vus: list[list[tuple[str, str, str]]], etape: str, statut: str) -> Counter[str]:
    return Counter(nom for v in vus for e, nom, s in v if (e, s) == (etape, statut))


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_huit_runs_concurrents_un_seul_gagnant_par_fichier_lignes_une_fois(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, huit_processus
):
    if backend == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'passerelle.db'}"
    else:
        db_url = request.getfixturevalue("pg_url")
    db = Database(db_url)
    db.creer_schema()
    if backend == "sqlite":
        with sqlite3.connect(tmp_path / "passerelle.db") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    inbox = tmp_path / "inbox"
    nuit_simple(inbox, NUIT)

    vus = huit_processus(db_url, inbox, tmp_path)

    noms = {schemas.flux(f).nom_fichier(NUIT) for f in FLUX}
    detail = [Counter((e, s) for e, _, s in v) for v in vus]
    assert _comptes(vus, "atterrissage", "RECU") == dict.fromkeys(noms, 1), detail
    assert _comptes(vus, "validation", "APPLIQUE") == dict.fromkeys(noms, 1), detail
    fichiers = registre(db)
    assert fichiers.height == len(noms) and set(fichiers["statut"]) == {"APPLIQUE"}
    for f in ("GIDE_DEMANDEURS", "GIDE_AFFECTATIONS", "P3_ENTRETIENS"):
        assert lignes(db, f).height == 2
    db.engine.dispose()
