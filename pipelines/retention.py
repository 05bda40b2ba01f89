"""Retention: removing copies of personal data that are no longer needed.

`passerelle purge --before D` removes, for files dated before D: the set-aside copies of
rejected files, the staging copies of received files, and the quarantined rows (their
reasons and their raw values); and, of any age, the temporary files a killed process left
in the working folders and the half-written report folders in the reports folder.
Dagster keeps no step output: the night's state is computed by the
`etats` step and reused in memory by the steps of the same run (`pipelines.etat_nuit`).
Without `--before`, D is today (Paris) minus PASSERELLE_RETENTION_JOURS days
(`retention_jours`, 90 by default).

It keeps the ledger: which file, when, which checksum, what was applied, duplicated,
quarantined or rejected (the audit trail), and the validated history, which the rules need
to compute every later night. Reports are the analysts' and are left to them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.dropzone import supprimer_temporaires_abandonnes
from connectors.tables import fichiers, quarantaine, quarantaine_contenu
from pipelines.reglages import Reglages


@dataclass(frozen=True)
class Purge:
    copies_supprimees: int
    lignes_quarantaine_supprimees: int
    versions_concernees: int
    temporaires_supprimes: int = 0


def date_limite(reglages: Reglages, aujourd_hui: dt.date) -> dt.date:
    """The default `--before`: the retention period counted back from today."""
    return aujourd_hui - dt.timedelta(days=reglages.retention_jours)


def _temporaires(reglages: Reglages) -> int:
    dossiers = [reglages.staging, reglages.rejets]
    n = 0
    for racine in dossiers:
        if racine.is_dir():
            for dossier in [racine, *(p for p in racine.rglob("*") if p.is_dir())]:
                n += supprimer_temporaires_abandonnes(dossier)
    # A report is written whole in a temporary folder beside the nights' folders, then
    # renamed; a killed writer leaves that folder (`reporting.ecriture`).
    return n + supprimer_temporaires_abandonnes(reglages.reports, suffixe=r"\.(tmp|old)")


def purger(db: Database, reglages: Reglages, avant: dt.date) -> Purge:
    anciennes = db.lire(
        sa.select(fichiers.c.id, fichiers.c.chemin_staging, fichiers.c.chemin_de_cote).where(
            fichiers.c.date_fichier < avant
        ),
        {"id": pl.Int64, "chemin_staging": pl.String, "chemin_de_cote": pl.String},
    )
    ids = anciennes["id"].to_list()
    copies = 0
    for colonne in ("chemin_staging", "chemin_de_cote"):
        for chemin in anciennes[colonne].drop_nulls().to_list():
            path = Path(chemin)
            if path.exists():
                path.unlink()
                copies += 1
            ok = path.with_name(path.name + ".ok")
            ok.unlink(missing_ok=True)
    # Folders of set-aside files are named by date: remove the empty ones left behind.
    if reglages.rejets.is_dir():
        for dossier in sorted(reglages.rejets.iterdir()):
            if dossier.is_dir() and dossier.name < avant.isoformat():
                shutil.rmtree(dossier)
    supprimees = 0
    with db.engine.begin() as conn:
        for table in (quarantaine_contenu, quarantaine):
            result = conn.execute(sa.delete(table).where(table.c.fichier_id.in_(ids)))
            if table is quarantaine:
                supprimees = result.rowcount or 0
        conn.execute(
            sa.update(fichiers)
            .where(fichiers.c.id.in_(ids))
            .values(chemin_staging=None, chemin_de_cote=None)
        )
    return Purge(
        copies,
        supprimees,
        len(ids),
        _temporaires(reglages),
    )
