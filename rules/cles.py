"""Integer keys for the big joins: a DE, a (DE, ML) pair, and either of them with a day.

At national scale the rules look up "the latest status on or before a day" and "the first
interview on or after a day" among ~10 M status rows and ~15 M interviews. Keyed by
strings, polars hashes every row for each lookup; packed into one integer (group in the
high bits, day in the low bits) the lookup is a plain as-of join on one sorted Int64
column, and "within the same group" is one integer comparison.

The packing is exact because the identifiers are validated rows of the contract:
`id_de` matches `^[0-9]{7}[0-9A-Z]$` (7 digits and a base-36 character: < 3.6e8) and
`code_ml` matches `^[0-9]{5}$`. Days are counted from 1970-01-01 plus `_DECALAGE_JOURS`
and clipped to `[0, 2**BITS_JOUR)` (years 1915 to 2274): clipping keeps the order, so a
date outside that range could only tie with its neighbours, never jump groups.
"""

from __future__ import annotations

import polars as pl

# The engine every rule computation runs on. The data of a night fit in memory (a few GB at
# national scale) and polars' in-memory engine runs the big sorts and as-of joins 2 to 3
# times faster than the streaming engine (polars 2's default) on them.
MOTEUR = "in-memory"

BITS_JOUR = 17
_DECALAGE_JOURS = 20_000
_JOURS_MAX = 2**BITS_JOUR - 1
_ML = 100_000


def cle_de(id_de: str = "id_de") -> pl.Expr:
    """An id_de as an integer: its 7 digits times 36 plus its last character in base 36."""
    col = pl.col(id_de)
    return col.str.slice(0, 7).cast(pl.Int64) * 36 + col.str.slice(7, 1).str.to_integer(
        base=36, dtype=pl.Int64
    )


def cle_de_ml(id_de: str = "id_de", code_ml: str = "code_ml") -> pl.Expr:
    """A (DE, ML) pair as an integer (< 3.6e13)."""
    return cle_de(id_de) * _ML + pl.col(code_ml).cast(pl.Int64)


def avec_jour(cle: pl.Expr, jour: pl.Expr) -> pl.Expr:
    """`cle` and a day packed in one Int64 ordered by (cle, day) (< 2**63)."""
    jours = (jour.cast(pl.Int64) + _DECALAGE_JOURS).clip(0, _JOURS_MAX)
    return cle * 2**BITS_JOUR + jours


def groupe(cle_jour: pl.Expr) -> pl.Expr:
    """The group part of a packed key (what `avec_jour` received as `cle`)."""
    return cle_jour // 2**BITS_JOUR


def indexer(frame: pl.LazyFrame, groupe_: pl.Expr, jour: pl.Expr, nom: str) -> pl.LazyFrame:
    """`frame` with its packed (group, day) key in column `nom`, sorted by it."""
    return frame.with_columns(avec_jour(groupe_, jour).alias(nom)).sort(nom)


def asof_groupe(
    frame: pl.LazyFrame,
    groupe_: pl.Expr,
    jour: pl.Expr,
    lignes: pl.LazyFrame,
    cle_lignes: str,
    colonnes: list[str],
    strategy: str,
) -> pl.LazyFrame:
    """`frame` plus `colonnes` of the row of `lignes` found by an as-of join from each row's
    (group, day): with "backward", the last row of the same group on or before that day;
    with "forward", the first on or after it. Null when there is no such row in the group.

    `lignes` carries the packed key `cle_lignes` (same kind of group) and is sorted by it
    (`indexer`); among rows with equal keys, "forward" takes the first and "backward" the
    last. `colonnes` must not already be columns of `frame`.
    """
    gauche = "_k_gauche"
    meme = groupe(pl.col(cle_lignes)) == groupe(pl.col(gauche))
    return (
        frame.with_columns(avec_jour(groupe_, jour).alias(gauche))
        .sort(gauche)
        .join_asof(
            lignes.select(cle_lignes, *colonnes),
            left_on=gauche,
            right_on=cle_lignes,
            strategy=strategy,  # type: ignore[arg-type]
            check_sortedness=False,
            coalesce=False,
        )
        .with_columns(pl.when(meme).then(pl.col(c)).alias(c) for c in colonnes)
        .drop(gauche, cle_lignes)
    )
