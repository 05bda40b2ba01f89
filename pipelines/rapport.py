"""The night's reconciliation report: built from the state and the database, then written.

Used by the `rapports/rapport` asset (as part of the night) and by `passerelle report`
(rebuilding a night's report from the database, without ingesting anything).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import reporting
from connectors.database import Database
from pipelines import completude, rapprochement
from pipelines.rapprochement import Rapprochement
from reporting import chargement
from reporting.contenu import ContenuRapport
from rules.etat import Etat
from rules.indicateurs import Referentiels

VARIABLE_CLE = "PASSERELLE_CLE_PSEUDONYMISATION"


class CleManquante(ValueError):
    """Pseudonymised reports were asked for without a usable key (a configuration error)."""


def cle_pseudonymisation(environ: dict[str, str] | None = None) -> bytes:
    """The HMAC key for pseudonymised reports, from the environment only (never stored)."""
    valeur = (os.environ if environ is None else environ).get(VARIABLE_CLE, "")
    if len(valeur.encode()) < 16:
        raise CleManquante(
            f"rapports pseudonymisés demandés : la variable {VARIABLE_CLE} doit contenir une "
            "clé secrète d'au moins 16 octets"
        )
    return valeur.encode()


@dataclass(frozen=True)
class Rapport:
    contenu: ContenuRapport
    fichiers: list[Path]


def produire(
    db: Database,
    reports: Path,
    nuit: dt.date,
    etat: Etat,
    enregistrements: dict[str, pl.DataFrame],
    referentiels: Referentiels,
    cle: bytes | None,
    cache_emissions: Path | None = None,
    rapprochements: list[Rapprochement] | None = None,
) -> Rapport:
    """Build night D's report, write it to `reports/<D>/`, remember the events it listed.
    `rapprochements`: the night's stock reconciliation (`pipelines.rapprochement.du_jour`)."""
    bilan = completude.lire(db, nuit)
    emise = bool(bilan.height and bilan["emise"][0])
    rapproches = rapprochements or []
    contenu = reporting.construire(
        etat,
        chargement.entrees_anomalies(
            db,
            nuit,
            enregistrements,
            emise,
            cache_emissions,
            divergences_stock=rapprochement.divergences(rapproches),
        ),
        referentiels,
        chargement.deja_signales(db, nuit),
        concordance=rapprochement.concordances(rapproches),
    )
    fichiers = reporting.ecrire_rapport(reports, contenu, pseudonymiser=cle)
    chargement.enregistrer_signalements(db, contenu)
    return Rapport(contenu=contenu, fichiers=fichiers)
