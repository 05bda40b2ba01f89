"""The thresholds of the anomalies (RULES.md: settings, with these defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Seuils:
    acceptation_jours: int = 15
    """ACCEPTATION_MANQUANTE: an open episode not accepted this many days after affectation."""
    initialisation_jours: int = 30
    """INITIALISATION_MANQUANTE: an episode still in phase 1 this many days after affectation."""
    alerte_jours: int = 30
    """ALERTE_NON_TRAITEE: an alert open for more than this many days."""
    entretien_jours: int = 31
    """SANS_ENTRETIEN_MENSUEL: an ACTIF episode whose last contact is more than this many days
    before D."""
    depassement_objectif: float = 0.10
    """DEPASSEMENT_OBJECTIF: counted entries above the objective by more than this share."""

    def __post_init__(self) -> None:
        for nom in ("acceptation_jours", "initialisation_jours", "alerte_jours", "entretien_jours"):
            if getattr(self, nom) < 0:
                raise ValueError(f"seuil {nom} négatif")
        if self.depassement_objectif < 0:
            raise ValueError("seuil depassement_objectif négatif")
