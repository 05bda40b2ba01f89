"""Every anomaly of night D, before the event filter, in one deterministic order."""

from __future__ import annotations

import polars as pl

from rules.anomalies.catalogue import CODES, COLONNES, SCHEMA, SEVERITES
from rules.anomalies.entree import anomalies_entree
from rules.anomalies.entrees import EntreesAnomalies
from rules.anomalies.envois import correction_apres_envoi
from rules.anomalies.fichiers import anomalies_fichiers
from rules.anomalies.objectifs import depassement_objectif
from rules.anomalies.seuils import Seuils
from rules.anomalies.stocks import anomalies_stock
from rules.anomalies.suivi import anomalies_suivi
from rules.etat import Etat
from rules.indicateurs import Referentiels

_ORDRE = [
    "_severite",
    "_code",
    "code_region",
    "code_ml",
    "fichier",
    "id_affectation",
    "id_de",
    "date_debut",
    "cle",
]


def trier(anomalies: pl.DataFrame) -> pl.DataFrame:
    """Blocking first, then by code (RULES.md's order), region, ML, file, episode, date, key."""
    return (
        anomalies.with_columns(
            pl.col("severite")
            .replace_strict({s: i for i, s in enumerate(SEVERITES)}, return_dtype=pl.Int8)
            .alias("_severite"),
            pl.col("code")
            .replace_strict({c: i for i, c in enumerate(CODES)}, return_dtype=pl.Int16)
            .alias("_code"),
        )
        .sort(_ORDRE, nulls_last=True, maintain_order=True)
        .select(COLONNES)
    )


def _stocks(divergences: pl.DataFrame, referentiels: Referentiels) -> list[pl.DataFrame]:
    """The STOCK_ divergence anomalies of each system's latest stock (R1, R3, R4)."""
    regions = referentiels.missions_locales.select("code_ml", "code_region")
    return [
        anomalies_stock(systeme, lignes, lignes.get_column("fichier")[0], regions)
        for (systeme,), lignes in divergences.sort("systeme").group_by(
            "systeme", maintain_order=True
        )
    ]


def anomalies(
    etat: Etat,
    entrees: EntreesAnomalies,
    referentiels: Referentiels,
    seuils: Seuils | None = None,
) -> pl.DataFrame:
    """Every anomaly that holds or happened as of night D (situations and events alike).

    Columns: those of `anomalies.csv` and `cle`. Pass the result to
    `rules.anomalies.evenements_nouveaux` to drop the events earlier nights already reported.
    """
    seuils = seuils or Seuils()
    e = entrees.verifiees()
    parts = [
        *anomalies_fichiers(e, etat.jour),
        *anomalies_entree(etat, seuils),
        *anomalies_suivi(etat, e, seuils),
        correction_apres_envoi(etat, e),
        depassement_objectif(etat, referentiels, seuils),
        *_stocks(e.divergences_stock, referentiels),
    ]
    return trier(pl.concat([pl.DataFrame(schema=SCHEMA), *parts]))
