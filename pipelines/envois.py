"""What Passerelle sent, as the stock reconciliation reads it (RULES.md R2).

"The content sent" for a key is the latest content an emitted night ≤ S − délai sent for it:
read from the emission ledger (`emissions.valeurs`, the traced columns of
`pipelines.emission.COLONNES_TRACEES`), typed back to the flow's columns. `DUDE_IN_ETATS`
is a full snapshot that bypasses the ledger: the snapshot a night sent is recomputed from
the files dated ≤ that night, the state being a pure function of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl
import sqlalchemy as sa

import schemas
from connectors.database import Database
from connectors.tables import emissions, nuits
from pipelines.emission import SNAPSHOTS, tracees
from rules.rapprochement import FLUX_ENVOYES

SCHEMA_LIGNES = {"cle": pl.String, "nuit": pl.Date, "empreinte": pl.String, "valeurs": pl.String}


def _typees(lignes: pl.DataFrame, flux: schemas.Flux) -> pl.DataFrame:
    """(cle, nuit, empreinte, and the traced columns typed as in the flow) from the
    ledger's JSON."""
    colonnes = tracees(flux)
    types = flux.types_polars

    def typer(c: str) -> pl.Expr:
        texte = pl.col("_v").struct.field(c).replace("", None)
        if c in flux.dates:
            return texte.str.to_date(flux.date_format, strict=False).alias(c)
        return texte.cast(types[c]).alias(c)

    decodees = lignes.with_columns(
        pl.col("valeurs")
        .fill_null("{}")
        .str.json_decode(pl.Struct({c: pl.String for c in colonnes}))
        .alias("_v")
    )
    return decodees.select("cle", "nuit", "empreinte", *(typer(c) for c in colonnes))


def contenu_envoye(
    db: Database, flux: str, jusqu_au: dt.date, apres: dt.date | None = None
) -> pl.DataFrame:
    """Per key, the latest content the nights ≤ `jusqu_au` (and after `apres` when given)
    sent in `flux` (cle, nuit, empreinte, the traced columns), sorted by key."""
    query = (
        sa.select(emissions.c.cle, emissions.c.nuit, emissions.c.empreinte, emissions.c.valeurs)
        .where(emissions.c.flux == flux)
        .where(emissions.c.nuit <= jusqu_au)
    )
    if apres is not None:
        query = query.where(emissions.c.nuit > apres)
    lignes = db.lire(query, SCHEMA_LIGNES)
    dernieres = lignes.sort("nuit").group_by("cle", maintain_order=True).last().sort("cle")
    return _typees(dernieres, schemas.flux(flux))


def contenus_envoyes(
    db: Database, jusqu_au: dt.date, flux: Iterable[str] = FLUX_ENVOYES
) -> dict[str, pl.LazyFrame]:
    """`contenu_envoye` of each of those flows (by default every flow the expected views
    read), except the snapshots."""
    return {nom: contenu_envoye(db, nom, jusqu_au).lazy() for nom in flux if nom not in SNAPSHOTS}


def derniere_nuit_emise(db: Database, jusqu_au: dt.date) -> dt.date | None:
    """The latest night ≤ `jusqu_au` whose outbound flows were emitted."""
    query = sa.select(sa.func.max(nuits.c.nuit)).where((nuits.c.nuit <= jusqu_au) & nuits.c.emise)
    with db.engine.connect() as conn:
        return conn.execute(query).scalar()


SCHEMA_RENVOIS = {"flux": pl.String, "cle": pl.String, "empreinte": pl.String, "nuit": pl.Date}


def renvois(db: Database, flux: list[str], avant: dt.date) -> pl.DataFrame:
    """The re-sends (R5) the nights before `avant` made in those flows: flux, cle,
    empreinte (the content re-sent), nuit."""
    query = (
        sa.select(emissions.c.flux, emissions.c.cle, emissions.c.empreinte, emissions.c.nuit)
        .where(emissions.c.flux.in_(flux))
        .where(emissions.c.renvoi)
        .where(emissions.c.nuit < avant)
    )
    return db.lire(query, SCHEMA_RENVOIS)
