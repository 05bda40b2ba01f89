"""The inbound files a night answers for, as the ledger records them (read-only, for the UI).

A run only processes what no run has processed before, so its own results are empty when a
night is materialised again. The metadata an operator reads must not change with that: it is
built from the ledger, which keeps every version with its counts, its status and, when it
was rejected, the path of its set-aside copy. A night answers for the files named for it and
for the late files of earlier nights that its run landed.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import sqlalchemy as sa

from connectors.database import Database
from connectors.tables import APPLIQUE, REJETE, fichiers, quarantaine
from schemas.contract import Flux

# Reasons shown per rule broken and per file, and in all: a preview, the report has the rest.
MOTIFS_PAR_REGLE = 5
MOTIFS_MAX = 20

COMPTES = ("lignes_appliquees", "doublons", "quarantaine", "conflits")


def versions(db: Database, flux: Flux, nuit: dt.date) -> pl.DataFrame:
    """The flow's versions named for the night or landed by its run, oldest first."""
    query = (
        sa.select(
            fichiers.c.id,
            fichiers.c.nom,
            fichiers.c.statut,
            fichiers.c.lignes_ok,
            *(fichiers.c[c] for c in COMPTES),
            fichiers.c.motif_rejet,
            fichiers.c.chemin_de_cote,
        )
        .where(fichiers.c.flux == flux.nom)
        .where((fichiers.c.date_fichier == nuit) | (fichiers.c.nuit == nuit))
        .order_by(fichiers.c.id)
    )
    return db.lire(query).with_columns(pl.col(*COMPTES).fill_null(0))


def motifs(db: Database, versions: pl.DataFrame) -> list[dict[str, object]]:
    """The first quarantine reasons of each rule broken, per file (line, field, rule, message)."""
    if versions.height == 0:
        return []
    rang = (
        sa.func.row_number()
        .over(
            partition_by=[quarantaine.c.fichier_id, quarantaine.c.regle],
            order_by=quarantaine.c.ligne,
        )
        .label("rang")
    )
    classees = (
        sa.select(
            quarantaine.c.fichier_id,
            quarantaine.c.ligne,
            quarantaine.c.champ,
            quarantaine.c.regle,
            quarantaine.c.message,
            rang,
        )
        .where(quarantaine.c.fichier_id.in_(versions["id"].to_list()))
        .subquery()
    )
    query = (
        sa.select(classees)
        .where(classees.c.rang <= MOTIFS_PAR_REGLE)
        .order_by(classees.c.fichier_id, classees.c.ligne)
        .limit(MOTIFS_MAX)
    )
    noms = versions.select(pl.col("id").alias("fichier_id"), pl.col("nom").alias("fichier"))
    return (
        db.lire(query)
        .join(noms, on="fichier_id", how="left")
        .select("fichier", "ligne", "champ", "regle", "message")
        .to_dicts()
    )


def table_fichiers(versions: pl.DataFrame) -> dg.TableMetadataValue:
    """One row per version: its status, the rows of its .ok and their fate, and if rejected, why
    and where its copy was set aside."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "fichier": v["nom"],
                    "statut": v["statut"],
                    "lignes_ok": v["lignes_ok"] if v["lignes_ok"] is not None else -1,
                    "appliquees": v["lignes_appliquees"],
                    "doublons": v["doublons"],
                    "quarantaine": v["quarantaine"],
                    "motif_rejet": v["motif_rejet"] or "",
                    "mis_de_cote": v["chemin_de_cote"] or "",
                }
            )
            for v in versions.iter_rows(named=True)
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("fichier", "string"),
                dg.TableColumn("statut", "string", description="RECU, EN_COURS, APPLIQUE, REJETE"),
                dg.TableColumn("lignes_ok", "int", description="rows announced (-1: no .ok)"),
                dg.TableColumn("appliquees", "int"),
                dg.TableColumn("doublons", "int", description="identical duplicates, kept once"),
                dg.TableColumn("quarantaine", "int"),
                dg.TableColumn("motif_rejet", "string"),
                dg.TableColumn("mis_de_cote", "string", description="copy of a rejected file"),
            ]
        ),
    )


def rejetes(versions: pl.DataFrame) -> pl.DataFrame:
    return versions.filter(pl.col("statut") == REJETE)


def ecarts_au_ok(versions: pl.DataFrame) -> list[str]:
    """Applied versions whose rows do not add up to their .ok: rows lost somewhere."""
    return versions.filter(
        (pl.col("statut") == APPLIQUE)
        & pl.col("lignes_ok").is_not_null()
        & (
            pl.col("lignes_appliquees") + pl.col("doublons") + pl.col("quarantaine")
            != pl.col("lignes_ok")
        )
    )["nom"].to_list()
