"""The ledger of received files: each file version recorded once, claimed by one run.

A file version is its name and the sha256 of its bytes (a corrected file re-delivered under
the same name is a new version). The unique constraint on (nom, sha256) makes the landing
of a version happen once however many runs race for it; the claim (an UPDATE guarded by
the status) makes its validation happen once, and a claim left behind by a crashed run is
taken over after a timeout.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.tables import APPLIQUE, EN_COURS, RECU, REJETE, fichiers


def maintenant() -> dt.datetime:
    """Naive UTC, the convention of every timestamp column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Version:
    """A ledger row, as the ingestion needs it."""

    id: int
    nom: str
    flux: str
    date_fichier: dt.date
    sha256: str
    lignes_ok: int | None
    statut: str
    chemin_staging: str | None


def _version(row: sa.Row) -> Version:
    return Version(
        id=row.id,
        nom=row.nom,
        flux=row.flux,
        date_fichier=row.date_fichier,
        sha256=row.sha256,
        lignes_ok=row.lignes_ok,
        statut=row.statut,
        chemin_staging=row.chemin_staging,
    )


def connue(db: Database, nom: str, sha256: str) -> bool:
    """Whether this version (name and sha256 of its bytes) is already in the ledger.

    Only the real checksum of a recorded version counts, never the one its `.ok` announced:
    a file rejected because its bytes did not match its `.ok` (a truncated transfer) and then
    re-delivered whole, with the same `.ok`, is a new version to land.
    """
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.select(fichiers.c.id)
            .where(fichiers.c.nom == nom)
            .where(fichiers.c.sha256 == sha256)
            .limit(1)
        ).first()
    return found is not None


def enregistrer(db: Database, **valeurs: object) -> int | None:
    """Record a new version; None when another run recorded it first (it wins)."""
    valeurs.setdefault("recu_le", maintenant())
    try:
        with db.engine.begin() as conn:
            result = conn.execute(sa.insert(fichiers).values(**valeurs))
            return int(result.inserted_primary_key[0])
    except sa.exc.IntegrityError:
        return None


def a_valider(db: Database, flux: str, nuit: dt.date, reclamation: dt.timedelta) -> list[Version]:
    """Versions of the flow dated ≤ night waiting for validation, or abandoned mid-way."""
    limite = maintenant() - reclamation
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(fichiers)
            .where(fichiers.c.flux == flux)
            .where(fichiers.c.date_fichier <= nuit)
            .where(
                (fichiers.c.statut == RECU)
                | ((fichiers.c.statut == EN_COURS) & (fichiers.c.reclame_le < limite))
            )
            .order_by(fichiers.c.id)
        ).all()
    return [_version(r) for r in rows]


def reclamer(db: Database, version: Version, reclamation: dt.timedelta) -> str | None:
    """Claim a version for validation; the claim token, or None if another run holds it."""
    jeton = str(uuid.uuid4())
    limite = maintenant() - reclamation
    with db.engine.begin() as conn:
        result = conn.execute(
            sa.update(fichiers)
            .where(fichiers.c.id == version.id)
            .where(
                (fichiers.c.statut == RECU)
                | ((fichiers.c.statut == EN_COURS) & (fichiers.c.reclame_le < limite))
            )
            .values(statut=EN_COURS, jeton=jeton, reclame_le=maintenant())
        )
    return jeton if result.rowcount == 1 else None


def terminer(db: Database, version_id: int, jeton: str, **valeurs: object) -> bool:
    """Close a claimed version (APPLIQUE or REJETE); False if the claim was lost."""
    with db.engine.begin() as conn:
        result = conn.execute(
            sa.update(fichiers)
            .where(fichiers.c.id == version_id)
            .where(fichiers.c.jeton == jeton)
            .where(fichiers.c.statut == EN_COURS)
            .values(traite_le=maintenant(), jeton=None, **valeurs)
        )
    return result.rowcount == 1


def versions_de_la_nuit(db: Database, nuit: dt.date) -> pl.DataFrame:
    """Every version of the files named for that night, latest version last per name."""
    query = (
        sa.select(
            fichiers.c.id,
            fichiers.c.nom,
            fichiers.c.flux,
            fichiers.c.statut,
            fichiers.c.motif_rejet,
        )
        .where(fichiers.c.date_fichier == nuit)
        .order_by(fichiers.c.nom, fichiers.c.id)
    )
    return db.lire(
        query,
        {
            "id": pl.Int64,
            "nom": pl.String,
            "flux": pl.String,
            "statut": pl.String,
            "motif_rejet": pl.String,
        },
    )


def appliques_jusqu_a(db: Database, nuit: dt.date) -> sa.Select:
    """The applied files dated ≤ night (what the rules of that night may read)."""
    return (
        sa.select(fichiers.c.id, fichiers.c.flux, fichiers.c.date_fichier)
        .where(fichiers.c.statut == APPLIQUE)
        .where(fichiers.c.date_fichier <= nuit)
    )


__all__ = [
    "APPLIQUE",
    "EN_COURS",
    "RECU",
    "REJETE",
    "Version",
    "a_valider",
    "appliques_jusqu_a",
    "connue",
    "enregistrer",
    "maintenant",
    "reclamer",
    "terminer",
    "versions_de_la_nuit",
]
