"""A test bench for ingestion: a temporary inbox, working area and SQLite database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.depot import Depot
from connectors.tables import fichiers, historique, quarantaine
from pipelines import completude, ingestion
from pipelines.reglages import Reglages

NUIT = dt.date(2010, 10, 4)


@dataclass
class Banc:
    inbox: Path
    reglages: Reglages
    db: Database
    depot: Depot

    def ingerer(self, nuit: dt.date = NUIT) -> dict[str, list[ingestion.ResultatFichier]]:
        out: dict[str, list[ingestion.ResultatFichier]] = {}
        for f in schemas.ENTRANTS:
            atterri = ingestion.atterrir(self.depot, self.db, f, nuit, self.reglages)
            valides = ingestion.valider(self.db, f, nuit, self.reglages)
            rejets = [r for r in atterri.fichiers if r.statut == "REJETE"]
            out[f.nom] = rejets + valides
        return out

    def bilan(self, nuit: dt.date = NUIT) -> completude.BilanNuit:
        presences = {}
        for zone in self.depot.zones_entree():
            for depose in zone.lister():
                for f in schemas.ENTRANTS:
                    if depose.nom == f.nom_fichier(nuit):
                        presences[f.nom] = "PRESENT" if depose.complet else "SANS_OK"
        return completude.evaluer(
            self.db, nuit, presences, ingestion.fichiers_inattendus(self.depot, nuit)
        )

    def lignes(self, flux: str) -> pl.DataFrame:
        return self.db.lire(sa.select(historique[flux]))

    def quarantaine(self) -> pl.DataFrame:
        return self.db.lire(
            sa.select(
                fichiers.c.nom,
                quarantaine.c.ligne,
                quarantaine.c.champ,
                quarantaine.c.regle,
                quarantaine.c.message,
            )
            .join_from(quarantaine, fichiers, quarantaine.c.fichier_id == fichiers.c.id)
            .order_by(fichiers.c.nom, quarantaine.c.ligne)
        )


def nouveau_banc(tmp_path: Path) -> Banc:
    inbox = tmp_path / "inbox"
    reglages = Reglages.depuis_env({"PASSERELLE_HOME": str(tmp_path / "var")}).avec(inbox=inbox)
    db = Database(reglages.db_url)
    db.creer_schema()
    return Banc(inbox, reglages, db, Depot.local(inbox, tmp_path / "outbox"))
