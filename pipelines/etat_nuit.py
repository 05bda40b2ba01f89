"""The state of a night and its outbound records, from the database (no Dagster here)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from connectors.database import Database
from pipelines import ingestion
from reporting.chargement import referentiels
from rules.cles import MOTEUR
from rules.etat import Etat, etat_au
from rules.historique import au
from rules.indicateurs import Referentiels
from rules.sortants import enregistrements


@dataclass(frozen=True)
class ResultatEtat:
    """The state of the night and every outbound record that exists as of the night."""

    etat: Etat
    enregistrements: dict[str, pl.DataFrame]
    referentiels: Referentiels  # the REF lists in force on the night
    lecture_s: float  # reading the history and resolving it as of the night
    calcul_s: float  # applying the rules


def calculer(db: Database, nuit: dt.date, cache: Path | None = None) -> ResultatEtat:
    """A pure function of the validated files dated ≤ night, read from the database (through
    the columnar copy in `cache` when given: `pipelines.cache_historique`).

    The rows in force are resolved once, flow by flow (through the cache, each flow's
    history is read only while it is resolved), and every rule then reads them from memory.
    """
    debut = time.perf_counter()
    historique = ingestion.charger_historique(db, nuit, cache)
    entrees = {
        nom: rows.collect(engine=MOTEUR).lazy() for nom, rows in au(historique, nuit).items()
    }
    lu = time.perf_counter()
    etat = etat_au(entrees, nuit)
    records = enregistrements(etat, entrees, nuit)
    refs = referentiels(entrees)
    return ResultatEtat(
        etat=etat,
        enregistrements=records,
        referentiels=refs,
        lecture_s=lu - debut,
        calcul_s=time.perf_counter() - lu,
    )
