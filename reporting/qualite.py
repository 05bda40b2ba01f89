"""The quality of the night's flows: every file received and every flow missing."""

from __future__ import annotations

import datetime as dt

import polars as pl

from rules.anomalies.entrees import EntreesAnomalies

COLONNES = [
    "fichier",
    "flux",
    "systeme",
    "date_fichier",
    "statut",
    "lignes",
    "appliquees",
    "doublons",
    "quarantaine",
    "conflits",
    "motif",
    "detail",
]

_RANG_STATUT = {"MANQUANT": 0, "REJETE": 1, "RECU": 2, "EN_COURS": 3, "APPLIQUE": 4}


def qualite_des_flux(entrees: EntreesAnomalies, d: dt.date) -> pl.DataFrame:
    """One row per file version of the night (ledger) and per missing flow (statut MANQUANT,
    motif = why: ABSENT, SANS_OK, NON_VALIDE); problems first, then by name and version."""
    e = entrees.verifiees()
    recus = e.fichiers.sort("id").select(
        pl.col("nom").alias("fichier"),
        "flux",
        "date_fichier",
        "statut",
        pl.col("lignes_ok").alias("lignes"),
        pl.col("lignes_appliquees").alias("appliquees"),
        "doublons",
        "quarantaine",
        "conflits",
        pl.col("motif_rejet").alias("motif"),
        pl.col("message_rejet").alias("detail"),
        pl.col("id").alias("_version"),
    )
    manquants = e.manquants.select(
        pl.col("nom_attendu").alias("fichier"),
        "flux",
        pl.lit(d, dtype=pl.Date).alias("date_fichier"),
        pl.lit("MANQUANT").alias("statut"),
        pl.col("raison").alias("motif"),
        pl.lit(-1, dtype=pl.Int64).alias("_version"),
    )
    return (
        pl.concat([manquants, recus], how="diagonal_relaxed")
        .with_columns(pl.col("flux").str.extract(r"^(GIDE|DUDE|P3|REF)_", 1).alias("systeme"))
        .sort(
            pl.col("statut").replace_strict(_RANG_STATUT, default=9, return_dtype=pl.Int8),
            "fichier",
            "_version",
        )
        .select(COLONNES)
    )


def nuit_complete(entrees: EntreesAnomalies, d: dt.date) -> bool:
    """As `pipelines.completude`: no mandatory flow missing, and no file named for the night
    whose latest version is rejected."""
    e = entrees.verifiees()
    derniere = (
        e.fichiers.filter(pl.col("date_fichier") == d)
        .sort("id")
        .group_by("nom", maintain_order=True)
        .last()
    )
    return e.manquants.is_empty() and derniere.filter(pl.col("statut") == "REJETE").is_empty()
