"""The anomalies of the reconciliation report (RULES.md, Anomalies), as pure polars.

    brutes = anomalies(etat, entrees, referentiels, seuils)       # all that holds on D
    du_jour = evenements_nouveaux(brutes, deja_signales, d)       # what D's report lists
    a_stocker = signalements(du_jour, d)                          # -> table `signalements`

One module per family: `fichiers` (files of the night), `entree` (E1-E7), `suivi` (A1-A5,
S1-S6), `envois` (CORRECTION_APRES_ENVOI), `objectifs` (DEPASSEMENT_OBJECTIF); the codes'
severity, kind and systems are in `catalogue`; `evenements` explains the keys.
"""

from rules.anomalies.assemblage import anomalies, trier
from rules.anomalies.catalogue import (
    CATALOGUE,
    CODES,
    COLONNES,
    COLONNES_CSV,
    EVENEMENTS,
    SCHEMA,
    catalogue,
)
from rules.anomalies.entrees import (
    FLUX_CORRIGEABLES,
    SCHEMA_CORRECTIONS,
    SCHEMA_DIVERGENCES_STOCK,
    SCHEMA_ENVOYES,
    SCHEMA_FICHIERS,
    SCHEMA_MANQUANTS,
    SCHEMA_MOTIFS,
    EntreesAnomalies,
)
from rules.anomalies.evenements import SCHEMA_SIGNALEMENTS, evenements_nouveaux, signalements
from rules.anomalies.seuils import Seuils

__all__ = [
    "CATALOGUE",
    "CODES",
    "COLONNES",
    "COLONNES_CSV",
    "EVENEMENTS",
    "FLUX_CORRIGEABLES",
    "SCHEMA",
    "SCHEMA_CORRECTIONS",
    "SCHEMA_DIVERGENCES_STOCK",
    "SCHEMA_ENVOYES",
    "SCHEMA_FICHIERS",
    "SCHEMA_MANQUANTS",
    "SCHEMA_MOTIFS",
    "SCHEMA_SIGNALEMENTS",
    "EntreesAnomalies",
    "Seuils",
    "anomalies",
    "catalogue",
    "evenements_nouveaux",
    "signalements",
    "trier",
]
