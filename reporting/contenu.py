"""What night D's report holds, computed once from the state and the night's inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from reporting.qualite import nuit_complete, qualite_des_flux
from rules.anomalies import (
    SCHEMA_SIGNALEMENTS,
    EntreesAnomalies,
    Seuils,
    anomalies,
    evenements_nouveaux,
    signalements,
)
from rules.etat import Etat
from rules.indicateurs import Referentiels, indicateurs, tableau_objectifs
from rules.series_mensuelles import entrees_par_mois, stock_par_mois


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
) -> ContenuRapport:
    """Night D's report from its state (`rules.etat.etat_au`), the night's files and what
    earlier nights sent and reported (see `reporting/README.md` for the queries).

    `deja_signales`: the `signalements` table (code, nuit, cle); rows of D or later nights are
    ignored. After writing the report, store `contenu.signalements` for night D.
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
    )
