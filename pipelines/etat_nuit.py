"""The state of a night and its outbound records, from the database (no Dagster here).

`calculer(db, nuit)` computes them; `du_jour(db, nuit)` is what the nightly assets call: the
state is computed once by the `etats` step and the outbound and report steps of the same
process reuse it, instead of passing gigabytes between steps through Dagster's I/O manager.
The reuse is checked: a remembered state is returned only while the applied file versions
dated ≤ night are exactly those it was computed from (the state is a pure function of
them); otherwise, or in another process, it is computed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors import ledger
from connectors.database import Database
from pipelines import ingestion
from reporting.chargement import referentiels
from rules.cles import MOTEUR
from rules.etat import Etat, etat_au
from rules.historique import DATE_FICHIER, ORDRE, au
from rules.indicateurs import Referentiels
from rules.rapprochement import ENTREES_RAPPROCHEMENT
from rules.sortants import enregistrements


@dataclass(frozen=True)
class ResultatEtat:
    """The state of the night and every outbound record that exists as of the night."""

    etat: Etat
    enregistrements: dict[str, pl.DataFrame]
    referentiels: Referentiels  # the REF lists in force on the night
    lecture_s: float  # reading the history and resolving it as of the night
    calcul_s: float  # applying the rules
    versions: str = ""  # `signature` of the applied versions it was computed from
    # The rows in force the stock reconciliation reads besides the state (RULES.md R2).
    entrees_rapprochement: dict[str, pl.LazyFrame] = field(default_factory=dict)


def calculer(db: Database, nuit: dt.date, cache: Path | None = None) -> ResultatEtat:
    """A pure function of the validated files dated ≤ night, read from the database (through
    the columnar copy in `cache` when given: `pipelines.cache_historique`).

    The rows in force are resolved once, flow by flow (through the cache, each flow's
    history is read only while it is resolved), and every rule then reads them from memory.
    """
    debut = time.perf_counter()
    historique = ingestion.charger_historique(db, nuit, cache)
    versions = _signature(historique.fichiers.collect())
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
        versions=versions,
        entrees_rapprochement={n: entrees[n] for n in ENTREES_RAPPROCHEMENT},
    )


def _signature(fichiers: pl.DataFrame) -> str:
    lignes = fichiers.select("flux", DATE_FICHIER, ORDRE).sort(ORDRE).write_csv()
    return hashlib.sha256(lignes.encode()).hexdigest()


def signature(db: Database, nuit: dt.date) -> str:
    """The applied file versions dated ≤ night, as one hash (what the state depends on)."""
    appliques = ledger.appliques_jusqu_a(db, nuit).subquery()
    return _signature(
        db.lire(
            sa.select(
                appliques.c.flux,
                appliques.c.date_fichier.label(DATE_FICHIER),
                appliques.c.id.label(ORDRE),
            ),
            {"flux": pl.String, DATE_FICHIER: pl.Date, ORDRE: pl.Int64},
        )
    )


# The state last computed in this process, by database and night (one entry: the night's).
_DERNIER: dict[tuple[str, dt.date], ResultatEtat] = {}


def du_jour(db: Database, nuit: dt.date, cache: Path | None = None) -> ResultatEtat:
    """`calculer(db, nuit, cache)`, reusing this process's last result while it holds."""
    cle = (db.description, nuit)
    dernier = _DERNIER.get(cle)
    if dernier is not None and dernier.versions == signature(db, nuit):
        return dernier
    _DERNIER.clear()  # one night's state in memory at a time
    resultat = calculer(db, nuit, cache)
    _DERNIER[cle] = resultat
    return resultat
