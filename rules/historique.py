"""What the rules read: the validated history, resolved as of night D.

The history holds every validated row of every applied file, all versions kept. Reading it
"as of D" (RULES.md, Vocabulary; FLOWS.md, Keys, corrections, duplicates) means:

1. only files dated ≤ D count;
2. a file re-delivered under the same name with new content is a new version of that
   night's extraction and replaces the earlier version as a whole (**reading taken**: the
   sender re-extracted the night; a row missing from the new version is withdrawn);
3. the same key delivered on a later night is a correction: the row of the latest file
   wins (latest file date, then latest version);
4. `REF_*` flows are full lists: the latest one dated ≤ D applies, alone.

Everything here is a pure function of its inputs: the state of night D depends on nothing
but the rows of the files dated ≤ D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def _derniere_par_cle(rows: pl.LazyFrame, cle: list[str]) -> pl.LazyFrame:
    """The row of the latest file per key (latest DATE_FICHIER, then ORDRE, then LIGNE).

    Most keys occur once in the whole history (a correction re-sends a few): rows whose key
    occurs once are kept as they are, and only the others are sorted and grouped. A key
    "occurs once" when its 64-bit hash does (found by sorting the hashes, not by hashing
    strings into a table); a hash collision merely sends both rows to the exact path, so
    the result is the same as sorting everything.
    """
    h = "_hash_cle"
    cle_hachee = pl.struct(cle).hash() if len(cle) > 1 else pl.col(cle[0]).hash()
    lignes = rows.with_columns(cle_hachee.alias(h))
    triees = lignes.select(pl.col(h).sort())
    repetees = triees.filter(pl.col(h) == pl.col(h).shift(1)).unique()
    seules = lignes.join(repetees, on=h, how="anti")
    autres = (
        lignes.join(repetees, on=h, how="semi")
        .sort(DATE_FICHIER, ORDRE, LIGNE)
        .group_by(cle, maintain_order=True)
        .last()
    )
    colonnes = rows.collect_schema().names()
    return pl.concat([seules.select(colonnes), autres.select(colonnes)])


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
        if f.referentiel:
            derniere = versions.select(pl.col(DATE_FICHIER).max()).lazy()
            rows = rows.join(derniere, on=DATE_FICHIER, how="semi")
        else:
            rows = _derniere_par_cle(rows.select(colonnes_historique(f.nom).keys()), list(f.cle))
        out[f.nom] = rows
    return out
