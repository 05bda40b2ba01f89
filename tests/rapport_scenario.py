"""A small night for the report tests: many codes, files, names and birth dates in the inputs."""

from __future__ import annotations

import datetime as dt

import polars as pl

import reporting
from rules.anomalies import EntreesAnomalies
from rules.indicateurs import Referentiels
from tests.rules.builders import (
    AF1,
    AF2,
    AF3,
    AL1,
    AL2,
    DE1,
    DE2,
    DE3,
    ML1,
    ML2,
    ML3,
    Entrees,
    en,
)

NUIT = dt.date(2010, 10, 4)
NOMS = ("Lefèvre", "Zoé", "Müller-Ñoël", "Éloïse")
NAISSANCES = (dt.date(1992, 3, 15), dt.date(1980, 1, 10))
IDENTIFIANTS = (AF1, AF2, AF3, AL1, AL2, DE1, DE2, DE3)


def entrees_regles() -> Entrees:
    e = Entrees()
    e.demandeur(DE1, naissance="15/03/1992", nom=NOMS[0], prenom=NOMS[1])
    e.demandeur(DE2, naissance="10/01/1980", nom=NOMS[2], prenom=NOMS[3])
    e.affectation(AF1, DE1, ML1, "01/09/2010").acceptation(AF1, DE1, ML1, "03/09/2010")
    e.entretien(en(1), DE1, ML1, "06/09/2010").alerte(AL1, DE1, ML1, "02/09/2010")
    e.traitement(AL2, DE1, "20/09/2010", "MAINTIEN")
    e.affectation(AF2, DE2, ML2, "20/09/2010")
    e.affectation(AF3, DE3, ML3, "01/08/2010")
    e.entretien(en(2), DE1, ML1, "01/01/2010")  # before the episode: does not initialise
    return e


def entrees_anomalies() -> EntreesAnomalies:
    base = {
        "date_fichier": NUIT,
        "motif_rejet": None,
        "message_rejet": None,
        "lignes_ok": 10,
        "lignes_appliquees": 10,
        "doublons": 0,
        "quarantaine": 0,
        "conflits": 0,
    }
    fichiers = pl.DataFrame(
        [
            {**base, "id": 1, "nom": "GIDE_AFFECTATIONS_20101004.csv", "flux": "GIDE_AFFECTATIONS",
             "sha256": "1" * 64, "statut": "APPLIQUE", "lignes_appliquees": 7, "quarantaine": 3,
             "conflits": 2},
            {**base, "id": 2, "nom": "P3_ALERTES_20101004.csv", "flux": "P3_ALERTES",
             "sha256": "2" * 64, "statut": "REJETE", "motif_rejet": "ENTETE",
             "message_rejet": "en-tête différent du contrat (ligne 1)", "lignes_appliquees": 0},
            {**base, "id": 3, "nom": "DUDE_ACCEPTATIONS_20101004.csv", "flux": "DUDE_ACCEPTATIONS",
             "sha256": "3" * 64, "statut": "APPLIQUE"},
        ]
    )  # fmt: skip
    motifs = pl.DataFrame(
        {"fichier_id": [1, 1], "champ": ["code_ml", "id_affectation"],
         "regle": ["motif", "doublon_conflictuel"], "lignes": [1, 2]}
    )  # fmt: skip
    manquants = pl.DataFrame(
        {
            "flux": ["P3_ENTRETIENS"],
            "nom_attendu": ["P3_ENTRETIENS_20101004.csv"],
            "raison": ["ABSENT"],
        }
    )
    return EntreesAnomalies(
        fichiers=fichiers, manquants=manquants, motifs_quarantaine=motifs, emise=False
    )


def referentiels() -> Referentiels:
    return Referentiels(
        missions_locales=pl.DataFrame(
            {
                "code_ml": [ML1, ML2],
                "nom_ml": ["Mission locale de Paris", "=Mission locale de Lyon"],
                "code_region": ["11", "82"],
            }
        ),
        objectifs=pl.DataFrame(
            {"niveau": ["ML"], "code": [ML1], "annee": [2010], "objectif": [50]},
            schema={
                "niveau": pl.String,
                "code": pl.String,
                "annee": pl.Int64,
                "objectif": pl.Int64,
            },
        ),
    )


def contenu() -> reporting.ContenuRapport:
    etat = entrees_regles().etat(NUIT)
    return reporting.construire(etat, entrees_anomalies(), referentiels())
