"""The GIDE registration status as a timeline (RULES.md, Vocabulary: "Status on day d").

The status of a DE on day d is the `GIDE_STATUTS` row with the latest `date_effet` ≤ d;
before any row the DE is INSCRIT. A RADIE status lasts until the next row.

Two views serve several rules at once, each computed in one pass over the status rows:
`statut_le` (the status on a given day of each row of a frame: E6, A2) and `periodes`
(the runs of "suspended" days, RADIE or CESSATION in any mix, versus INSCRIT days: S1, A5).
"""

from __future__ import annotations

import polars as pl

INSCRIT = "INSCRIT"
RADIE = "RADIE"


def statut_le(frame: pl.LazyFrame, statuts: pl.LazyFrame, jour: str, nom: str) -> pl.LazyFrame:
    """`frame` plus column `nom`: the DE's status on the day in column `jour`.

    `frame` needs `id_de` and `jour`; `statuts` are the rows in force (date_effet ≤ D).
    """
    lignes = statuts.select("id_de", pl.col("date_effet").alias("_effet"), pl.col("statut"))
    return (
        frame.sort(jour)
        .join_asof(
            lignes.sort("_effet"),
            left_on=jour,
            right_on="_effet",
            by="id_de",
            strategy="backward",
            check_sortedness=False,
        )
        .with_columns(pl.col("statut").fill_null(INSCRIT).alias(nom))
        .drop("_effet", "statut")
    )


def premiere_radiation_des(
    frame: pl.LazyFrame, statuts: pl.LazyFrame, jour: str, nom: str
) -> pl.LazyFrame:
    """`frame` plus column `nom`: the first day ≥ `jour` on which the DE is RADIE (or null).

    That is `jour` itself when the status in force on `jour` is RADIE, else the first RADIE
    row dated after it.
    """
    radiations = (
        statuts.filter(pl.col("statut") == RADIE)
        .select("id_de", pl.col("date_effet").alias(nom))
        .sort(nom)
    )
    avec_statut = statut_le(frame, statuts, jour, "_statut_jour")
    return (
        avec_statut.sort(jour)
        .join_asof(
            radiations,
            left_on=jour,
            right_on=nom,
            by="id_de",
            strategy="forward",
            check_sortedness=False,
            coalesce=False,
        )
        .with_columns(
            pl.when(pl.col("_statut_jour") == RADIE)
            .then(pl.col(jour))
            .otherwise(pl.col(nom))
            .alias(nom)
        )
        .drop("_statut_jour")
    )


def periodes(statuts: pl.LazyFrame) -> pl.LazyFrame:
    """Runs of the status timeline of each DE: one row per maximal run.

    Columns: id_de, suspendu (True for a RADIE/CESSATION run, False for INSCRIT), debut
    (first day of the run; null for an INSCRIT run that opens the timeline, since the DE was
    INSCRIT before any row), fin (first day of the next run, null for the run in force on D),
    rang (1 for the first run of the DE).
    """
    lignes = statuts.select(
        "id_de", "date_effet", (pl.col("statut") != INSCRIT).alias("suspendu")
    ).sort("id_de", "date_effet")
    change = pl.col("suspendu") != pl.col("suspendu").shift(1).over("id_de")
    return (
        lignes.with_columns(change.fill_null(True).alias("_change"))
        .with_columns(pl.col("_change").cum_sum().over("id_de").alias("rang"))
        .group_by("id_de", "rang")
        .agg(pl.col("suspendu").first(), pl.col("date_effet").min().alias("debut"))
        .sort("id_de", "rang")
        .with_columns(pl.col("debut").shift(-1).over("id_de").alias("fin"))
        .with_columns(
            pl.when((pl.col("rang") == 1) & ~pl.col("suspendu"))
            .then(None)
            .otherwise(pl.col("debut"))
            .alias("debut")
        )
        .select("id_de", "rang", "suspendu", "debut", "fin")
    )
