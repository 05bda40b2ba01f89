"""What night D's report holds, computed once from the state and the night's inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from reporting.qualite import nuit_complete, qualite_des_flux
from rules.anomalies import (
    SCHEMA_DIVERGENCES_STOCK,
    SCHEMA_SIGNALEMENTS,
    EntreesAnomalies,
    Seuils,
    anomalies,
    evenements_nouveaux,
    signalements,
)
from rules.etat import Etat
from rules.indicateurs import Referentiels, indicateurs, tableau_objectifs
from rules.rapprochement import CONCORDANCE
from rules.series_mensuelles import entrees_par_mois, stock_par_mois

SCHEMA_CONCORDANCE_RAPPORT: dict[str, type[pl.DataType]] = {
    "systeme": pl.String,
    "fichier": pl.String,
    "date_stock": pl.Date,
    **{c: t for c, t in CONCORDANCE.items() if c != "systeme"},
}


@dataclass(frozen=True)
class ContenuRapport:
    """Night D's report, as frames; `ecrire_rapport` renders it. No frame holds a name, a
    first name or a birth date."""

    jour: dt.date
    anomalies: pl.DataFrame
    """The anomalies D lists (situations holding on D, events first seen on D): the columns
    of anomalies.csv plus `cle`, in the report's order."""
    indicateurs: pl.DataFrame
    """`rules.indicateurs.indicateurs`: one row per level, code, indicator, period."""
    objectifs: pl.DataFrame
    """`rules.indicateurs.tableau_objectifs`: achievement per nation, region and ML, per year."""
    episodes: pl.DataFrame
    """`Etat.episodes` (etats.parquet)."""
    qualite: pl.DataFrame
    """`reporting.qualite.qualite_des_flux`: the night's files and missing flows."""
    stock_mensuel: pl.DataFrame
    """`rules.series_mensuelles.stock_par_mois`."""
    entrees_mensuelles: pl.DataFrame
    """`rules.series_mensuelles.entrees_par_mois`."""
    complete: bool
    emise: bool
    seuils: Seuils
    pseudonymise: bool = False
    divergences_stock: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=SCHEMA_DIVERGENCES_STOCK)
    )
    """The stock reconciliation's divergences (rapprochement.csv): for each system, those of
    its latest stock dated ≤ D (R1, R3)."""
    concordance: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=SCHEMA_CONCORDANCE_RAPPORT)
    )
    """R6 on each system's latest stock: national row (null code_region) then regions, with
    the stock's file and date; `rules.rapprochement.CONCORDANCE` plus fichier, date_stock."""

    @property
    def signalements(self) -> pl.DataFrame:
        """code, nuit, cle: the events this night lists, for the `signalements` table (from the
        clear report: a pseudonymised one has no keys)."""
        if self.pseudonymise:
            raise ValueError("rapport pseudonymisé : signalements à prendre du rapport en clair")
        return signalements(self.anomalies, self.jour)


def construire(
    etat: Etat,
    entrees: EntreesAnomalies,
    referentiels: Referentiels,
    deja_signales: pl.DataFrame | None = None,
    seuils: Seuils | None = None,
    nb_mois: int = 12,
    concordance: pl.DataFrame | None = None,
) -> ContenuRapport:
    """Night D's report from its state (`rules.etat.etat_au`), the night's files and what
    earlier nights sent and reported (see `reporting/README.md` for the queries).

    `deja_signales`: the `signalements` table (code, nuit, cle); rows of D or later nights are
    ignored. After writing the report, store `contenu.signalements` for night D.
    `concordance`: R6 of each system's latest stock (`SCHEMA_CONCORDANCE_RAPPORT`).
    """
    d = etat.jour
    seuils = seuils or Seuils()
    entrees = entrees.verifiees()
    referentiels = referentiels.verifies()
    deja = deja_signales if deja_signales is not None else pl.DataFrame(schema=SCHEMA_SIGNALEMENTS)
    du_jour = evenements_nouveaux(anomalies(etat, entrees, referentiels, seuils), deja, d)
    ind = indicateurs(etat, referentiels, du_jour)
    return ContenuRapport(
        jour=d,
        anomalies=du_jour,
        indicateurs=ind,
        objectifs=tableau_objectifs(ind, referentiels.objectifs, d),
        episodes=etat.episodes,
        qualite=qualite_des_flux(entrees, d),
        stock_mensuel=stock_par_mois(etat, nb_mois),
        entrees_mensuelles=entrees_par_mois(etat, referentiels.objectifs),
        complete=nuit_complete(entrees, d),
        emise=entrees.emise,
        seuils=seuils,
        divergences_stock=entrees.divergences_stock,
        concordance=(
            pl.DataFrame(schema=SCHEMA_CONCORDANCE_RAPPORT)
            if concordance is None
            else concordance.select(list(SCHEMA_CONCORDANCE_RAPPORT)).cast(
                SCHEMA_CONCORDANCE_RAPPORT
            )
        ),
    )
