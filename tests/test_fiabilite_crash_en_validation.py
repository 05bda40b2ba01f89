"""Failure mode 10: a crash between claiming a file and committing its rows.

A night runs in a process of its own; once it has claimed GIDE_AFFECTATIONS and written its
rows, before marking the version APPLIQUE (a breakpoint), it is killed (SIGKILL). The rows
are in the history table but invisible: the rules read only APPLIQUE versions. The next run
finds the claim still held (it might be a live run's) and reports the flow not validated:
nothing is emitted. Once the claim is older than PASSERELLE_RECLAMATION_MINUTES it is
reclaimed: the crashed attempt's rows are replaced, every row lands once, the night is sent.
Guards: `ledger.reclamer` and `ledger.a_valider` (claims, and their expiry),
`ingestion._supprimer_lignes`, and `ledger.appliques_jusqu_a` (only APPLIQUE rows count).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

import schemas
from pipelines.ingestion import charger_historique
from rules.historique import au
from tests.fiabilite import (
    Processus,
    anomalies,
    attendre_arret,
    base,
    executer,
    lignes,
    nuit_simple,
    point_d_arret,
    registre,
)

NUIT = dt.date(2010, 10, 4)
NOM = schemas.flux("GIDE_AFFECTATIONS").nom_fichier(NUIT)


def _statut(home: Path) -> str:
    return registre(base(home)).filter(nom=NOM)["statut"].item()


def test_crash_entre_reclamation_et_validation_fichier_repris_apres_le_delai(tmp_path: Path):
    inbox, home, marqueur = tmp_path / "inbox", tmp_path / "var", tmp_path / "arret"
    nuit_simple(inbox, NUIT)
    env = point_d_arret("validation", NOM, marqueur)
    with Processus(home, "--date", NUIT.isoformat(), inbox=inbox, env=env) as nuit:
        attendre_arret(nuit, marqueur)
        nuit.tuer()

    assert _statut(home) == "EN_COURS"
    assert lignes(base(home), "GIDE_AFFECTATIONS").height == 2  # written, not committed
    en_vigueur = au(charger_historique(base(home), NUIT), NUIT)["GIDE_AFFECTATIONS"]
    assert en_vigueur.collect().height == 0  # invisible to the rules

    tenue = executer(home, "--date", NUIT.isoformat(), inbox=inbox)

    assert tenue.code == 3, tenue.sortie  # the claim may be a live run's: not taken over yet
    assert _statut(home) == "EN_COURS"
    manque = anomalies(home, NUIT).filter(pl.col("fichier") == NOM)
    assert manque["code"].to_list() == ["FLUX_MANQUANT"]
    assert "pas encore validé" in manque["message"][0]
    assert not list((home / "outbox").rglob("*.csv"))

    reprise = executer(
        home,
        "--date",
        NUIT.isoformat(),
        inbox=inbox,
        env={"PASSERELLE_RECLAMATION_MINUTES": "0"},
    )

    assert reprise.code == 0, reprise.sortie
    assert _statut(home) == "APPLIQUE"
    recues = lignes(base(home), "GIDE_AFFECTATIONS")
    assert recues.height == 2 and recues["id_affectation"].n_unique() == 2
    assert (
        home / "outbox" / "gide" / schemas.flux("GIDE_IN_INITIALISATIONS").nom_fichier(NUIT)
    ).exists()
