"""What the rules read on night D: each inbound flow's rows in force, business-dated ≤ D.

`rules.historique.au(historique, d)` already resolved files and corrections (only files dated
≤ D, latest file wins per key, latest `REF_*` list). This module adds the second half of
"as of D": a row whose business date is after D is not in force yet (a status whose
`date_effet` is after D, an interview planned for later, a sortie dated tomorrow). It also
derives the two views of `GIDE_DEMANDEURS` the rules use: the address history and the
identity as of D.

**Reading taken:** a row dated after D is invisible on night D, for every flow, including
affectations and acceptations (an affectation dated tomorrow does not open today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

import schemas
from rules.historique import DATE_FICHIER, colonnes_historique

# The business date of each dated inbound flow: rows dated after D are not in force on D.
DATE_METIER = {
    "GIDE_DEMANDEURS": "date_effet",
    "GIDE_AFFECTATIONS": "date_affectation",
    "GIDE_STATUTS": "date_effet",
    "GIDE_TRAITEMENTS_ALERTE": "date_traitement",
    "GIDE_SORTIES": "date_sortie",
    "DUDE_ACCEPTATIONS": "date_acceptation",
    "P3_ENTRETIENS": "date_entretien",
    "P3_ALERTES": "date_alerte",
    "P3_CIVIS": "date_entree_civis",
}


@dataclass(frozen=True)
class Sources:
    """The inbound rows of night D, typed, business-dated ≤ D (lazy).

    Each frame keeps the contract columns of its flow; `DATE_FICHIER` (the night of the file
    that carried the row) is kept on the flows whose anomalies may want it.
    """

    jour: dt.date
    affectations: pl.LazyFrame
    statuts: pl.LazyFrame
    traitements: pl.LazyFrame
    sorties: pl.LazyFrame
    acceptations: pl.LazyFrame
    entretiens: pl.LazyFrame
    alertes: pl.LazyFrame
    civis: pl.LazyFrame
    adresses: pl.LazyFrame
    """GIDE_DEMANDEURS rows ≤ D without the name fields: id_de, code_commune, date_effet."""
    identites: pl.LazyFrame
    """One row per DE: the GIDE_DEMANDEURS row with the latest date_effet ≤ D (personal data)."""
    missions_locales: pl.LazyFrame
    zones: pl.LazyFrame
    objectifs: pl.LazyFrame


def _flux(entrees: Mapping[str, pl.LazyFrame], nom: str) -> pl.LazyFrame:
    """The flow's frame, or an empty typed one when the caller has none."""
    frame = entrees.get(nom)
    if frame is None:
        return pl.LazyFrame(schema=colonnes_historique(nom))
    return frame


def _en_vigueur(entrees: Mapping[str, pl.LazyFrame], nom: str, d: dt.date) -> pl.LazyFrame:
    colonnes = [*schemas.flux(nom).colonnes, DATE_FICHIER]
    frame = _flux(entrees, nom).select(colonnes)
    return frame.filter(pl.col(DATE_METIER[nom]) <= d)


def _referentiel(entrees: Mapping[str, pl.LazyFrame], nom: str) -> pl.LazyFrame:
    return _flux(entrees, nom).select(schemas.flux(nom).colonnes)


def sources(entrees: Mapping[str, pl.LazyFrame], d: dt.date) -> Sources:
    """The inbound rows in force on night D, from `rules.historique.au(historique, d)`."""
    demandeurs = _en_vigueur(entrees, "GIDE_DEMANDEURS", d)
    identites = (
        demandeurs.sort("date_effet")
        .group_by("id_de")
        .last()
        .select("id_de", "nom", "prenom", "date_naissance", "code_commune", "date_effet")
    )
    return Sources(
        jour=d,
        affectations=_en_vigueur(entrees, "GIDE_AFFECTATIONS", d),
        statuts=_en_vigueur(entrees, "GIDE_STATUTS", d),
        traitements=_en_vigueur(entrees, "GIDE_TRAITEMENTS_ALERTE", d),
        sorties=_en_vigueur(entrees, "GIDE_SORTIES", d),
        acceptations=_en_vigueur(entrees, "DUDE_ACCEPTATIONS", d),
        entretiens=_en_vigueur(entrees, "P3_ENTRETIENS", d),
        alertes=_en_vigueur(entrees, "P3_ALERTES", d),
        civis=_en_vigueur(entrees, "P3_CIVIS", d),
        adresses=demandeurs.select("id_de", "code_commune", "date_effet"),
        identites=identites,
        missions_locales=_referentiel(entrees, "REF_MISSIONS_LOCALES"),
        zones=_referentiel(entrees, "REF_ZONES_ML"),
        objectifs=_referentiel(entrees, "REF_OBJECTIFS"),
    )
