"""What the rules read: the validated history, resolved as of night D.

The history holds every validated row of every applied file, all versions kept. Reading it
"as of D" (RULES.md, Vocabulary; FLOWS.md, Keys, corrections, duplicates) means:

1. only files dated ≤ D count;
2. a file re-delivered under the same name with new content is a new version of that
   night's extraction and replaces the earlier version as a whole (**reading taken**: the
   sender re-extracted the night; a row missing from the new version is withdrawn);
3. the same key delivered on a later night is a correction: the row of the latest file
   wins (latest file date, then latest version);
4. `REF_*` and stock flows are full lists: the latest one dated ≤ D applies, alone.

Everything here is a pure function of its inputs: the state of night D depends on nothing
but the rows of the files dated ≤ D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

import schemas

# Columns added to every history row next to the contract's fields.
DATE_FICHIER = "_date_fichier"  # extraction date D of the file that carried the row
ORDRE = "_ordre"  # arrival order of that file (the ledger id): a later version is larger
LIGNE = "_ligne"  # line number in that file

FICHIERS_SCHEMA = {"flux": pl.String, DATE_FICHIER: pl.Date, ORDRE: pl.Int64}


def colonnes_historique(flux: str) -> dict[str, type[pl.DataType]]:
    """The schema of a history frame of that flow: typed fields plus the file columns."""
    return {
        **schemas.flux(flux).types_polars,
        DATE_FICHIER: pl.Date,
        ORDRE: pl.Int64,
        LIGNE: pl.Int64,
    }


@dataclass(frozen=True)
class Historique:
    """Every validated row of every applied file, per inbound flow.

    `fichiers` lists the applied files (flux, DATE_FICHIER, ORDRE), including those with no
    row, so that an empty new version still replaces an older one.
    """

    tables: dict[str, pl.LazyFrame]
    fichiers: pl.LazyFrame

    @staticmethod
    def vide() -> Historique:
        return Historique(
            tables={
                f.nom: pl.LazyFrame(schema=colonnes_historique(f.nom)) for f in schemas.ENTRANTS
            },
            fichiers=pl.LazyFrame(schema=FICHIERS_SCHEMA),
        )

    def table(self, flux: str) -> pl.LazyFrame:
        return self.tables.get(flux, pl.LazyFrame(schema=colonnes_historique(flux)))


def _versions_retenues(fichiers: pl.LazyFrame, d: dt.date) -> pl.LazyFrame:
    """(flux, DATE_FICHIER, ORDRE) of the latest version of each file dated ≤ D."""
    return (
        fichiers.filter(pl.col(DATE_FICHIER) <= d)
        .group_by("flux", DATE_FICHIER)
        .agg(pl.col(ORDRE).max())
    )


def _dernieres(lignes: pl.DataFrame, cle: list[str]) -> pl.DataFrame:
    """The row of the latest file per key (latest DATE_FICHIER, then ORDRE, then LIGNE).

    Most keys occur once in the whole history (a correction re-sends a few): only the rows
    whose key's 64-bit hash repeats (found by sorting the hashes, not by hashing strings
    into a table) are sorted and grouped; a hash collision merely sends two rows to that
    exact path. The other rows are kept as they are, in their order.
    """
    if lignes.height < 2:
        return lignes
    cle_hachee = pl.struct(cle).hash() if len(cle) > 1 else pl.col(cle[0]).hash()
    hachees = lignes.select(cle_hachee).to_series()
    triees = np.sort(hachees.to_numpy())
    egales = triees[1:] == triees[:-1]
    if not egales.any():
        return lignes
    candidates = hachees.is_in(pl.Series(np.unique(triees[1:][egales])).implode())
    rang = "_rang"
    gagnantes = (
        lignes.with_row_index(rang)
        .filter(candidates)
        .sort(DATE_FICHIER, ORDRE, LIGNE)
        .group_by(cle, maintain_order=True)
        .agg(pl.col(rang).last())
        .get_column(rang)
        .to_numpy()
    )
    garder = ~candidates.to_numpy()
    garder[gagnantes] = True
    return lignes.filter(pl.Series(garder))


def _version(date_fichier: pl.Expr, ordre: pl.Expr) -> pl.Expr:
    """(DATE_FICHIER, ORDRE) packed in one Int64 (ORDRE, a ledger id, is below 2**40)."""
    return date_fichier.cast(pl.Int64) * 2**40 + ordre


def au(historique: Historique, d: dt.date) -> dict[str, pl.LazyFrame]:
    """Each inbound flow's rows in force on night D (contract columns and file columns)."""
    retenues = _versions_retenues(historique.fichiers, d).collect()  # one row per file
    out: dict[str, pl.LazyFrame] = {}
    for f in schemas.ENTRANTS:
        versions = retenues.filter(pl.col("flux") == f.nom)
        gardees = versions.select(_version(pl.col(DATE_FICHIER), pl.col(ORDRE))).to_series()
        rows = historique.table(f.nom).filter(
            _version(pl.col(DATE_FICHIER), pl.col(ORDRE)).is_in(gardees.implode())
        )
        if f.liste_complete:
            derniere = versions.select(pl.col(DATE_FICHIER).max()).lazy()
            rows = rows.join(derniere, on=DATE_FICHIER, how="semi")
        else:
            cle = list(f.cle)
            rows = rows.select(colonnes_historique(f.nom).keys()).map_batches(
                lambda lignes, cle=cle: _dernieres(lignes, cle)
            )
        out[f.nom] = rows
    return out
