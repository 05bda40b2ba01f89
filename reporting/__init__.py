"""The reconciliation report of a night, for analysts (French, with charts).

    contenu = reporting.construire(etat, entrees, referentiels, deja_signales, seuils)
    chemins = reporting.ecrire_rapport(reports, contenu, pseudonymiser=cle_ou_None)
    # then store contenu.signalements in the `signalements` table for night D

See `reporting/README.md` for the frames to load from the database.
"""

from reporting.contenu import ContenuRapport, construire
from reporting.ecriture import FICHIERS, ecrire_rapport, rendre
from reporting.pseudonymisation import pseudonymiser
from rules.anomalies import EntreesAnomalies, Seuils
from rules.indicateurs import Referentiels

__all__ = [
    "FICHIERS",
    "ContenuRapport",
    "EntreesAnomalies",
    "Referentiels",
    "Seuils",
    "construire",
    "ecrire_rapport",
    "pseudonymiser",
    "rendre",
]
