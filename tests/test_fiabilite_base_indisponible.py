"""Failure mode 14: the database is unavailable when the night starts.

A PostgreSQL server of its own (tests/postgres.py `running_postgres`) holds the database;
it is stopped before the run. `passerelle run` says so clearly (which database, why, that
nothing was processed or sent), exits 1, and has touched nothing: no outbound file, no
report, no staging copy. Exit 1, not 2: the command and its settings are right (2 is for
bad usage or configuration, which re-running will not fix); the service is down, and the
same command succeeds once it is back, which the test then shows on the same port.
Guard: `pipelines.cli.cmd_run` checks the database (`Database.verifier`) before any work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.database import Database
from tests.fiabilite import executer, lignes, nuit_simple
from tests.postgres import running_postgres

NUIT = dt.date(2010, 10, 4)


@pytest.mark.postgres
def test_base_indisponible_au_demarrage_erreur_claire_rien_envoye_puis_nuit_rejouee(
    tmp_path: Path,
):
    inbox, home = tmp_path / "inbox", tmp_path / "var"
    nuit_simple(inbox, NUIT)
    with running_postgres() as serveur:
        url = serveur.create_database("passerelle")
        serveur.stop()

        panne = executer(home, "--date", NUIT.isoformat(), "--db", url, inbox=inbox)

        assert panne.code == 1, panne.sortie
        assert "base de données injoignable" in panne.sortie
        assert "connexion refusée" in panne.sortie
        assert "rien n'a été traité ni envoyé" in panne.sortie
        assert not home.exists() or not [p for p in home.rglob("*") if p.is_file()]

        serveur.start(port=serveur.port)
        reprise = executer(home, "--date", NUIT.isoformat(), "--db", url, inbox=inbox)

        assert reprise.code == 0, reprise.sortie
        assert len(list((home / "outbox").rglob("*.csv"))) == 11
        db = Database(url)
        assert lignes(db, "GIDE_DEMANDEURS").height == 2
        db.engine.dispose()
