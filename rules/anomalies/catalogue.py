"""The anomaly codes of RULES.md: severity, kind, what a row fills, systems involved.

This table is the one place the codes are described for the program; `docs/anomalies.md`
explains them to analysts, and a test checks both list the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

BLOQUANT = "BLOQUANT"
ALERTE = "ALERTE"
INFO = "INFO"
SEVERITES = (BLOQUANT, ALERTE, INFO)

SITUATION = "S"  # listed every night its condition holds
EVENEMENT = "E"  # listed once, by the first run night that sees it

# What a row fills (RULES.md, "What each row fills").
EPISODE = "episode"
FICHIER = "fichier"
ML_OU_REGION = "ml_ou_region"

COLONNES_CSV = [
    "code",
    "severite",
    "id_affectation",
    "id_de",
    "code_ml",
    "code_region",
    "fichier",
    "date_debut",
    "systemes",
    "message",
    "action",
]
"""The columns of `anomalies.csv`, in order (FLOWS.md, Reports)."""

CLE = "cle"
"""The stable key of what a row concerns (see `rules.anomalies.evenements`)."""

COLONNES = [*COLONNES_CSV, CLE]

SCHEMA: dict[str, type[pl.DataType]] = {
    **{c: pl.String for c in COLONNES},
    "date_debut": pl.Date,
}


@dataclass(frozen=True)
class Code:
    code: str
    severite: str
    nature: str
    remplit: str
    systemes: str  # default systems involved; file codes take the flow's system


_CODES = [
    Code("FLUX_MANQUANT", BLOQUANT, EVENEMENT, FICHIER, ""),
    Code("FICHIER_REJETE", BLOQUANT, EVENEMENT, FICHIER, ""),
    Code("LIGNES_EN_QUARANTAINE", ALERTE, EVENEMENT, FICHIER, ""),
    Code("DOUBLON_CONFLICTUEL", ALERTE, EVENEMENT, FICHIER, ""),
    Code("DEMANDEUR_INCONNU", ALERTE, SITUATION, EPISODE, "GIDE"),
    Code("ML_INCONNUE", ALERTE, SITUATION, EPISODE, "GIDE,REF"),
    Code("AFFECTATION_EN_DOUBLE", ALERTE, EVENEMENT, EPISODE, "GIDE"),
    Code("AFFECTATION_HORS_AGE", ALERTE, EVENEMENT, EPISODE, "GIDE"),
    Code("AFFECTATION_HORS_PARCOURS_ACC", INFO, EVENEMENT, EPISODE, "GIDE"),
    Code("ACCEPTATION_ORPHELINE", ALERTE, SITUATION, EPISODE, "DUDE,GIDE"),
    Code("ACCEPTATION_ML_DIVERGENTE", ALERTE, EVENEMENT, EPISODE, "DUDE,GIDE"),
    Code("ACCEPTATION_INCOHERENTE", ALERTE, EVENEMENT, EPISODE, "DUDE,GIDE"),
    Code("ACCEPTATION_MANQUANTE", ALERTE, SITUATION, EPISODE, "GIDE,DUDE"),
    Code("INITIALISATION_MANQUANTE", ALERTE, SITUATION, EPISODE, "GIDE,P3"),
    Code("INITIALISATION_AVANT_ACCEPTATION", INFO, EVENEMENT, EPISODE, "P3,DUDE"),
    Code("ANNULATION_RADIATION", INFO, EVENEMENT, EPISODE, "GIDE,P3"),
    Code("COMPTABILISATION_CIVIS", INFO, EVENEMENT, EPISODE, "P3"),
    Code("ALERTE_NON_TRAITEE", ALERTE, SITUATION, EPISODE, "P3,GIDE"),
    Code("TRAITEMENT_ORPHELIN", ALERTE, EVENEMENT, EPISODE, "GIDE,P3"),
    Code("TRAITEMENT_INCOHERENT", ALERTE, EVENEMENT, EPISODE, "GIDE,P3"),
    Code("SANS_ENTRETIEN_MENSUEL", INFO, SITUATION, EPISODE, "P3"),
    Code("SORTIE_AUTOMATIQUE", INFO, EVENEMENT, EPISODE, "GIDE,P3"),
    Code("DEMENAGEMENT_HORS_ZONE", ALERTE, SITUATION, EPISODE, "GIDE"),
    Code("SORTIE_ORPHELINE", ALERTE, EVENEMENT, EPISODE, "GIDE"),
    Code("ACTIVITE_APRES_SORTIE", INFO, EVENEMENT, EPISODE, "P3"),
    Code("CORRECTION_APRES_ENVOI", ALERTE, EVENEMENT, EPISODE, ""),
    Code("DEPASSEMENT_OBJECTIF", ALERTE, SITUATION, ML_OU_REGION, "GIDE,P3"),
    Code("STOCK_REJETE", ALERTE, EVENEMENT, FICHIER, ""),
    # The STOCK_* divergences name the system whose stock shows them first (RULES.md, R3-R4).
    Code("STOCK_EPISODE_MANQUANT", ALERTE, SITUATION, EPISODE, ""),
    Code("STOCK_EPISODE_EN_TROP", ALERTE, SITUATION, EPISODE, ""),
    Code("STOCK_ECART_STATUT", ALERTE, SITUATION, EPISODE, ""),
    Code("STOCK_ECART_ALERTE", ALERTE, SITUATION, EPISODE, ""),
    Code("STOCK_ECART_ETAT", ALERTE, SITUATION, EPISODE, ""),
    Code("STOCK_ECART_DONNEES", ALERTE, SITUATION, EPISODE, ""),
]

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}
CODES: tuple[str, ...] = tuple(CATALOGUE)
EVENEMENTS: tuple[str, ...] = tuple(c.code for c in _CODES if c.nature == EVENEMENT)


def catalogue() -> pl.DataFrame:
    """code, severite, nature, remplit, systemes, ordre: the table as a frame."""
    return pl.DataFrame(
        {
            "code": [c.code for c in _CODES],
            "severite": [c.severite for c in _CODES],
            "nature": [c.nature for c in _CODES],
            "remplit": [c.remplit for c in _CODES],
            "systemes": [c.systemes for c in _CODES],
            "ordre": list(range(len(_CODES))),
        }
    )
