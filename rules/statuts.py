"""The GIDE registration status as a timeline (RULES.md, Vocabulary: "Status on day d").

The status of a DE on day d is the `GIDE_STATUTS` row with the latest `date_effet` ≤ d;
before any row the DE is INSCRIT. A RADIE status lasts until the next row.

The status rows are sorted once by (DE, date_effet) as one packed integer (`chronologie`);
every lookup is then an as-of join on that column: the status on a given day
(`statut_le`: E6, A2), the first radiation from a day on (`premiere_radiation_des`: E6),
and the runs of "suspended" days, RADIE or CESSATION in any mix, versus INSCRIT days
(`periodes`: S1, A5).
"""

from __future__ import annotations

import polars as pl

from rules.cles import asof_groupe, avec_jour, cle_de, groupe

INSCRIT = "INSCRIT"
RADIE = "RADIE"

CLE = "_k_statut"  # packed (DE, date_effet) of a status row


STATUT = pl.Enum(["INSCRIT", "CESSATION", "RADIE"])


def chronologie(statuts: pl.LazyFrame) -> pl.LazyFrame:
    """The status rows in force, sorted by (DE, date_effet) packed in `CLE`: columns CLE,
    date_effet, statut (`STATUT`). No string column, so that sorting ~10 M rows stays
    cheap. (The key of GIDE_STATUTS is (id_de, date_effet): no ties.)"""
    return statuts.select(
        avec_jour(cle_de(), pl.col("date_effet")).alias(CLE),
        "date_effet",
        pl.col("statut").cast(STATUT),
    ).sort(CLE)


def _asof(
    frame: pl.LazyFrame, lignes: pl.LazyFrame, jour: str, strategy: str, colonnes: list[str]
) -> pl.LazyFrame:
    return asof_groupe(frame, cle_de(), pl.col(jour), lignes, CLE, colonnes, strategy)


def statut_le(frame: pl.LazyFrame, chrono: pl.LazyFrame, jour: str, nom: str) -> pl.LazyFrame:
    """`frame` plus column `nom`: the DE's status on the day in column `jour`.

    `frame` needs `id_de` and `jour`; `chrono` comes from `chronologie`.
    """
    return (
        _asof(frame, chrono, jour, "backward", ["statut"])
        .with_columns(pl.col("statut").cast(pl.String).fill_null(INSCRIT).alias(nom))
        .drop("statut")
    )


def premiere_radiation_des(
    frame: pl.LazyFrame, chrono: pl.LazyFrame, jour: str, nom: str
) -> pl.LazyFrame:
    """`frame` plus column `nom`: the first day ≥ `jour` on which the DE is RADIE (or null).

    That is `jour` itself when the status in force on `jour` is RADIE, else the first RADIE
    row dated after it.
    """
    radiations = chrono.filter(pl.col("statut") == RADIE).select(
        CLE, pl.col("date_effet").alias(nom)
    )
    avec_statut = statut_le(frame, chrono, jour, "_statut_jour")
    return (
        _asof(avec_statut, radiations, jour, "forward", [nom])
        .with_columns(
            pl.when(pl.col("_statut_jour") == RADIE)
            .then(pl.col(jour))
            .otherwise(pl.col(nom))
            .alias(nom)
        )
        .drop("_statut_jour")
    )


def periodes(chrono: pl.LazyFrame) -> pl.LazyFrame:
    """Runs of the status timeline of each DE: one row per maximal run.

    Columns: k_de (the DE as `rules.cles.cle_de`), suspendu (True for a RADIE/CESSATION
    run, False for INSCRIT), debut (first day of the run; null for an INSCRIT run that opens
    the timeline, since the DE was INSCRIT before any row), fin (first day of the next run,
    null for the run in force on D). `chrono` is sorted by DE then day, so "previous row of
    the same DE" is the previous row when its DE is the same.
    """
    k_de = groupe(pl.col(CLE))
    suspendu = pl.col("statut") != INSCRIT
    meme_de_avant = k_de == k_de.shift(1)
    change = ~meme_de_avant.fill_null(False) | (suspendu != suspendu.shift(1))
    return (
        chrono.filter(change)
        .with_columns(
            k_de.alias("k_de"),
            suspendu.alias("suspendu"),
            (~meme_de_avant.fill_null(False)).alias("_premier"),
            pl.when(k_de == k_de.shift(-1)).then(pl.col("date_effet").shift(-1)).alias("fin"),
        )
        .with_columns(
            pl.when(pl.col("_premier") & ~pl.col("suspendu"))
            .then(None)
            .otherwise(pl.col("date_effet"))
            .alias("debut")
        )
        .select("k_de", "suspendu", "debut", "fin")
    )
